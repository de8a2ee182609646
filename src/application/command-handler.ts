import { DomainError } from '../domain/shared/errors.js';
import type { Decider } from '../domain/shared/decider.js';
import type { DomainEvent } from '../domain/shared/event.js';
import type { Clock } from './ports/clock.js';
import type { EventBus } from './ports/event-bus.js';
import { ConcurrencyError, type EventStore, type StoredEvent } from './ports/event-store.js';

/** Correlation of the events a command records. */
export interface CommandContext {
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
  /** Who asked, recorded with the events (see EventMetadata.caller). */
  readonly caller?: string | undefined;
}

/** One aggregate as the command handler sees it: its decider, where its streams are, and which events are its own. */
export interface Aggregate<All extends DomainEvent, Id, C, E extends All, S> {
  readonly decider: Decider<C, E, S>;
  /** The stream that holds the aggregate with this id. */
  readonly streamId: (id: Id) => string;
  /** Tells the aggregate's events from the other events of the store (`isProviderEvent`, ...). */
  readonly owns: (event: StoredEvent<All>) => event is StoredEvent<E>;
  /** A name for messages: "provider", "instance". */
  readonly name: string;
}

/** What a command recorded: the state after it, and the stored events (none when nothing happened). */
export interface Handled<E extends DomainEvent, S> {
  readonly state: S;
  readonly events: readonly StoredEvent<E>[];
}

interface Loaded<S> {
  readonly state: S;
  readonly version: number;
}

/** A command waiting for its decision, and its caller's promise. */
interface Job<C, E extends DomainEvent, S> {
  readonly command: C;
  readonly context: CommandContext;
  readonly resolve: (handled: Handled<E, S>) => void;
  readonly reject: (error: unknown) => void;
  /** How often it was decided again because its stream changed under it. */
  retries: number;
}

/** What became of a decided command; settled outcomes are completed in stream order. */
type Outcome<E extends DomainEvent> =
  | { readonly kind: 'recorded'; readonly stored: readonly StoredEvent<E>[] }
  | { readonly kind: 'nothing' }
  | { readonly kind: 'refused'; readonly error: unknown }
  | { readonly kind: 'failed'; readonly error: unknown };

/** A command decided against the stream's optimistic state, until it is completed in stream order. */
interface Decided<C, E extends DomainEvent, S> {
  readonly job: Job<C, E, S>;
  /** The events to append (none for a decision of nothing or a refusal). */
  readonly events: readonly E[];
  /** The stream's version the events were decided against. */
  readonly expected: number;
  readonly occurredAt: string;
  /** The state and version once they are recorded. */
  readonly after: Loaded<S>;
  /** Handed to the store's append. */
  handed: boolean;
  /** Undefined while its append is pending. */
  outcome: Outcome<E> | undefined;
}

/** A stream with commands under way: decided ones in stream order, and those still to decide. */
interface Pipeline<C, E extends DomainEvent, S> {
  /** The last state known to be recorded: where a catch-up starts from (undefined: from the start). */
  committed: Loaded<S> | undefined;
  /** `committed` with every decided command folded on; undefined while it has to be (re)loaded. */
  optimistic: Loaded<S> | undefined;
  readonly decided: Decided<C, E, S>[];
  /** Appends handed to the store whose outcome has not been seen yet. */
  inFlight: number;
  /** Commands that wait for the appends in flight, or for a load, before they are decided. */
  waiting: Job<C, E, S>[];
  loading: boolean;
  /** Commands of the round in flight to decide again (their stream changed under them), in order. */
  retry: Job<C, E, S>[];
  /** An append of the round in flight failed: the optimistic state is void, the stream is read again. */
  stale: boolean;
}

/** How often a command is decided again after another writer moved its stream on. */
const MAX_CONFLICT_RETRIES = 10;

