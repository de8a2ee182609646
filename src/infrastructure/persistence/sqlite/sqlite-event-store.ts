import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import {
  ConcurrencyError,
  type ChainVerification,
  type EventMetadata,
  type EventStore,
  type ExpectedVersion,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
} from '../../../application/ports/event-store.js';
import type { DomainEvent } from '../../../domain/shared/event.js';
import type { EventRegistry } from '../event-registry.js';
import { appendedEvent, checkExpectedVersion, decodeEventRow, encodeMetadata, normaliseSince } from '../event-rows.js';
import { ChainVerifier, EMPTY_HEAD, linkRows, type ChainHead, type EventRow } from '../hash-chain.js';
import { assertMigrated, prepareForWriting, UNINDEXED_TYPES, UNINDEXED_TYPES_SQL } from './migrations.js';
import { storeUnusable } from './store-problems.js';
import type { WalCheckpointerData } from './wal-checkpointer.js';

/** Options of {@link SqliteEventStore} and {@link openSqliteEventStore}. */
export interface SqliteEventStoreOptions<E extends DomainEvent> {
  /** The event types it holds: schema versions, upcasters, and the schemas events are checked against on read. */
  readonly registry: EventRegistry<E>;
  /** Open an existing store for reading only (CLI history / audit while a hangar writes); append rejects. */
  readonly readonly?: boolean | undefined;
  /** How long to wait for another connection's lock before failing with SQLITE_BUSY; default 5000 ms. */
  readonly busyTimeoutMs?: number | undefined;
  /** Checkpoint the WAL from a worker thread instead of inside appends; default true for a writable file. */
  readonly backgroundCheckpoint?: boolean | undefined;
}

/** Appends after which the background checkpointer starts (before that, SQLite's autocheckpoint). */
const CHECKPOINTER_AFTER_APPENDS = 256;
// A checkpoint on the append path costs milliseconds (two fsyncs), so a worker checkpoints every 20 ms.
// A PASSIVE checkpoint cannot restart the WAL while appends keep coming, though, so in a sustained burst
// the WAL grows until the writer's own autocheckpoint, kept as a backstop at 16384 pages (64 MB), restarts it.
const BACKSTOP_CHECKPOINT_PAGES = 16384;
const CHECKPOINT_INTERVAL_MS = 20;

const COLUMNS =
  'position, stream_id AS streamId, stream_version AS streamVersion, type, schema_version AS schemaVersion, data, metadata, occurred_at AS occurredAt, hash';
// In EventRow field order, for ChainVerifier.nextColumns.
const RAW_COLUMNS = 'position, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, hash';
// One bound parameter for any number of types, so one prepared statement serves every type filter.
const TYPE_FILTER = 'type IN (SELECT value FROM json_each(?))';

type Statement = Database.Statement<unknown[], unknown>;
type Encoded = ReturnType<typeof encodeMetadata>;
type AppendArgs = [streamId: string, events: readonly DomainEvent[], expected: ExpectedVersion, metadata: Encoded];

/**
 * The chain head and stream versions as this connection last wrote them. Valid while `PRAGMA data_version`
 * is unchanged, i.e. no other connection has committed since; checked inside each write transaction.
 */
interface WriterCache {
  readonly dataVersion: number;
  readonly head: ChainHead;
  readonly streams: Map<string, number>;
}

/**
 * The event store in one SQLite file (better-sqlite3), in WAL mode. Appends run in one BEGIN IMMEDIATE
 * transaction that checks the stream version and reads the chain head inside the lock, so several
 * connections (or processes) writing one file still form one gap-free hash chain.
 */
export class SqliteEventStore<E extends DomainEvent> implements EventStore<E> {
  private readonly db: Database.Database;
  private readonly registry: EventRegistry<E>;
  private readonly readonly: boolean;
  private readonly statements = new Map<string, Statement>();
  private readonly streamVersion: Statement;
  private readonly head: Statement;
  private readonly insert: Statement;
  private readonly dataVersion: Statement;
  private readonly appendTx: Database.Transaction<(...args: AppendArgs) => { rows: EventRow[]; cache: WriterCache }>;
  private cache: WriterCache | undefined;
  private checkpointer: { readonly worker: Worker; readonly exited: Promise<unknown> } | undefined;
  private lazyCheckpointerPath: string | undefined;
  private appendsSinceOpen = 0;

