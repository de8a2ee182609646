import type { DomainEvent } from '../../domain/shared/event.js';

/** Facts about an append that are not part of the domain event. */
export interface EventMetadata {
  /** ISO-8601 time the fact happened, from the application's clock. */
  readonly occurredAt: string;
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
  /** Who asked (an HTTP caller's token name or JWT subject); absent over stdio, where the one client is the user. */
  readonly caller?: string | undefined;
}

/** What the store adds around a domain event. */
export interface Envelope {
  /** Global order across all streams, from 1, gap-free within one store until a prune removes per-call events. */
  readonly position: number;
  readonly streamId: string;
  /** Version within the stream, from 1; unique per stream. */
  readonly streamVersion: number;
  /** Schema version of `data` as returned (always the current one: old rows are upcast on read). */
  readonly schemaVersion: number;
  readonly metadata: EventMetadata;
  /** Hex SHA-256 over the previous row's hash and this row's content, as stored. */
  readonly hash: string;
}

/**
 * An event as stored: the domain event in its envelope. Over a union of events this is a union too, so
 * `switch (event.type)` narrows `data`. Events read back have been checked against their type's schema.
 */
export type StoredEvent<E extends DomainEvent = DomainEvent> = Envelope & E;

/** `expectedVersion`: the stream's current version (0 for a stream with no events), or `any`. */
export type ExpectedVersion = number | 'any';

/** Thrown by `append` when the stream's version is not the expected one; nothing is written. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`stream ${streamId} is at version ${actualVersion}, expected ${expectedVersion}`);
  }
}

export interface ReadStreamOptions<T extends string = string> {
  /** First stream version to return (inclusive); default 1. */
  readonly fromVersion?: number;
  /** Only events at or after this global position. */
  readonly fromPosition?: number;
  /** Only events at or before this global position. */
  readonly toPosition?: number;
  /** Only events that occurred at or after this ISO time. */
  readonly since?: string;
  /** Only events that occurred at or before this ISO time. */
  readonly until?: string;
  /** Only these event types. */
  readonly types?: readonly T[];
  /** At most this many events (from the start of the range; from its end when reading backward). */
  readonly limit?: number;
  /** Newest first: with a limit, the last `limit` events of the range. */
  readonly backward?: boolean;
}

export interface ReadAllOptions<T extends string = string> {
  /** First global position to return (inclusive); default 1. */
  readonly fromPosition?: number;
  /** Only streams whose id starts with this (all the streams of one provider, say). */
  readonly streamPrefix?: string;
  /** Only events at or before this global position. */
  readonly toPosition?: number;
  /** Only events that occurred at or after this ISO time. */
  readonly since?: string;
  /** Only events that occurred at or before this ISO time. */
  readonly until?: string;
  readonly types?: readonly T[];
  /** At most this many events (from the start of the range; from its end when reading backward). */
  readonly limit?: number;
  /** Newest first (descending position): with a limit, the last `limit` events of the range. */
  readonly backward?: boolean;
}

/** A prune of the store: the per-call events up to a position were removed; an export holds them. */
export interface PruneRecord {
  /** Per-call events at or before this position were removed (the newest event of each stream was kept). */
  readonly throughPosition: number;
  /** When the event at that position occurred, and its hash (the row after it links to it; exports after the prune start there). */
  readonly throughTime: string;
  readonly throughHash: string;
  /** The point the prune was asked for (`--before`), as given. */
  readonly before: string;
  /** Where the export that holds them was written, and its SHA-256. */
  readonly exportPath: string;
  readonly exportSha256: string;
  /** How many events were removed. */
  readonly events: number;
  readonly prunedAt: string;
}

/** A row of the hash chain by position and hash: the head of a store, or an anchor taken of it. */
export interface ChainHead {
  readonly position: number;
  readonly hash: string;
}

/**
 * The outcome of checking the hash chain over the global order: the number of rows verified, or the first
 * break (the position and why). `resumeAt` is the row the break was found at (the altered row, or the row
 * after a gap), to verify on from it past a break that was accepted; absent when there is none to go on from.
 */
export type ChainVerification =
  | { readonly ok: true; readonly count: number }
  | { readonly ok: false; readonly count: number; readonly position: number; readonly reason: string; readonly resumeAt?: ChainHead };

/**
 * The append-only log of every domain event of the union `E`. Reads of any size never hold the caller's
 * event loop for long: an adapter returns a large read in pages, letting other work run between them. Appends to one stream are atomic and
 * guarded by optimistic concurrency; every event gets a global position and a link in a hash chain.
 * Every event read back has passed its type's schema (after upcasting); a stored event that does not is
 * an error naming its position, never a silently wrong value.
 */
export interface EventStore<E extends DomainEvent = DomainEvent> {
  /**
   * Appends `events` to `streamId` atomically, if the stream is at `expectedVersion`.
   * Resolves to the stored events (with positions and hashes) once they are durable.
   * Rejects with ConcurrencyError (nothing written) when the stream moved on.
   */
  append<A extends E>(streamId: string, events: readonly A[], expectedVersion: ExpectedVersion, metadata: EventMetadata): Promise<readonly StoredEvent<A>[]>;
  /** The events of one stream in stream order, upcast to their current schema. */
  readStream(streamId: string, options?: ReadStreamOptions<E['type']>): Promise<readonly StoredEvent<E>[]>;
  /** Events of all streams (or of the streams with a prefix) in global order, upcast to their current schema. */
  readAll(options?: ReadAllOptions<E['type']>): Promise<readonly StoredEvent<E>[]>;
  /** The ids of the streams that start with `prefix` (every instance stream of one provider, say), sorted. */
  streamIds(prefix: string): Promise<readonly string[]>;
  /** The prunes made on this store, oldest first (none for a store that never pruned). */
  prunes(): Promise<readonly PruneRecord[]>;
  /** The highest global position (0 when empty). */
  lastPosition(): Promise<number>;
  /**
   * Recomputes the hash chain and reports the first break: over every stored row, or, given `from` (an
   * anchor: a row the caller trusts), from that row to the head. The row at `from.position` must be there
   * with `from.hash`, else the break is at `from.position` (its rows were deleted or truncated, or replaced);
   * `count` then counts the rows verified after it.
   */
  verifyChain(from?: ChainHead): Promise<ChainVerification>;
  /** The stored hash of the row at `position`; undefined when there is no such row. */
  hashAt(position: number): Promise<string | undefined>;
  /** Releases the store; further calls fail. */
  close(): Promise<void>;
}
