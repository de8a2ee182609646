import {
  ConcurrencyError,
  type ChainHead,
  type ChainVerification,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type PruneRecord,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
} from '../../../application/ports/event-store.js';
import {
  UnknownInvocationCursor,
  type InvocationAudit,
  type InvocationFilter,
  type InvocationPage,
  type InvocationRecord,
} from '../../../application/ports/invocation-audit.js';
import { parseStreamId } from '../../../domain/shared/streams.js';
import type { DomainEvent } from '../../../domain/shared/event.js';
import type { EventRegistry } from '../event-registry.js';
import { appendedEvent, checkExpectedVersion, decodeEventRow, encodeMetadata, normaliseSince } from '../event-rows.js';
import { EMPTY_HEAD, linkRows, verifyColumns, type EventRow } from '../hash-chain.js';
import { INVOCATION_TYPES, invocationRecord, matchesInvocation, newestFirst, outcomeOf, recordedArguments } from '../invocation-records.js';

/** The rows of an in-memory store, as the SQLite store would hold them (JSON text, hashes). */
export class InMemoryEventLog {
  readonly rows: EventRow[] = [];
  readonly streams = new Map<string, EventRow[]>();
}

/** The appends of one turn: the streams an append failed on, and how to settle each append, in order. */
interface Batch {
  readonly failed: Set<string>;
  readonly settle: (() => void)[];
}

/** Options of {@link InMemoryEventStore}. */
export interface InMemoryEventStoreOptions<E extends DomainEvent> {
  /** The event types it holds: schema versions, upcasters, and the schemas events are checked against on read. */
  readonly registry: EventRegistry<E>;
  /** The rows to keep; hand one store's `log` to a new store to simulate a restart over the same data. */
  readonly log?: InMemoryEventLog | undefined;
}

/**
 * An EventStore in memory for tests and ephemeral runs. It stores rows exactly like the SQLite store
 * (serialised, hash-chained, upcast and checked on read), so it behaves the same under the contract tests.
 * It writes each append at once, but settles it, as the SQLite store does, at the end of the turn it was
 * made in, and keeps the same batch rule: once an append to a stream has failed, the later appends to that
 * stream in the same turn fail with ConcurrencyError, unless their expected version is `any`.
 */
export class InMemoryEventStore<E extends DomainEvent> implements EventStore<E>, InvocationAudit {
  /** The stored rows (shared with any store opened over the same log). */
  readonly log: InMemoryEventLog;
  private readonly registry: EventRegistry<E>;
  private closed = false;
  /** The appends of the current turn; undefined between batches. */
  private current: Batch | undefined;

  constructor(options: InMemoryEventStoreOptions<E>) {
    this.registry = options.registry;
    this.log = options.log ?? new InMemoryEventLog();
  }

  async append<A extends E>(
    streamId: string,
    events: readonly A[],
    expectedVersion: ExpectedVersion,
    metadata: EventMetadata,
  ): Promise<readonly StoredEvent<A>[]> {
    this.assertOpen();
    checkExpectedVersion(expectedVersion);
    const encoded = encodeMetadata(metadata);
    const batch = this.batch();
    let outcome: { readonly stored: readonly StoredEvent<A>[] } | { readonly error: unknown };
    try {
      outcome = { stored: this.write(streamId, events, expectedVersion, encoded, batch.failed) };
    } catch (error) {
      batch.failed.add(streamId);
      outcome = { error };
    }
    return new Promise((resolve, reject) => batch.settle.push(() => ('error' in outcome ? reject(outcome.error) : resolve(outcome.stored))));
  }

  /**
   * The current batch: like the SQLite store's, it starts at an append and ends at the next tick, and its
   * appends settle only then, so that whatever reacts to an outcome belongs to a later batch.
   */
  private batch(): Batch {
    if (this.current === undefined) {
      const batch: Batch = { failed: new Set(), settle: [] };
      this.current = batch;
      process.nextTick(() => {
        this.current = undefined;
        for (const settle of batch.settle) settle();
      });
    }
    return this.current;
  }

  private write<A extends E>(
    streamId: string,
    events: readonly A[],
    expectedVersion: ExpectedVersion,
    encoded: ReturnType<typeof encodeMetadata>,
    failed: ReadonlySet<string>,
  ): StoredEvent<A>[] {
    const stream = this.log.streams.get(streamId);
    const actual = stream?.length ?? 0;
    if (expectedVersion !== 'any' && (expectedVersion !== actual || failed.has(streamId))) throw new ConcurrencyError(streamId, expectedVersion, actual);
    const stamp = { occurredAt: encoded.metadata.occurredAt, metadata: encoded.json, versionOf: (type: string) => this.registry.currentVersion(type) };
    // Encode every row before touching the log, so a failure half-way leaves nothing written.
    const stored: StoredEvent<A>[] = [];
    const rows: EventRow[] = [];
    linkRows(this.log.rows.at(-1) ?? EMPTY_HEAD, streamId, actual, events, stamp, (row, event) => {
      rows.push(row);
      stored.push(appendedEvent(row, event, encoded.metadata));
    });
    for (const row of rows) this.log.rows.push(row);
    if (stream === undefined) {
      if (rows.length > 0) this.log.streams.set(streamId, rows);
    } else {
      for (const row of rows) stream.push(row);
    }
    return stored;
  }

