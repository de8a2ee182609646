import { z } from 'zod';
import type { DomainEvent } from '../../domain/shared/event.js';

/** Turns the data of one schema version into the data of the next (n → n+1). */
export type Upcaster = (data: unknown) => unknown;

/** What the store knows about one event type: the schema of its data, its version, and how older versions are read. */
export interface EventTypeSchema<D> {
  /** The data of the current version. Every event read back is checked against it. */
  readonly schema: z.ZodType<D>;
  /** The version new events of this type are stamped with; default 1. */
  readonly currentVersion?: number;
  /** `upcasters[n]` turns version n into n+1; one for every version below the current one. */
  readonly upcasters?: Readonly<Record<number, Upcaster>>;
  /** Schemas of older versions' data, checked before that version is upcast (optional per version). */
  readonly olderSchemas?: Readonly<Record<number, z.ZodType>>;
}

/** One schema for every event type of the union `E`: a type without one does not compile. */
export type EventSchemas<E extends DomainEvent> = { readonly [T in E['type']]: EventTypeSchema<Extract<E, { readonly type: T }>['data']> };

/**
 * The event types a store holds, their schema versions, and how stored events are decoded: the one place
 * where JSON read back becomes a typed event. Given to each store by the composition root.
 */
export class EventRegistry<E extends DomainEvent> {
  private readonly types: ReadonlyMap<string, EventTypeSchema<unknown> & { readonly currentVersion: number }>;

  /** Throws when a type is missing an upcaster for one of its older versions. */
  constructor(schemas: EventSchemas<E>) {
    const types = new Map<string, EventTypeSchema<unknown> & { readonly currentVersion: number }>();
    for (const [type, schema] of Object.entries<EventTypeSchema<unknown>>(schemas)) {
      const currentVersion = schema.currentVersion ?? 1;
      if (!Number.isInteger(currentVersion) || currentVersion < 1) throw new RangeError(`event type ${type}: currentVersion must be an integer >= 1`);
      for (let v = 1; v < currentVersion; v++) {
        if (typeof schema.upcasters?.[v] !== 'function') throw new Error(`event type ${type}: no upcaster from version ${v} to ${v + 1}`);
      }
      types.set(type, { ...schema, currentVersion });
    }
    this.types = types;
  }

  /** The version new events of `type` are stamped with; throws for a type this registry does not hold. */
  currentVersion(type: string): number {
    return this.schemaOf(type).currentVersion;
  }

  /**
   * Brings `data`, stored at `version`, to the current version of `type`, one step at a time, and checks
   * it against the current schema. Throws, saying why, for an unknown type, a version newer than this
   * build knows, or data that fails a schema.
   */
  decode(type: string, version: number, data: unknown): { readonly schemaVersion: number; readonly event: E } {
    const schema = this.schemaOf(type);
    if (version > schema.currentVersion) {
      throw new Error(`${type} schema version ${version} is newer than this build knows (${schema.currentVersion}): written by a newer mcp-hangar?`);
    }
    let current = data;
    for (let v = version; v < schema.currentVersion; v++) {
      current = parse(schema.olderSchemas?.[v], current, type, v);
      current = (schema.upcasters?.[v] as Upcaster)(current);
    }
    const checked = parse(schema.schema, current, type, schema.currentVersion);
    // The schema registered for `type` is typed by the union member of that type (EventSchemas<E>).
    return { schemaVersion: schema.currentVersion, event: { type, data: checked } as E };
  }

  private schemaOf(type: string): EventTypeSchema<unknown> & { readonly currentVersion: number } {
    const schema = this.types.get(type);
    if (schema === undefined) throw new Error(`event type ${type} is unknown to this build: written by a newer mcp-hangar?`);
    return schema;
  }
}

const parse = (schema: z.ZodType | undefined, data: unknown, type: string, version: number): unknown => {
  if (schema === undefined) return data;
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new Error(`${type} data does not match its schema (version ${version}): ${z.prettifyError(parsed.error)}`);
  return parsed.data;
};
