import { fold } from '../domain/shared/decider.js';
import { providerStreamId, type ProviderId } from '../domain/shared/ids.js';
import type { ProviderCommand } from '../domain/provider/commands.js';
import type { ProviderEvent } from '../domain/provider/events.js';
import { providerDecider } from '../domain/provider/provider.decider.js';
import type { ProviderState } from '../domain/provider/state.js';
import type { Clock } from './ports/clock.js';
import type { EventBus } from './ports/event-bus.js';
import { ConcurrencyError, type EventStore, type StoredEvent } from './ports/event-store.js';

interface Loaded {
  state: ProviderState;
  version: number;
}

/** Correlation of the events a command records. */
export interface CommandContext {
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
}

const MAX_CONFLICT_RETRIES = 5;

/**
 * Runs provider commands: load → decide → append (optimistic concurrency) → evolve → publish.
 * Commands on one provider are serialised in-process so that concurrent calls do not fight over the
 * stream version; a conflict with another writer of the same store reloads and decides again.
 * The folded state of each stream is cached, so a command costs one append, not a replay.
 */
export class ProviderRepository {
  private readonly cache = new Map<ProviderId, Loaded>();
  private readonly queues = new Map<ProviderId, Promise<unknown>>();

  constructor(
    private readonly store: EventStore,
    private readonly bus: EventBus,
    private readonly clock: Clock,
  ) {}

  /** The provider's current state (folded from its stream on first use). */
  async state(id: ProviderId): Promise<ProviderState> {
    return (await this.load(id)).state;
  }

  /**
   * Hands over a state folded elsewhere from the same stream (the catalog folds every stream at boot), so
   * that the first command does not read the stream again. Ignored when this provider is cached already.
   */
  seed(id: ProviderId, state: ProviderState, version: number): void {
    if (!this.cache.has(id)) this.cache.set(id, { state, version });
  }

  /** The cached state, if this provider was loaded already; never touches the store. */
  peek(id: ProviderId): ProviderState | undefined {
    return this.cache.get(id)?.state;
  }

  /**
   * Decides `command` against the provider's state and records the resulting events.
   * Resolves to the new state and the stored events (none when nothing happened); rejects with the
   * decider's DomainError when the command is refused.
   */
  execute(id: ProviderId, command: ProviderCommand, context: CommandContext = {}): Promise<{ state: ProviderState; events: readonly StoredEvent[] }> {
    const previous = this.queues.get(id) ?? Promise.resolve();
    const run = previous.then(
      () => this.run(id, command, context),
      () => this.run(id, command, context),
    );
    const settled = run.catch(() => undefined);
    this.queues.set(id, settled);
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    });
    return run;
  }

  private async run(id: ProviderId, command: ProviderCommand, context: CommandContext) {
    for (let attempt = 0; ; attempt++) {
      const loaded = await this.load(id);
      const decided = providerDecider.decide(command, loaded.state);
      if (decided.length === 0) return { state: loaded.state, events: [] as readonly StoredEvent[] };
      try {
        const stored = await this.store.append(providerStreamId(id), decided, loaded.version, {
          occurredAt: new Date(this.clock.now()).toISOString(),
          correlationId: context.correlationId,
          causationId: context.causationId,
        });
        const state = fold(providerDecider, decided, loaded.state);
        this.cache.set(id, { state, version: loaded.version + decided.length });
        this.bus.publish(stored);
        return { state, events: stored };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_CONFLICT_RETRIES) throw error;
        this.cache.delete(id);
      }
    }
  }

  private async load(id: ProviderId): Promise<Loaded> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const events = await this.store.readStream(providerStreamId(id));
    const loaded: Loaded = {
      state: fold(
        providerDecider,
        events.map((e) => ({ type: e.type, data: e.data }) as ProviderEvent),
      ),
      version: events.length === 0 ? 0 : (events[events.length - 1] as StoredEvent).streamVersion,
    };
    this.cache.set(id, loaded);
    return loaded;
  }
}
