import type { HangarEvent } from '../../domain/hangar-event.js';
import { instanceDecider, isInstanceEvent, type InstanceState } from '../../domain/instance/instance.decider.js';
import { isProviderEvent, type ProviderEvent } from '../../domain/provider/events.js';
import { evolve } from '../../domain/provider/evolve.js';
import type { ProviderState, RegisteredProviderState } from '../../domain/provider/state.js';
import type { InstanceId, ProviderId } from '../../domain/shared/ids.js';
import { parseStreamId, type ParsedStream } from '../../domain/shared/streams.js';
import { providerNotFound } from '../errors.js';
import type { EventBus } from '../ports/event-bus.js';
import type { EventStore, StoredEvent } from '../ports/event-store.js';
import type { StreamSnapshot } from '../ports/snapshot-store.js';
import { PROVIDER_FOLD_VERSION } from '../../domain/provider/evolve.js';

/** Counters a provider accumulates over its history in one instance. */
export interface ProviderCounters {
  starts: number;
  startFailures: number;
  crashes: number;
  stops: number;
  invocations: number;
  toolErrors: number;
  invocationFailures: number;
}

/** What the catalog knows about one provider stream: the folded state plus times and counters from the envelopes. */
export interface CatalogEntry<S extends ProviderState = ProviderState> {
  readonly id: ProviderId;
  /** The instance whose stream this is; null for a stream written before instances existed. */
  readonly instance: InstanceId | null;
  readonly streamId: string;
  readonly state: S;
  readonly startedAt: string | null;
  readonly lastUsedAt: string | null;
  readonly lastEventAt: string;
  readonly lastPosition: number;
  /** The type of the last event folded. */
  readonly lastEventType: ProviderEvent['type'] | null;
  /** Version of the stream after the last event folded. */
  readonly streamVersion: number;
  readonly counters: Readonly<ProviderCounters>;
}

/** A registered provider of this instance, as queries see it. */
export type RegisteredEntry = CatalogEntry<RegisteredProviderState>;

/** What the catalog knows about one instance stream. */
export interface InstanceEntry {
  readonly instance: InstanceId;
  readonly state: InstanceState;
  readonly streamVersion: number;
}

type MutableEntry = { -readonly [K in keyof CatalogEntry]: CatalogEntry[K] } & { counters: ProviderCounters };

const zeroCounters = (): ProviderCounters => ({ starts: 0, startFailures: 0, crashes: 0, stops: 0, invocations: 0, toolErrors: 0, invocationFailures: 0 });
const isRegistered = (entry: CatalogEntry): entry is RegisteredEntry => entry.state.status !== 'unregistered';

/**
 * The version of the catalog's fold of a provider stream, which its snapshots are saved under: the domain's
 * `evolve` (PROVIDER_FOLD_VERSION) and the counters and times below. A snapshot of another version is
 * never used; bump CATALOG_FOLD_VERSION when `foldEntry` changes what it keeps.
 */
const CATALOG_FOLD_VERSION = 1;
export const ENTRY_SNAPSHOT_VERSION = `catalog-${CATALOG_FOLD_VERSION}/provider-${PROVIDER_FOLD_VERSION}`;

/** Events of one stream between its snapshots: replay folds at most this many past the nearest one. */
export const SNAPSHOT_EVERY = 1000;

/** A provider stream's entry before its first event. */
export const emptyEntry = (streamId: string, id: ProviderId, instance: InstanceId | null): CatalogEntry => ({
  id,
  instance,
  streamId,
  state: { status: 'unregistered' },
  startedAt: null,
  lastUsedAt: null,
  lastEventAt: '',
  lastPosition: 0,
  lastEventType: null,
  streamVersion: 0,
  counters: zeroCounters(),
});

/**
 * Folds one event of a provider stream into its entry, in place: the domain's own `evolve` for the state,
 * and counters and times from the envelope. The one fold of a provider stream: the catalog runs it on
 * every event, and replay runs it from a snapshot to a point.
 */
