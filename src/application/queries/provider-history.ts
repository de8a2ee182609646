import { providerStreamId, type ProviderId } from '../../domain/shared/ids.js';
import type { EventStore, StoredEvent } from '../ports/event-store.js';

export interface HistoryQuery {
  readonly provider: string;
  /** ISO time or a global position: only events from then on. */
  readonly since?: string | undefined;
  readonly limit?: number | undefined;
  readonly types?: readonly string[] | undefined;
}

export interface HistoryEntry {
  readonly position: number;
  readonly version: number;
  readonly type: string;
  readonly occurred_at: string;
  readonly correlation_id: string | null;
  readonly data: unknown;
}

/** Parses `since` as a global position (digits) or an ISO time; undefined when it is neither. */
export const parseSince = (since: string): { position: number } | { time: string } | undefined => {
  if (/^\d+$/.test(since)) return { position: Number(since) };
  const ms = Date.parse(since);
  return Number.isNaN(ms) ? undefined : { time: new Date(ms).toISOString() };
};

const toEntry = (e: StoredEvent): HistoryEntry => ({
  position: e.position,
  version: e.streamVersion,
  type: e.type,
  occurred_at: e.metadata.occurredAt,
  correlation_id: e.metadata.correlationId ?? null,
  data: e.data,
});

/**
 * registry_history and `mcp-hangar history`: a provider's events in order, across every run of the
 * hangar. Reads the stream itself (the one query that does): it is the record, not a model of it.
 * With a limit, the most recent `limit` events are returned, still oldest first.
 */
export const providerHistory =
  (store: EventStore) =>
  async (query: HistoryQuery): Promise<readonly HistoryEntry[]> => {
    const since = query.since === undefined ? undefined : parseSince(query.since);
    const events = await store.readStream(providerStreamId(query.provider as ProviderId), {
      ...(since && 'time' in since ? { since: since.time } : {}),
      ...(query.types && query.types.length > 0 ? { types: query.types } : {}),
    });
    const from = since && 'position' in since ? events.filter((e) => e.position >= since.position) : events;
    const limited = query.limit === undefined ? from : from.slice(Math.max(0, from.length - query.limit));
    return limited.map(toEntry);
  };
