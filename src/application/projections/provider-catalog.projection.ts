import type { ProviderId } from '../../domain/shared/ids.js';
import type { ProviderEvent } from '../../domain/provider/events.js';
import { evolve } from '../../domain/provider/evolve.js';
import type { ProviderState, RegisteredProviderState } from '../../domain/provider/state.js';
import type { EventBus } from '../ports/event-bus.js';
import type { EventStore, StoredEvent } from '../ports/event-store.js';

/** Counters a provider accumulates over its whole history. */
export interface ProviderCounters {
  starts: number;
  startFailures: number;
  crashes: number;
  stops: number;
  invocations: number;
  toolErrors: number;
  invocationFailures: number;
}

/** What the catalog knows about one provider: the folded state plus times and counters from the envelopes. */
export interface CatalogEntry {
  readonly id: ProviderId;
  readonly state: ProviderState;
  readonly startedAt: string | null;
  readonly lastUsedAt: string | null;
  readonly lastEventAt: string;
  readonly lastPosition: number;
  /** Version of the provider's stream after the last event folded. */
  readonly streamVersion: number;
  readonly counters: Readonly<ProviderCounters>;
}

const STREAM_PREFIX = 'provider-';
const zeroCounters = (): ProviderCounters => ({ starts: 0, startFailures: 0, crashes: 0, stops: 0, invocations: 0, toolErrors: 0, invocationFailures: 0 });

/**
 * The read model behind registry_list, registry_tools and registry_details: every provider stream folded
 * with the domain's `evolve`, plus times and counters. Rebuilt from the store at boot, then kept current
 * from the bus; events at or before its checkpoint are ignored, so boot and bus may overlap safely.
 */
export class ProviderCatalog {
  private readonly entries = new Map<ProviderId, CatalogEntry & { counters: ProviderCounters }>();
  private checkpoint = 0;

  /** Folds every stored event after the checkpoint, then follows the bus. Returns the unsubscribe function. */
  async start(store: EventStore, bus: EventBus): Promise<() => void> {
    const unsubscribe = bus.subscribe((event) => this.apply(event));
    for (const event of await store.readAll({ fromPosition: this.checkpoint + 1 })) this.apply(event);
    return unsubscribe;
  }

  /** Applies one stored event (idempotent by global position). */
  apply(event: StoredEvent): void {
    if (event.position <= this.checkpoint) return;
    this.checkpoint = event.position;
    if (!event.streamId.startsWith(STREAM_PREFIX)) return;
    const id = event.streamId.slice(STREAM_PREFIX.length) as ProviderId;
    const previous = this.entries.get(id);
    const domainEvent = { type: event.type, data: event.data } as ProviderEvent;
    const at = event.metadata.occurredAt;
    const counters = previous?.counters ?? zeroCounters();
    let startedAt = previous?.startedAt ?? null;
    let lastUsedAt = previous?.lastUsedAt ?? null;
    switch (domainEvent.type) {
      case 'ProviderStarted':
        counters.starts++;
        startedAt = at;
        break;
      case 'ProviderStartFailed':
        counters.startFailures++;
        break;
      case 'ProviderCrashed':
        counters.crashes++;
        startedAt = null;
        break;
      case 'ProviderStopped':
        counters.stops++;
        startedAt = null;
        break;
      case 'ToolInvoked':
        counters.invocations++;
        if (domainEvent.data.outcome === 'tool_error') counters.toolErrors++;
        lastUsedAt = at;
        break;
      case 'ToolInvocationFailed':
        counters.invocationFailures++;
        lastUsedAt = at;
        break;
      default:
        break;
    }
    const state = evolve(previous?.state ?? { status: 'unregistered' }, domainEvent);
    this.entries.set(id, { id, state, startedAt, lastUsedAt, lastEventAt: at, lastPosition: event.position, streamVersion: event.streamVersion, counters });
  }

  /** The entry of a registered provider, or undefined. */
  get(id: string): (CatalogEntry & { readonly state: RegisteredProviderState }) | undefined {
    const entry = this.entries.get(id as ProviderId);
    if (!entry || entry.state.status === 'unregistered') return undefined;
    return entry as CatalogEntry & { readonly state: RegisteredProviderState };
  }

  /** Every registered provider, in id order. */
  list(): readonly (CatalogEntry & { readonly state: RegisteredProviderState })[] {
    return [...this.entries.values()]
      .filter((e): e is typeof e & { state: RegisteredProviderState } => e.state.status !== 'unregistered')
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The folded state and stream version of every provider stream seen, registered or not. */
  streams(): readonly { readonly id: ProviderId; readonly state: ProviderState; readonly version: number }[] {
    return [...this.entries.values()].map((e) => ({ id: e.id, state: e.state, version: e.streamVersion }));
  }

  /** Ids of every stream ever seen, registered or not (for reconciling with the config at boot). */
  knownIds(): readonly ProviderId[] {
    return [...this.entries.keys()];
  }

  /** The global position of the last event folded. */
  position(): number {
    return this.checkpoint;
  }
}