/**
 * Runs commands on the aggregates of one kind: load → decide → append with the expected stream version
 * (optimistic concurrency) → evolve → publish on the bus. One handler serves every aggregate the same
 * way (providers today, instances, later groups).
 *
 * - Commands on one stream are pipelined: a command decides against the stream's cached state with the
 *   commands decided before it folded on (optimistically), and its append, expecting the version they
 *   leave, is handed to the store in the same turn as theirs: the store commits the appends of a turn in
 *   one transaction, and fails the later appends to a stream once one of them failed. A command resolves
 *   (and its events are published on the bus) only once its append has committed, in stream order.
 * - A command is decided only while none of its stream's appends are in flight with an outcome not yet
 *   seen (a command that arrives meanwhile waits for them): so every append it follows is in the same
 *   batch of the store as its own, and an append that depends on a failed one can never commit.
 * - The folded state of each stream is cached: a command costs one append, not a replay.
 * - When an append fails with ConcurrencyError (another writer of the same store moved the stream on, or
 *   an earlier append of the batch failed), the handler drops the optimistic state, reads only the events
 *   after the last recorded version, folds them on, and decides the command again; a conflict that
 *   outlives its retries is CONCURRENCY_CONFLICT. Any other failure of an append rejects its command, and
 *   the next command on the stream reads it again.
 * - A stream holding an event that is not the aggregate's is an error naming its position.
 */
export class CommandHandler<All extends DomainEvent, Id, C, E extends All, S> {
  /** The recorded state of the streams with no command under way. */
  private readonly cache = new Map<string, Loaded<S>>();
  private readonly pipelines = new Map<string, Pipeline<C, E, S>>();
  /** Streams with decided commands not yet handed to the store; handed over at the end of the turn. */
  private readonly toHand = new Map<string, Pipeline<C, E, S>>();

  constructor(
    private readonly aggregate: Aggregate<All, Id, C, E, S>,
    private readonly deps: { readonly store: EventStore<All>; readonly bus: EventBus<All>; readonly clock: Clock },
  ) {}

  /**
   * Hands over a state folded elsewhere from the same stream (a projection folds every stream at boot), so
   * that the first command does not read the stream again. Ignored when the stream is known already.
   */
  seed(streamId: string, state: S, version: number): void {
    if (!this.cache.has(streamId) && !this.pipelines.has(streamId)) this.cache.set(streamId, { state, version });
  }

  /**
   * Decides `command` against the aggregate's current state and records the resulting events.
   * Resolves to the new state and the stored events once they are recorded; rejects with the decider's
   * DomainError when the command is refused.
   */
  execute(id: Id, command: C, context: CommandContext = {}): Promise<Handled<E, S>> {
    const streamId = this.aggregate.streamId(id);
    let pipeline = this.pipelines.get(streamId);
    let decided: readonly E[] | undefined;
    if (pipeline === undefined) {
      // Fast path: nothing under way on this stream and its state cached, so a decision of nothing (the
      // circuit admits a call, a start is under way already) or a refusal is answered at once.
      const cached = this.cache.get(streamId);
      if (cached !== undefined) {
        try {
          decided = this.aggregate.decider.decide(command, cached.state);
        } catch (error) {
          return Promise.reject(error);
        }
        if (decided.length === 0) return Promise.resolve({ state: cached.state, events: [] });
      }
      pipeline = { committed: cached, optimistic: cached, decided: [], inFlight: 0, waiting: [], loading: false, retry: [], stale: false };
      this.cache.delete(streamId);
      this.pipelines.set(streamId, pipeline);
    }
    const current = pipeline;
    return new Promise<Handled<E, S>>((resolve, reject) => {
      const job: Job<C, E, S> = { command, context, resolve, reject, retries: 0 };
      if (decided !== undefined) this.record(streamId, current, job, decided);
      else {
        current.waiting.push(job);
        this.pump(streamId, current);
      }
    });
  }