  /** Opens (and for writing, creates and migrates) the store at `path`; the parent folder must exist. */
  constructor(path: string, options: SqliteEventStoreOptions<E>) {
    this.registry = options.registry;
    this.readonly = options.readonly ?? false;
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    try {
      this.db = new Database(path, { readonly: this.readonly, fileMustExist: this.readonly });
    } catch (error) {
      throw storeUnusable(path, error);
    }
    try {
      this.db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      if (this.readonly) {
        assertMigrated(this.db);
      } else {
        prepareForWriting(this.db);
        // A quiet hangar needs no checkpoint thread (a worker costs memory and wakes 50 times a second):
        // SQLite's own autocheckpoint serves until appends pile up, then the worker takes over.
        this.db.pragma('wal_autocheckpoint = 1000');
        this.lazyCheckpointerPath = (options.backgroundCheckpoint ?? true) && !this.db.memory ? path : undefined;
      }
    } catch (error) {
      this.db.close();
      throw storeUnusable(path, error);
    }
    this.streamVersion = this.db.prepare('SELECT stream_version FROM events WHERE stream_id = ? ORDER BY stream_version DESC LIMIT 1').pluck();
    this.head = this.db.prepare('SELECT position, hash FROM events ORDER BY position DESC LIMIT 1');
    this.dataVersion = this.db.prepare('PRAGMA data_version').pluck();
    this.insert = this.db.prepare(
      'INSERT INTO events (position, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.appendTx = this.db.transaction((...args: AppendArgs) => this.appendLocked(...args));
  }

  async append<A extends E>(
    streamId: string,
    events: readonly A[],
    expectedVersion: ExpectedVersion,
    metadata: EventMetadata,
  ): Promise<readonly StoredEvent<A>[]> {
    this.assertOpen();
    if (this.readonly) throw new Error(`event store ${this.db.name} is open read-only`);
    checkExpectedVersion(expectedVersion);
    const encoded = encodeMetadata(metadata);
    try {
      const { rows, cache } = this.appendTx.immediate(streamId, events, expectedVersion, encoded);
      this.cache = cache; // only once COMMIT succeeded
      const stored = rows.map((row, i) => appendedEvent(row, events[i] as A, encoded.metadata));
      if (this.lazyCheckpointerPath !== undefined && ++this.appendsSinceOpen >= CHECKPOINTER_AFTER_APPENDS) {
        this.startCheckpointer(this.lazyCheckpointerPath);
        this.lazyCheckpointerPath = undefined;
      }
      return stored;
    } catch (error) {
      this.cache = undefined;
      throw this.failure(error);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions<E['type']> = {}): Promise<readonly StoredEvent<E>[]> {
    this.assertOpen();
    return this.reading(() => {
      let sql = `SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND stream_version >= ?`;
      const params: unknown[] = [streamId, options.fromVersion ?? 1];
      if (options.toPosition !== undefined) {
        sql += ' AND position <= ?';
        params.push(options.toPosition);
      }
      if (options.since !== undefined) {
        sql += ' AND occurred_at >= ?';
        params.push(normaliseSince(options.since));
      }
      sql += this.typesAndLimit(params, options, 'stream_version');
      return this.decodeAll(this.statement(sql).all(...params));
    });
  }

  async readAll(options: ReadAllOptions<E['type']> = {}): Promise<readonly StoredEvent<E>[]> {
    this.assertOpen();
    return this.reading(() => {
      let sql = `SELECT ${COLUMNS} FROM events WHERE position >= ?`;
      const params: unknown[] = [options.fromPosition ?? 1];
      if (options.streamPrefix !== undefined) {
        // A range on the (stream_id, stream_version) index: every id from the prefix up to the next prefix.
        sql += ' AND stream_id >= ? AND stream_id < ?';
        params.push(options.streamPrefix, nextPrefix(options.streamPrefix));
      }
      if (options.since !== undefined) {
        sql += ' AND occurred_at >= ?';
        params.push(normaliseSince(options.since));
      }
      sql += this.typesAndLimit(params, options, 'position');
      return this.decodeAll(this.statement(sql).all(...params));
    });
  }

  async lastPosition(): Promise<number> {
    this.assertOpen();
    return this.reading(() => {
      return (this.head.get() as ChainHead | undefined)?.position ?? 0;
    });
  }

  async verifyChain(): Promise<ChainVerification> {
    this.assertOpen();
    return this.reading(() => {
      const verifier = new ChainVerifier();
      // One statement reads one snapshot, even while another connection appends; raw rows spare an object each.
      const rows = this.statement(`SELECT ${RAW_COLUMNS} FROM events ORDER BY position`).raw().iterate() as IterableIterator<unknown[]>;
      for (const row of rows) if (!verifier.nextColumns(row)) break;
      return verifier.result();
    });
  }

  async close(): Promise<void> {
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    if (checkpointer !== undefined) {
      // The worker closes its connection first, so that ours is the last and its close folds the WAL back.
      checkpointer.worker.ref(); // otherwise nothing keeps the process alive until the worker has exited
      checkpointer.worker.postMessage('stop');
      await checkpointer.exited;
    }
    if (this.db.open) this.db.close();
  }

  private appendLocked(streamId: string, events: readonly DomainEvent[], expectedVersion: ExpectedVersion, encoded: Encoded) {
    const dataVersion = this.dataVersion.get() as number;
    const known = this.cache?.dataVersion === dataVersion ? this.cache : undefined;
    const head = known?.head ?? (this.head.get() as ChainHead | undefined) ?? EMPTY_HEAD;
    const actual = known?.streams.get(streamId) ?? (this.streamVersion.get(streamId) as number | undefined) ?? 0;
    if (expectedVersion !== 'any' && expectedVersion !== actual) throw new ConcurrencyError(streamId, expectedVersion, actual);
    const stamp = { occurredAt: encoded.metadata.occurredAt, metadata: encoded.json, versionOf: this.versionOf };
    const rows: EventRow[] = [];
    const last = linkRows(head, streamId, actual, events, stamp, (row) => {
      this.insert.run(row.position, row.streamId, row.streamVersion, row.type, row.schemaVersion, row.data, row.metadata, row.occurredAt, row.hash);
      rows.push(row);
    });
    const streams = known?.streams ?? new Map<string, number>();
    streams.set(streamId, actual + events.length);
    return { rows, cache: { dataVersion, head: last, streams } };
  }

  private readonly versionOf = (type: string): number => this.registry.currentVersion(type);

  /** Runs a read; an SQLite failure in it names the file (see {@link failure}). */
  private reading<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** An SQLite failure names the file and says what to do; anything else (a conflict, a bad argument) passes as it is. */
  private failure(error: unknown): unknown {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && code.startsWith('SQLITE_') ? storeUnusable(this.db.name, error) : error;
  }

  private startCheckpointer(path: string): void {
    this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    const workerData: WalCheckpointerData = { path: resolve(path), intervalMs: CHECKPOINT_INTERVAL_MS };
    const worker = new Worker(new URL('./wal-checkpointer.js', import.meta.url), { workerData });
    // A failed worker leaves the backstop autocheckpoint in charge; nothing else depends on it.
    worker.on('error', () => undefined);
    worker.unref();
    this.checkpointer = { worker, exited: new Promise((resolve) => worker.once('exit', resolve)) };
  }

  private typesAndLimit(params: unknown[], options: { readonly types?: readonly string[]; readonly limit?: number }, orderBy: string): string {
    let sql = '';
    if (options.types !== undefined) {
      sql += ` AND ${TYPE_FILTER}`;
      params.push(JSON.stringify(options.types));
      // Repeating the partial index's condition lets the planner use it for the (rare) lifecycle types.
      if (options.types.every((type) => !UNINDEXED_TYPES.includes(type))) sql += ` AND ${UNINDEXED_TYPES_SQL}`;
    }
    sql += ` ORDER BY ${orderBy}`;
    if (options.limit !== undefined) {
      if (!Number.isInteger(options.limit) || options.limit < 0) throw new RangeError(`limit must be an integer >= 0, got ${options.limit}`);
      sql += ' LIMIT ?';
      params.push(options.limit);
    }
    return sql;
  }

  private decodeAll(rows: unknown[]): StoredEvent<E>[] {
    return rows.map((row) => decodeEventRow(row, this.registry));
  }

  /** Prepared once per distinct SQL text (the filter combinations are few). */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private assertOpen(): void {
    if (!this.db.open) throw new Error(`event store ${this.db.name} is closed`);
  }
}

/**
 * Opens the SQLite event store at `path`, creating its parent folder (and the file, migrated) unless
 * `readonly` is set, in which case the file must exist and be migrated already.
 */
export function openSqliteEventStore<E extends DomainEvent>(path: string, options: SqliteEventStoreOptions<E>): SqliteEventStore<E> {
  try {
    if (!options.readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw storeUnusable(path, error);
  }
  return new SqliteEventStore(path, options);
}

/** The smallest string above every string that starts with `prefix`. */
const nextPrefix = (prefix: string): string => prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