export const foldEntry = (entry: MutableEntry, event: StoredEvent<ProviderEvent>): void => {
  const at = event.metadata.occurredAt;
  const { counters } = entry;
  switch (event.type) {
    case 'ProviderStarted':
      counters.starts++;
      entry.startedAt = at;
      break;
    case 'ProviderStartFailed':
      counters.startFailures++;
      break;
    case 'ProviderCrashed':
      counters.crashes++;
      entry.startedAt = null;
      break;
    case 'ProviderStopped':
      counters.stops++;
      entry.startedAt = null;
      break;
    case 'ToolInvoked':
      counters.invocations++;
      if (event.data.outcome === 'tool_error') counters.toolErrors++;
      entry.lastUsedAt = at;
      break;
    case 'ToolInvocationFailed':
      counters.invocationFailures++;
      entry.lastUsedAt = at;
      break;
    default:
      break;
  }
  entry.state = evolve(entry.state, event);
  entry.lastEventAt = at;
  entry.lastPosition = event.position;
  entry.lastEventType = event.type;
  entry.streamVersion = event.streamVersion;
};

/** A copy of an entry that folding can change (its counters too). */
export const mutableCopy = (entry: CatalogEntry): MutableEntry => ({ ...entry, counters: { ...entry.counters } });

/** The snapshot of an entry (everything but what the stream id says), as of its last event. */
export const snapshotOf = (entry: CatalogEntry): StreamSnapshot => {
  const { id: _id, instance: _instance, streamId, ...data } = entry;
  // The state is immutable (evolve returns a new one); the counters are counted on in place, so they are copied.
  return {
    streamId,
    streamVersion: entry.streamVersion,
    position: entry.lastPosition,
    occurredAt: entry.lastEventAt,
    data: { ...data, counters: { ...data.counters } },
  };
};

/** The entry a snapshot holds, for the provider and instance its stream names. */
export const entryOf = (snapshot: StreamSnapshot, id: ProviderId, instance: InstanceId | null): CatalogEntry =>
  ({ ...(snapshot.data as Omit<CatalogEntry, 'id' | 'instance' | 'streamId'>), id, instance, streamId: snapshot.streamId }) as CatalogEntry;

/**
 * The read model behind the registry's queries: every provider stream (of every instance) and every
 * instance stream folded with the domain's own `evolve`, plus times and counters from the envelopes.
 * `get` and `list` answer for this instance's providers. Rebuilt from the store at boot, then kept current
 * from the bus; an event at or below the version already folded of its stream is ignored, so boot and bus
 * may overlap safely.
 */
export class ProviderCatalog {
  /** By stream id: every provider stream of every instance. */
  private readonly providers = new Map<string, MutableEntry>();
  /** This instance's provider streams, by provider id. */
  private readonly own = new Map<string, MutableEntry>();
  private readonly instanceStreams = new Map<InstanceId, InstanceEntry>();
  /** Stream ids parsed once each: every event of a stream names the same one. */
  private readonly parsed = new Map<string, ParsedStream | null>();
  /** While the store is folded at boot every stream is complete; after it, only this instance's are (see snapshot rules). */
  private booting = false;
  /** Per provider stream: the stream version of its last snapshot (saved, or due). */
  private readonly snapshotted = new Map<string, number>();
  /** Snapshots taken and not yet handed to {@link takeDue}. */
  private due: StreamSnapshot[] = [];
  /**
   * `list()`'s answer, kept until a provider of this instance is registered or deregistered: entries are
   * updated in place, so only the set of registered providers can make it stale. Filtering and sorting 500
   * entries with `localeCompare` took about 30 µs of every `registry_list`; the cached answer, under 10.
   */
  private listed: readonly RegisteredEntry[] | null = null;

  constructor(readonly instance: InstanceId) {}

  /**
   * Folds the store, then follows the bus. Each stream is read from its newest snapshot on (`snapshots`,
   * those of this fold's version), so boot reads only what was recorded since: its cost follows the
   * number of streams and the events since their snapshots, not the length of the history. Events the bus
   * delivers while the store is being read wait until the read is folded, so that neither is lost. Returns
   * the unsubscribe function.
   */
  async start(store: EventStore<HangarEvent>, bus: EventBus<HangarEvent>, snapshots: ReadonlyMap<string, StreamSnapshot> = new Map()): Promise<() => void> {
    let early: StoredEvent<HangarEvent>[] | null = [];
    const unsubscribe = bus.subscribe((event) => (early === null ? this.apply(event) : early.push(event)));
    this.booting = true;
    try {
      for (const streamId of await store.streamIds('')) {
        const stream = this.parse(streamId);
        const snapshot = stream?.kind === 'provider' ? snapshots.get(streamId) : undefined;
        if (stream?.kind === 'provider' && snapshot !== undefined) this.restore(entryOf(snapshot, stream.provider, stream.instance));
        for (const event of await store.readStream(streamId, { fromVersion: (snapshot?.streamVersion ?? 0) + 1 })) this.apply(event);
      }
    } finally {
      this.booting = false;
      const waiting = early;
      early = null;
      for (const event of waiting) this.apply(event);
    }
    return unsubscribe;
  }