  /** Decides the waiting commands when the stream is ready for it; loads it first when it has to. */
  private pump(streamId: string, pipeline: Pipeline<C, E, S>): void {
    if (pipeline.loading || pipeline.inFlight > 0) return;
    if (pipeline.waiting.length === 0) {
      this.retire(streamId, pipeline);
      return;
    }
    if (pipeline.optimistic === undefined) {
      this.load(streamId, pipeline);
      return;
    }
    const jobs = pipeline.waiting;
    pipeline.waiting = [];
    for (const job of jobs) this.decide(streamId, pipeline, job);
  }

  /** Decides one command against the optimistic state, and queues what it decided. */
  private decide(streamId: string, pipeline: Pipeline<C, E, S>, job: Job<C, E, S>): void {
    const base = pipeline.optimistic as Loaded<S>;
    let events: readonly E[];
    try {
      events = this.aggregate.decider.decide(job.command, base.state);
    } catch (error) {
      // Refused. Against the recorded state, that is final; against one that assumes commands not yet
      // recorded, it stands only once they are.
      if (pipeline.decided.length === 0) job.reject(error);
      else this.queue(pipeline, job, [], base, { kind: 'refused', error });
      return;
    }
    if (events.length === 0 && pipeline.decided.length === 0) job.resolve({ state: base.state, events: [] });
    else this.record(streamId, pipeline, job, events);
  }

  /** Folds decided events onto the optimistic state and queues their append for the end of the turn. */
  private record(streamId: string, pipeline: Pipeline<C, E, S>, job: Job<C, E, S>, events: readonly E[]): void {
    const base = pipeline.optimistic as Loaded<S>;
    if (events.length === 0) {
      this.queue(pipeline, job, [], base, { kind: 'nothing' });
      return;
    }
    let state = base.state;
    try {
      for (const event of events) state = this.aggregate.decider.evolve(state, event);
    } catch (error) {
      if (pipeline.decided.length === 0) job.reject(error);
      else this.queue(pipeline, job, [], base, { kind: 'refused', error });
      return;
    }
    const after = { state, version: base.version + events.length };
    this.queue(pipeline, job, events, after, undefined);
    pipeline.optimistic = after;
    if (this.toHand.size === 0) process.nextTick(this.handOver);
    this.toHand.set(streamId, pipeline);
  }

  private queue(pipeline: Pipeline<C, E, S>, job: Job<C, E, S>, events: readonly E[], after: Loaded<S>, outcome: Outcome<E> | undefined): void {
    const expected = (pipeline.optimistic as Loaded<S>).version;
    const occurredAt = new Date(this.deps.clock.now()).toISOString();
    pipeline.decided.push({ job, events, expected, occurredAt, after, handed: outcome !== undefined, outcome });
  }

  /**
   * At the end of the turn (a nextTick queued from a promise continuation runs once every continuation
   * of the turn has run), hands every decided append to the store, in one synchronous loop: no flush of
   * the store can come between two appends of a stream that build on one another, so they always share a
   * batch, and the store's same-stream rule holds for them. Appending at decision time instead would let
   * a flush fall between two of them, and the later one could commit on top of a failed one.
   */
  private readonly handOver = (): void => {
    const streams = [...this.toHand];
    this.toHand.clear();
    for (const [streamId, pipeline] of streams) {
      for (const decided of pipeline.decided) {
        if (decided.handed) continue;
        decided.handed = true;
        pipeline.inFlight++;
        let appended: Promise<readonly StoredEvent<E>[]>;
        try {
          appended = this.deps.store.append(streamId, decided.events, decided.expected, {
            occurredAt: decided.occurredAt,
            correlationId: decided.job.context.correlationId,
            causationId: decided.job.context.causationId,
            caller: decided.job.context.caller,
          });
        } catch (error) {
          appended = Promise.reject(error);
        }
        appended.then(
          (stored) => this.settle(streamId, pipeline, decided, { kind: 'recorded', stored }),
          (error: unknown) => this.settle(streamId, pipeline, decided, { kind: 'failed', error }),
        );
      }
    }
  };

