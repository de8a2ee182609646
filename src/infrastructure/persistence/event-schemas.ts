import { z } from 'zod';
import type { EventMetadata, StoredEvent } from '../../application/ports/event-store.js';
import { PROVIDER_EVENT_TYPES } from '../../domain/provider/events.js';
import type { EventRow } from './hash-chain.js';

/** Turns the data of one schema version into the data of the next (n → n+1). */
export type Upcaster = (data: unknown) => unknown;

/** What the store knows about one event type's schema. */
export interface EventTypeSchema {
  /** The version new events of this type are stamped with, from 1. */
  readonly currentVersion: number;
  /** `upcasters[n]` turns version n into n+1; one for every version below the current one. */
  readonly upcasters?: Readonly<Record<number, Upcaster>>;
  /** Optional zod schemas of the data by version: data at version n is parsed with `schemas[n]` before it moves on. */
  readonly schemas?: Readonly<Record<number, z.ZodType>>;
}

/**
 * The schema versions of event types and how old versions are upcast on read.
 * Types it does not know are stamped version 1 and returned as stored.
 */
export class EventSchemaRegistry {
  private readonly types: ReadonlyMap<string, EventTypeSchema>;

  /** Throws when a type is missing an upcaster for one of its older versions. */
  constructor(types: Readonly<Record<string, EventTypeSchema>>) {
    for (const [type, schema] of Object.entries(types)) {
      if (!Number.isInteger(schema.currentVersion) || schema.currentVersion < 1) {
        throw new RangeError(`event type ${type}: currentVersion must be an integer >= 1`);
      }
      for (let v = 1; v < schema.currentVersion; v++) {
        if (typeof schema.upcasters?.[v] !== 'function') throw new Error(`event type ${type}: no upcaster from version ${v} to ${v + 1}`);
      }
    }
    this.types = new Map(Object.entries(types));
  }

  /** The version new events of `type` are stamped with (1 for a type the registry does not know). */
  currentVersion(type: string): number {
    return this.types.get(type)?.currentVersion ?? 1;
  }

  /**
   * Brings `data`, stored at `version`, to the current version of `type`, one step at a time.
   * Throws when the stored version is newer than this build knows, or data fails a version's schema.
   */
  upcast(type: string, version: number, data: unknown): { readonly schemaVersion: number; readonly data: unknown } {
    const schema = this.types.get(type);
    if (schema === undefined) return { schemaVersion: version, data };
    if (version > schema.currentVersion) {
      throw new Error(`${type} schema version ${version} is newer than the known version ${schema.currentVersion}`);
    }
    let current = data;
    for (let v = version; ; v++) {
      const parser = schema.schemas?.[v];
      if (parser !== undefined) {
        const parsed = parser.safeParse(current);
        if (!parsed.success) throw new Error(`${type} data does not match schema version ${v}: ${z.prettifyError(parsed.error)}`);
        current = parsed.data;
      }
      if (v === schema.currentVersion) return { schemaVersion: v, data: current };
      current = (schema.upcasters?.[v] as Upcaster)(current);
    }
  }
}

/** The production registry: every provider event type is at schema version 1 (no upcasters yet). */
export const providerEventSchemas = new EventSchemaRegistry(Object.fromEntries(PROVIDER_EVENT_TYPES.map((type) => [type, { currentVersion: 1 }])));

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

/** Validates a stored row at the edge, parses it and upcasts its data to the current schema. */
export function decodeEventRow(raw: unknown, registry: EventSchemaRegistry): StoredEvent {
  const parsed = eventRowSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`malformed stored event: ${z.prettifyError(parsed.error)}`);
  const row = parsed.data;
  try {
    const meta = storedMetadataSchema.parse(JSON.parse(row.metadata));
    const { schemaVersion, data } = registry.upcast(row.type, row.schemaVersion, JSON.parse(row.data));
    return {
      position: row.position,
      streamId: row.streamId,
      streamVersion: row.streamVersion,
      type: row.type,
      schemaVersion,
      data,
      metadata: { occurredAt: row.occurredAt, ...meta },
      hash: row.hash,
    };
  } catch (error) {
    throw new Error(`stored event at position ${row.position} cannot be read: ${(error as Error).message}`, { cause: error });
  }
}

/** The stored event for a row just appended: the caller's data as given (it was just serialised, not re-parsed). */
export function appendedEvent(row: EventRow, data: unknown, metadata: EventMetadata): StoredEvent {
  return {
    position: row.position,
    streamId: row.streamId,
    streamVersion: row.streamVersion,
    type: row.type,
    schemaVersion: row.schemaVersion,
    data,
    metadata,
    hash: row.hash,
  };
}

/** `since` as the canonical ISO form stored times use, so that string comparison orders correctly. */
export function normaliseSince(since: string): string {
  const ms = Date.parse(since);
  if (Number.isNaN(ms)) throw new RangeError(`since is not an ISO time: ${since}`);
  return new Date(ms).toISOString();
}
