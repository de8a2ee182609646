import type { HangarEvent } from '../../domain/hangar-event.js';
import type { ProviderEvent } from '../../domain/provider/events.js';
import { isProviderEvent } from '../../domain/provider/events.js';
import type { InstanceId, ProviderId } from '../../domain/shared/ids.js';
import { legacyProviderStreamId, parseStreamId, providerStreamPrefix } from '../../domain/shared/streams.js';
import type { EventStore, StoredEvent } from '../ports/event-store.js';

export interface HistoryQuery {
  readonly provider: ProviderId;
  /** ISO time or a global position: only events from then on. */
  readonly since?: string | undefined;
  readonly limit?: number | undefined;
  readonly types?: readonly ProviderEvent['type'][] | undefined;
}

/** One event of a provider's history, with the instance that recorded it (null: before instances existed). */
export type HistoryEntry = StoredEvent<ProviderEvent> & { readonly instance: InstanceId | null };

/** Parses `since` as a global position (digits) or an ISO time; undefined when it is neither. */
const parseSince = (since: string): { position: number } | { time: string } | undefined => {
  if (/^\d+$/.test(since)) return { position: Number(since) };
  const ms = Date.parse(since);
  return Number.isNaN(ms) ? undefined : { time: new Date(ms).toISOString() };
};

const withInstance = (event: StoredEvent<ProviderEvent>): HistoryEntry => {
  const stream = parseStreamId(event.streamId);
  return { ...event, instance: stream?.kind === 'provider' ? stream.instance : null };
};

/** The streams that hold a provider's events: one per instance, and the one from before instances existed. */
export const providerStreams = async (store: EventStore<HangarEvent>, provider: ProviderId): Promise<readonly string[]> => [
  legacyProviderStreamId(provider),
  ...(await store.streamIds(providerStreamPrefix(provider))),
];

/**
 * A provider's events in global order, across every run of the hangar and every instance that served it.
 * Reads the streams themselves (the one query that does): it is the record, not a model of it. With a
 * limit, the most recent `limit` events are returned, still oldest first: each of the provider's streams
 * is read backward from its newest event, at most `limit` of them (an index range per stream), so the cost
 * depends on the limit, not on how long the history is.
 */
export const providerHistory =
  (store: EventStore<HangarEvent>) =>
  async (query: HistoryQuery): Promise<readonly HistoryEntry[]> => {
    const since = query.since === undefined ? undefined : parseSince(query.since);
    const filter = {
      ...(since && 'time' in since ? { since: since.time } : {}),
      ...(since && 'position' in since ? { fromPosition: since.position } : {}),
      ...(query.types && query.types.length > 0 ? { types: query.types } : {}),
      ...(query.limit === undefined ? {} : { limit: query.limit, backward: true }),
    };
    const streams = await providerStreams(store, query.provider);
    const read = await Promise.all(streams.map((stream) => store.readStream(stream, filter)));
    const events = read
      .flat()
      .filter(isProviderEvent)
      .sort((a, b) => a.position - b.position);
    const limited = query.limit === undefined ? events : events.slice(Math.max(0, events.length - query.limit));
    return limited.map(withInstance);
  };

/** One event of any provider's history, with the provider it is about. */
export type ProvidersHistoryEntry = HistoryEntry & { readonly provider: ProviderId };

export interface AllHistoryQuery {
  /** Only events at or after this global position. */
  readonly fromPosition?: number | undefined;
  readonly limit?: number | undefined;
}

/**
 * Every provider's events interleaved in global order (position), across every run and instance; with a
 * limit, the most recent `limit` events of the store (read backward from the newest), still oldest first.
 */
export const allProvidersHistory =
  (store: EventStore<HangarEvent>) =>
  async (query: AllHistoryQuery = {}): Promise<readonly ProvidersHistoryEntry[]> => {
    const fromPosition = query.fromPosition ?? 1;
    const asEntries = (events: readonly StoredEvent<HangarEvent>[]): ProvidersHistoryEntry[] => {
      const entries: ProvidersHistoryEntry[] = [];
      for (const event of events) {
        const stream = parseStreamId(event.streamId);
        if (stream?.kind === 'provider' && isProviderEvent(event)) entries.push({ ...event, instance: stream.instance, provider: stream.provider });
      }
      return entries;
    };
    const { limit } = query;
    if (limit === undefined) return asEntries(await store.readAll({ fromPosition }));
    // Newest first, until `limit` provider events are found (the instances' own events are few).
    const found: ProvidersHistoryEntry[] = [];
    let toPosition: number | undefined;
    while (found.length < limit) {
      const want = limit - found.length;
      const page = await store.readAll({ fromPosition, backward: true, limit: want, ...(toPosition === undefined ? {} : { toPosition }) });
      found.push(...asEntries(page));
      const oldest = page.at(-1);
      if (oldest === undefined || page.length < want) break;
      toPosition = oldest.position - 1;
    }
    return found.sort((a, b) => a.position - b.position).slice(-limit);
  };

/** The ids of every provider the store has registered at least once, sorted. */
export const recordedProviders = (store: EventStore<HangarEvent>) => async (): Promise<readonly ProviderId[]> => {
  const registered = await store.readAll({ types: ['ProviderRegistered'] });
  const ids = new Set<ProviderId>();
  for (const event of registered) {
    const stream = parseStreamId(event.streamId);
    if (stream?.kind === 'provider') ids.add(stream.provider);
  }
  return [...ids].sort();
};
