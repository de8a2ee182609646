import { z } from 'zod';
import type { EventMetadata, StoredEvent } from '../../application/ports/event-store.js';
import type { DomainEvent } from '../../domain/shared/event.js';
import type { EventRegistry } from './event-registry.js';
import type { EventRow } from './hash-chain.js';

const eventRowSchema = z.object({
  position: z.int(),
  streamId: z.string(),
  streamVersion: z.int(),
  type: z.string(),
  schemaVersion: z.int(),
  data: z.string(),
  metadata: z.string(),
  occurredAt: z.string(),
  hash: z.string(),
});

const storedMetadataSchema = z.object({
  correlationId: z.string().optional(),
  causationId: z.string().optional(),
});

/** Metadata without undefined fields, and its stored JSON text (occurredAt has its own column). */
export function encodeMetadata(metadata: EventMetadata): { readonly metadata: EventMetadata; readonly json: string } {
  if (typeof metadata.occurredAt !== 'string' || Number.isNaN(Date.parse(metadata.occurredAt))) {
    throw new TypeError(`occurredAt must be an ISO time, got ${String(metadata.occurredAt)}`);
  }
  const extra: { correlationId?: string; causationId?: string } = {};
  if (metadata.correlationId !== undefined) extra.correlationId = metadata.correlationId;
  if (metadata.causationId !== undefined) extra.causationId = metadata.causationId;
  return { metadata: { occurredAt: metadata.occurredAt, ...extra }, json: JSON.stringify(extra) };
}

/**
 * Reads a stored row at the edge: checks its columns, parses its JSON, and has the registry upcast and
 * check its data. Any failure is an error that names the row's position.
 */
export function decodeEventRow<E extends DomainEvent>(raw: unknown, registry: EventRegistry<E>): StoredEvent<E> {
  const parsed = eventRowSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`malformed stored event: ${z.prettifyError(parsed.error)}`);
  const row = parsed.data;
  try {
    const meta = storedMetadataSchema.parse(JSON.parse(row.metadata));
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
