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

/**
 * A provider's events in global order, across every run of the hangar and every instance that served it.
 * Reads the streams themselves (the one query that does): it is the record, not a model of it. With a
 * limit, the most recent `limit` events are returned, still oldest first.
 */
export const providerHistory =
  (store: EventStore<HangarEvent>) =>
  async (query: HistoryQuery): Promise<readonly HistoryEntry[]> => {
    const since = query.since === undefined ? undefined : parseSince(query.since);
    const time = since && 'time' in since ? { since: since.time } : {};
    const from = since && 'position' in since ? since.position : 1;
    const types = query.types && query.types.length > 0 ? { types: query.types } : {};
    const [legacy, current] = await Promise.all([
      store.readStream(legacyProviderStreamId(query.provider), { ...time, ...types }),
      store.readAll({ ...time, ...types, fromPosition: from, streamPrefix: providerStreamPrefix(query.provider) }),
    ]);
    const events = [...legacy.filter((e) => e.position >= from), ...current].filter(isProviderEvent).sort((a, b) => a.position - b.position);
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
 * limit, the most recent `limit` of them, still oldest first.
 */
export const allProvidersHistory =
  (store: EventStore<HangarEvent>) =>
  async (query: AllHistoryQuery = {}): Promise<readonly ProvidersHistoryEntry[]> => {
    const events = await store.readAll({ fromPosition: query.fromPosition ?? 1 });
    const entries: ProvidersHistoryEntry[] = [];
    for (const event of events) {
      const stream = parseStreamId(event.streamId);
      if (stream?.kind !== 'provider' || !isProviderEvent(event)) continue;
      entries.push({ ...event, instance: stream.instance, provider: stream.provider });
    }
    return query.limit === undefined ? entries : entries.slice(Math.max(0, entries.length - query.limit));
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
