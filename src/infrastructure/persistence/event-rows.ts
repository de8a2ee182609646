import type { EventMetadata, ExpectedVersion, StoredEvent } from '../../application/ports/event-store.js';
import type { DomainEvent } from '../../domain/shared/event.js';
import type { EventRegistry } from './event-registry.js';
import type { EventRow } from './hash-chain.js';

/** The row's columns have the types the schema gives them (checked by hand: this runs for every event read). */
const checkRow = (raw: unknown): EventRow => {
  const r = raw as Partial<Record<keyof EventRow, unknown>> | null;
  const problems: string[] = [];
  if (r === null || typeof r !== 'object') throw new Error('malformed stored event: not a row');
  for (const key of ['position', 'streamVersion', 'schemaVersion'] as const) if (!Number.isInteger(r[key])) problems.push(`${key} is not an integer`);
  for (const key of ['streamId', 'type', 'data', 'metadata', 'occurredAt', 'hash'] as const)
    if (typeof r[key] !== 'string') problems.push(`${key} is not text`);
  if (problems.length > 0)
    throw new Error(`malformed stored event${Number.isInteger(r.position) ? ` at position ${String(r.position)}` : ''}: ${problems.join('; ')}`);
  return r as EventRow;
};

type OptionalMetadata = { correlationId?: string; causationId?: string; caller?: string };
const OPTIONAL_METADATA = ['correlationId', 'causationId', 'caller'] as const;

/** Stored metadata: a JSON object with optional string correlationId, causationId and caller. */
const parseMetadata = (json: string): OptionalMetadata => {
  const value: unknown = JSON.parse(json);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('metadata is not an object');
  const meta: OptionalMetadata = {};
  for (const key of OPTIONAL_METADATA) {
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined) continue;
    if (typeof field !== 'string') throw new Error(`metadata ${key} is not text`);
    meta[key] = field;
  }
  return meta;
};

/** Metadata without undefined fields, and its stored JSON text (occurredAt has its own column). */
export function encodeMetadata(metadata: EventMetadata): { readonly metadata: EventMetadata; readonly json: string } {
  if (typeof metadata.occurredAt !== 'string' || Number.isNaN(Date.parse(metadata.occurredAt))) {
    throw new TypeError(`occurredAt must be an ISO time, got ${String(metadata.occurredAt)}`);
  }
  const extra: OptionalMetadata = {};
  for (const key of OPTIONAL_METADATA) {
    const field = metadata[key];
    if (field !== undefined) extra[key] = field;
  }
  return { metadata: { occurredAt: metadata.occurredAt, ...extra }, json: JSON.stringify(extra) };
}

/**
 * Reads a stored row at the edge: checks its columns, parses its JSON, and has the registry upcast and
 * check its data. Any failure is an error that names the row's position.
 */
export function decodeEventRow<E extends DomainEvent>(raw: unknown, registry: EventRegistry<E>): StoredEvent<E> {
  const row = checkRow(raw);
  try {
    const meta = parseMetadata(row.metadata);
    const { schemaVersion, event } = registry.decode(row.type, row.schemaVersion, JSON.parse(row.data));
    const envelope = {
      position: row.position,
      streamId: row.streamId,
      streamVersion: row.streamVersion,
      schemaVersion,
      metadata: { occurredAt: row.occurredAt, ...meta },
      hash: row.hash,
    };
    return { ...envelope, ...event };
  } catch (error) {
    throw new Error(`stored event at position ${row.position} (${row.type} in ${row.streamId}) cannot be read: ${(error as Error).message}`, { cause: error });
  }
}

/** The stored event for a row just appended: the caller's event as given (it was just serialised, not re-parsed). */
export function appendedEvent<E extends DomainEvent>(row: EventRow, event: E, metadata: EventMetadata): StoredEvent<E> {
  return {
    position: row.position,
    streamId: row.streamId,
    streamVersion: row.streamVersion,
    schemaVersion: row.schemaVersion,
    metadata,
    hash: row.hash,
    ...event,
  };
}

/** `since` as the canonical ISO form stored times use, so that string comparison orders correctly. */
export function normaliseSince(since: string): string {
  const ms = Date.parse(since);
  if (Number.isNaN(ms)) throw new RangeError(`since is not an ISO time: ${since}`);
  return new Date(ms).toISOString();
}

/** Throws unless `expected` is a stream version (an integer ≥ 0) or `any`. */
export function checkExpectedVersion(expected: ExpectedVersion): void {
  if (expected !== 'any' && !(Number.isInteger(expected) && expected >= 0)) {
    throw new RangeError(`expectedVersion must be an integer >= 0 or 'any', got ${String(expected)}`);
  }
}
