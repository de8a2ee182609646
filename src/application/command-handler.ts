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

/** How often a command is decided again after another writer moved its stream on. */
const MAX_CONFLICT_RETRIES = 10;

/**
 * Runs commands on the aggregates of one kind: load → decide → append with the expected stream version
 * (optimistic concurrency) → evolve → publish on the bus. One handler serves every aggregate the same
 * way (providers today, instances, later groups).
 *
 * - Commands on one stream are serialised in-process, so concurrent callers never fight over a version.
 * - The folded state of each stream is cached: a command costs one append, not a replay.
 * - When another writer of the same store moved the stream on (another hangar on the same file), the
 *   handler reads only the events it has not seen, folds them on, and decides again; a conflict that
 *   outlives its retries is CONCURRENCY_CONFLICT.
 * - A stream holding an event that is not the aggregate's is an error naming its position.
 */
export class CommandHandler<All extends DomainEvent, Id, C, E extends All, S> {
  private readonly cache = new Map<string, Loaded<S>>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly aggregate: Aggregate<All, Id, C, E, S>,
    private readonly deps: { readonly store: EventStore<All>; readonly bus: EventBus<All>; readonly clock: Clock },
  ) {}

  /**
   * Hands over a state folded elsewhere from the same stream (a projection folds every stream at boot), so
   * that the first command does not read the stream again. Ignored when the stream is cached already.
   */
  seed(streamId: string, state: S, version: number): void {
    if (!this.cache.has(streamId)) this.cache.set(streamId, { state, version });
  }

  /**
   * Decides `command` against the aggregate's current state and records the resulting events.
   * Resolves to the new state and the stored events; rejects with the decider's DomainError when the
   * command is refused.
   */
  execute(id: Id, command: C, context: CommandContext = {}): Promise<Handled<E, S>> {
    const streamId = this.aggregate.streamId(id);
    // Fast path: nothing queued on this stream and its state cached, so a decision of nothing (the circuit
    // admits a call, a start is under way already) or a refusal needs no turn in the queue.
    const cached = this.queues.has(streamId) ? undefined : this.cache.get(streamId);
    if (cached !== undefined) {
      try {
        if (this.aggregate.decider.decide(command, cached.state).length === 0) return Promise.resolve({ state: cached.state, events: [] });
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const previous = this.queues.get(streamId) ?? Promise.resolve();
    const run = previous.then(
      () => this.run(streamId, command, context),
      () => this.run(streamId, command, context),
    );
    const settled = run.catch(() => undefined);
    this.queues.set(streamId, settled);
    void settled.then(() => {
      if (this.queues.get(streamId) === settled) this.queues.delete(streamId);
    });
    return run;
  }

  private async run(streamId: string, command: C, context: CommandContext): Promise<Handled<E, S>> {
    const { decider } = this.aggregate;
    let loaded = this.cache.get(streamId) ?? (await this.catchUp(streamId, { state: decider.initialState(), version: 0 }));
    for (let attempt = 0; ; attempt++) {
      const decided = decider.decide(command, loaded.state);
      if (decided.length === 0) return { state: loaded.state, events: [] };
      try {
        const stored = await this.deps.store.append(streamId, decided, loaded.version, {
          occurredAt: new Date(this.deps.clock.now()).toISOString(),
          correlationId: context.correlationId,
          causationId: context.causationId,
        });
        let state = loaded.state;
        for (const event of decided) state = decider.evolve(state, event);
        this.cache.set(streamId, { state, version: loaded.version + decided.length });
        this.deps.bus.publish(stored);
        return { state, events: stored };
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (attempt >= MAX_CONFLICT_RETRIES) {
          throw new DomainError('CONCURRENCY_CONFLICT', `${this.aggregate.name} stream ${streamId} kept changing under another writer; nothing was recorded`, {
            retryable: true,
          });
        }
        this.cache.delete(streamId);
        loaded = await this.catchUp(streamId, loaded);
      }
    }
  }

  /** Folds the stream's events after `from.version` onto `from`, and caches the result. */
  private async catchUp(streamId: string, from: Loaded<S>): Promise<Loaded<S>> {
    const { decider, owns, name } = this.aggregate;
    let { state, version } = from;
    for (const event of await this.deps.store.readStream(streamId, { fromVersion: version + 1 })) {
      if (!owns(event)) throw new Error(`stream ${streamId} holds ${event.type} at position ${event.position}, which is not a ${name} event`);
      state = decider.evolve(state, event);
      version = event.streamVersion;
    }
    const loaded = { state, version };
    this.cache.set(streamId, loaded);
    return loaded;
  }
}