  async readStream(streamId: string, options: ReadStreamOptions<E['type']> = {}): Promise<readonly StoredEvent<E>[]> {
    this.assertOpen();
    const fromVersion = options.fromVersion ?? 1;
    const fromPosition = options.fromPosition ?? 1;
    const toPosition = options.toPosition ?? Infinity;
    const keep = this.filter(options);
    const rows = (this.log.streams.get(streamId) ?? []).filter(
      (row) => row.streamVersion >= fromVersion && row.position >= fromPosition && row.position <= toPosition && keep(row),
    );
    return this.decode(rows, options);
  }

  async readAll(options: ReadAllOptions<E['type']> = {}): Promise<readonly StoredEvent<E>[]> {
    this.assertOpen();
    const fromPosition = options.fromPosition ?? 1;
    const toPosition = options.toPosition ?? Infinity;
    const { streamPrefix } = options;
    const keep = this.filter(options);
    const rows = this.log.rows.filter(
      (row) => row.position >= fromPosition && row.position <= toPosition && (streamPrefix === undefined || row.streamId.startsWith(streamPrefix)) && keep(row),
    );
    return this.decode(rows, options);
  }

  async streamIds(prefix: string): Promise<readonly string[]> {
    this.assertOpen();
    return [...this.log.streams.keys()].filter((id) => id.startsWith(prefix)).sort();
  }

  async prunes(): Promise<readonly PruneRecord[]> {
    this.assertOpen();
    return [];
  }

  async lastPosition(): Promise<number> {
    this.assertOpen();
    return this.log.rows.at(-1)?.position ?? 0;
  }

  /** Recorded tool calls, newest first: a scan of every row (the SQLite store keeps a read model instead). */
  async invocations(filter: InvocationFilter): Promise<InvocationPage> {
    this.assertOpen();
    const all: InvocationRecord[] = [];
    for (const row of this.log.rows) {
      const record = invocationOf(row);
      if (record !== null) all.push(record);
    }
    let cursor: InvocationRecord | undefined;
    if (filter.before !== undefined) {
      cursor = all.find((record) => record.position === filter.before);
      if (cursor === undefined) throw new UnknownInvocationCursor(filter.before);
    }
    const matching = all.filter((record) => matchesInvocation(record, filter, cursor)).sort(newestFirst);
    const page = matching.slice(0, filter.limit);
    return { invocations: page, nextBefore: matching.length > filter.limit ? (page[page.length - 1] as InvocationRecord).position : null };
  }

  async verifyChain(from?: ChainHead): Promise<ChainVerification> {
    this.assertOpen();
    const start = from?.position ?? 0;
    const rows = this.log.rows
      .filter((row) => row.position >= start)
      .map((r) => [r.position, r.streamId, r.streamVersion, r.type, r.schemaVersion, r.data, r.metadata, r.occurredAt, r.hash]);
    return verifyColumns(rows, from, () => this.log.rows.at(-1)?.position ?? 0);
  }

  async hashAt(position: number): Promise<string | undefined> {
    this.assertOpen();
    return this.log.rows.find((row) => row.position === position)?.hash;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The time and type filters shared by both reads. */
  private filter(options: { readonly since?: string; readonly until?: string; readonly types?: readonly string[] }): (row: EventRow) => boolean {
    const since = options.since === undefined ? undefined : normaliseSince(options.since);
    const until = options.until === undefined ? undefined : normaliseSince(options.until);
    const types = options.types === undefined ? undefined : new Set<string>(options.types);
    return (row) =>
      (since === undefined || row.occurredAt >= since) && (until === undefined || row.occurredAt <= until) && (types === undefined || types.has(row.type));
  }

  private decode(rows: readonly EventRow[], options: { readonly limit?: number; readonly backward?: boolean }): StoredEvent<E>[] {
    const { limit } = options;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new RangeError(`limit must be an integer >= 0, got ${limit}`);
    const ordered = options.backward === true ? [...rows].reverse() : rows;
    return ordered.slice(0, limit).map((row) => decodeEventRow(row, this.registry));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event store is closed');
  }
}

/** The recorded call a row holds, or null when it holds none (another type, not a provider stream). */
const invocationOf = (row: EventRow): InvocationRecord | null => {
  if (!INVOCATION_TYPES.includes(row.type)) return null;
  const stream = parseStreamId(row.streamId);
  if (stream?.kind !== 'provider') return null;
  const data = JSON.parse(row.data) as Record<string, unknown>;
  const metadata = JSON.parse(row.metadata) as Record<string, unknown>;
  return invocationRecord(
    {
      position: row.position,
      provider: stream.provider,
      instance: stream.instance,
      tool: data['tool'],
      outcome: outcomeOf(row.type, data),
      durationMs: data['durationMs'],
      occurredAt: row.occurredAt,
      caller: metadata['caller'],
      correlationId: data['correlationId'],
    },
    { arguments: recordedArguments(data['arguments']), argumentsDigest: typeof data['argumentsDigest'] === 'string' ? data['argumentsDigest'] : null },
  );
};