  /** Takes an entry from a snapshot as the stream's state (before its later events are folded). */
  private restore(entry: CatalogEntry): void {
    const restored = mutableCopy(entry);
    this.providers.set(entry.streamId, restored);
    this.snapshotted.set(entry.streamId, entry.streamVersion);
    if (entry.instance === this.instance) {
      this.own.set(entry.id, restored);
      this.listed = null;
    }
  }

  /**
   * The snapshots taken since the last call: of every provider stream every {@link SNAPSHOT_EVERY} of its
   * events, while the catalog holds all of the stream's events — every stream while the store is folded at
   * boot, and after that this instance's own streams (which no other process writes). With `all`, also the
   * newest state of each of this instance's streams changed since its last snapshot (at shutdown).
   */
  takeDue(options: { readonly all?: boolean } = {}): readonly StreamSnapshot[] {
    if (options.all === true) {
      for (const entry of this.own.values()) {
        if (entry.streamVersion > (this.snapshotted.get(entry.streamId) ?? 0)) this.snapshot(entry);
      }
    }
    const due = this.due;
    this.due = [];
    return due;
  }

  private snapshot(entry: CatalogEntry): void {
    this.snapshotted.set(entry.streamId, entry.streamVersion);
    this.due.push(snapshotOf(entry));
  }

  /** Applies one stored event (idempotent: an event at or below its stream's folded version is ignored). */
  apply(event: StoredEvent<HangarEvent>): void {
    const stream = this.parse(event.streamId);
    if (stream?.kind === 'provider' && isProviderEvent(event)) this.applyProvider(event, stream.provider, stream.instance);
    else if (stream?.kind === 'instance' && isInstanceEvent(event)) {
      const known = this.instanceStreams.get(stream.instance);
      if (known !== undefined && event.streamVersion <= known.streamVersion) return;
      const previous = known?.state ?? instanceDecider.initialState();
      this.instanceStreams.set(stream.instance, {
        instance: stream.instance,
        state: instanceDecider.evolve(previous, event),
        streamVersion: event.streamVersion,
      });
    }
  }

  private parse(streamId: string): ParsedStream | null {
    let stream = this.parsed.get(streamId);
    if (stream === undefined) this.parsed.set(streamId, (stream = parseStreamId(streamId)));
    return stream;
  }

  private applyProvider(event: StoredEvent<ProviderEvent>, id: ProviderId, instance: InstanceId | null): void {
    let entry = this.providers.get(event.streamId);
    if (entry !== undefined && event.streamVersion <= entry.streamVersion) return;
    if (entry === undefined) this.providers.set(event.streamId, (entry = mutableCopy(emptyEntry(event.streamId, id, instance))));
    const wasRegistered = isRegistered(entry);
    foldEntry(entry, event);
    if (instance === this.instance) {
      if (isRegistered(entry) !== wasRegistered) this.listed = null;
      this.own.set(id, entry);
    }
    if ((this.booting || instance === this.instance) && entry.streamVersion - (this.snapshotted.get(event.streamId) ?? 0) >= SNAPSHOT_EVERY)
      this.snapshot(entry);
  }

  /** This instance's entry for a registered provider, or undefined. */
  get(id: string): RegisteredEntry | undefined {
    const entry = this.own.get(id);
    return entry && isRegistered(entry) ? entry : undefined;
  }

  /** This instance's entry for a registered provider; PROVIDER_NOT_FOUND (with "did you mean") otherwise. */
  require(id: string): RegisteredEntry {
    const entry = this.get(id);
    if (!entry)
      throw providerNotFound(
        id,
        this.list().map((e) => e.id),
      );
    return entry;
  }

  /** This instance's registered providers, in id order. */
  list(): readonly RegisteredEntry[] {
    return (this.listed ??= [...this.own.values()].filter(isRegistered).sort((a, b) => a.id.localeCompare(b.id)));
  }

  /** Every provider stream seen, of every instance, registered or not. */
  streams(): readonly CatalogEntry[] {
    return [...this.providers.values()];
  }

  /** Every instance stream seen. */
  instances(): readonly InstanceEntry[] {
    return [...this.instanceStreams.values()];
  }
}
