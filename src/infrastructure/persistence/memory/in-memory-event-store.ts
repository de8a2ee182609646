import {
  ConcurrencyError,
  type ChainVerification,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
} from '../../../application/ports/event-store.js';
import { appendedEvent, decodeEventRow, encodeMetadata, normaliseSince, providerEventSchemas, type EventSchemaRegistry } from '../event-schemas.js';
import { ChainVerifier, EMPTY_HEAD, linkRows, type EventRow } from '../hash-chain.js';

/** The rows of an in-memory store, as the SQLite store would hold them (JSON text, hashes). */
export class InMemoryEventLog {
  readonly rows: EventRow[] = [];
  readonly streams = new Map<string, EventRow[]>();
}

/** Options of {@link InMemoryEventStore}. */
export interface InMemoryEventStoreOptions {
  /** Schema versions and upcasters; default: the provider event registry. */
  readonly registry?: EventSchemaRegistry | undefined;
  /** The rows to keep; hand one store's `log` to a new store to simulate a restart over the same data. */
  readonly log?: InMemoryEventLog | undefined;
}

/**
 * An EventStore in memory for tests and ephemeral runs. It stores rows exactly like the SQLite store
 * (serialised, hash-chained, upcast on read), so it behaves the same under the contract tests.
 */
export class InMemoryEventStore implements EventStore {
  /** The stored rows (shared with any store opened over the same log). */
  readonly log: InMemoryEventLog;
  private readonly registry: EventSchemaRegistry;
  private closed = false;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.registry = options.registry ?? providerEventSchemas;
    this.log = options.log ?? new InMemoryEventLog();
  }

  async append(streamId: string, events: readonly NewEvent[], expectedVersion: ExpectedVersion, metadata: EventMetadata): Promise<readonly StoredEvent[]> {
    this.assertOpen();
    if (expectedVersion !== 'any' && !(Number.isInteger(expectedVersion) && expectedVersion >= 0)) {
      throw new RangeError(`expectedVersion must be an integer >= 0 or 'any', got ${String(expectedVersion)}`);
    }
    const encoded = encodeMetadata(metadata);
    const stream = this.log.streams.get(streamId);
    const actual = stream?.length ?? 0;
    if (expectedVersion !== 'any' && expectedVersion !== actual) throw new ConcurrencyError(streamId, expectedVersion, actual);
    const stamp = { occurredAt: encoded.metadata.occurredAt, metadata: encoded.json, versionOf: (type: string) => this.registry.currentVersion(type) };
    // Encode every row before touching the log, so a failure half-way leaves nothing written.
    const rows: EventRow[] = [];
    linkRows(this.log.rows.at(-1) ?? EMPTY_HEAD, streamId, actual, events, stamp, (row) => rows.push(row));
    for (const row of rows) this.log.rows.push(row);
    if (stream === undefined) {
      if (rows.length > 0) this.log.streams.set(streamId, rows);
    } else {
      for (const row of rows) stream.push(row);
    }
    return rows.map((row, i) => appendedEvent(row, events[i]?.data, encoded.metadata));
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<readonly StoredEvent[]> {
    this.assertOpen();
    const fromVersion = options.fromVersion ?? 1;
    const toPosition = options.toPosition ?? Infinity;
    const since = options.since === undefined ? undefined : normaliseSince(options.since);
    const types = options.types === undefined ? undefined : new Set(options.types);
    const rows = (this.log.streams.get(streamId) ?? []).filter(
      (row) =>
        row.streamVersion >= fromVersion &&
        row.position <= toPosition &&
        (since === undefined || row.occurredAt >= since) &&
        (types === undefined || types.has(row.type)),
    );
    return this.decode(rows, options.limit);
  }

  async readAll(options: ReadAllOptions = {}): Promise<readonly StoredEvent[]> {
    this.assertOpen();
    const fromPosition = options.fromPosition ?? 1;
    const types = options.types === undefined ? undefined : new Set(options.types);
    const rows = this.log.rows.filter((row) => row.position >= fromPosition && (types === undefined || types.has(row.type)));
    return this.decode(rows, options.limit);
  }

  async lastPosition(): Promise<number> {
    this.assertOpen();
    return this.log.rows.at(-1)?.position ?? 0;
  }

  async verifyChain(): Promise<ChainVerification> {
    this.assertOpen();
    const verifier = new ChainVerifier();
    for (const row of this.log.rows) if (!verifier.next(row)) break;
    return verifier.result();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private decode(rows: readonly EventRow[], limit: number | undefined): StoredEvent[] {
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new RangeError(`limit must be an integer >= 0, got ${limit}`);
    return rows.slice(0, limit).map((row) => decodeEventRow(row, this.registry));
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event store is closed');
  }
}