  /** Takes the outcome of one append, and completes the commands of the stream that can be, in order. */
  private settle(streamId: string, pipeline: Pipeline<C, E, S>, decided: Decided<C, E, S>, outcome: Outcome<E>): void {
    decided.outcome = outcome;
    pipeline.inFlight--;
    const completions: (() => void)[] = [];
    while (pipeline.decided[0]?.outcome !== undefined) {
      const next = pipeline.decided.shift() as Decided<C, E, S>;
      const done = next.outcome as Outcome<E>;
      const { job } = next;
      if (done.kind === 'failed' && !(done.error instanceof ConcurrencyError)) {
        // Not a conflict: the command fails with it, and the stream is read again before the next one.
        pipeline.stale = true;
        completions.push(() => job.reject(done.error));
      } else if (done.kind === 'recorded') {
        // (After a failure in the same round, a store keeping the batch rule never gets here.)
        if (!pipeline.stale) pipeline.committed = next.after;
        completions.push(() => {
          try {
            this.deps.bus.publish(done.stored);
          } catch (error) {
            job.reject(error);
            return;
          }
          job.resolve({ state: next.after.state, events: done.stored });
        });
      } else if (done.kind === 'failed' || pipeline.stale) {
        // Its stream changed under it (another writer, or an earlier append of the round failed), or it
        // was decided against a state that assumed such an append: decide it again once caught up.
        pipeline.stale = true;
        if (job.retries >= MAX_CONFLICT_RETRIES) {
          completions.push(() =>
            job.reject(
              new DomainError('CONCURRENCY_CONFLICT', `${this.aggregate.name} stream ${streamId} kept changing under another writer; nothing was recorded`, {
                retryable: true,
              }),
            ),
          );
        } else {
          job.retries++;
          pipeline.retry.push(job);
        }
      } else if (done.kind === 'nothing') {
        completions.push(() => job.resolve({ state: next.after.state, events: [] }));
      } else {
        completions.push(() => job.reject(done.error));
      }
    }
    if (pipeline.inFlight === 0 && pipeline.stale) {
      pipeline.stale = false;
      pipeline.optimistic = undefined;
      pipeline.waiting = [...pipeline.retry, ...pipeline.waiting];
      pipeline.retry = [];
    }
    if (pipeline.inFlight === 0) this.pump(streamId, pipeline);
    for (const complete of completions) complete();
  }

  /** Catches the stream up from its last recorded state, then decides what waits. */
  private load(streamId: string, pipeline: Pipeline<C, E, S>): void {
    pipeline.loading = true;
    this.catchUp(streamId, pipeline.committed ?? { state: this.aggregate.decider.initialState(), version: 0 }).then(
      (loaded) => {
        pipeline.loading = false;
        pipeline.committed = loaded;
        pipeline.optimistic = loaded;
        this.pump(streamId, pipeline);
      },
      (error: unknown) => {
        pipeline.loading = false;
        const jobs = pipeline.waiting;
        pipeline.waiting = [];
        for (const job of jobs) job.reject(error);
        this.pump(streamId, pipeline);
      },
    );
  }

  /** A stream with nothing under way goes back to the cache (unless its state is void: then it is read again). */
  private retire(streamId: string, pipeline: Pipeline<C, E, S>): void {
    if (pipeline.decided.length > 0 || pipeline.inFlight > 0 || pipeline.loading || pipeline.waiting.length > 0) return;
    if (this.pipelines.get(streamId) === pipeline) this.pipelines.delete(streamId);
    if (pipeline.optimistic !== undefined) this.cache.set(streamId, pipeline.optimistic);
  }

  /** Folds the stream's events after `from.version` onto `from`. */
  private async catchUp(streamId: string, from: Loaded<S>): Promise<Loaded<S>> {
    const { decider, owns, name } = this.aggregate;
    let { state, version } = from;
    for (const event of await this.deps.store.readStream(streamId, { fromVersion: version + 1 })) {
      if (!owns(event)) throw new Error(`stream ${streamId} holds ${event.type} at position ${event.position}, which is not a ${name} event`);
      state = decider.evolve(state, event);
      version = event.streamVersion;
    }
    return { state, version };
  }
}
