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
  type PruneRecord,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
} from '../../../application/ports/event-store.js';
import type { InvocationAudit, InvocationFilter, InvocationPage } from '../../../application/ports/invocation-audit.js';
import type { ExportBefore } from '../../../application/ports/event-archive.js';
import type { DomainEvent } from '../../../domain/shared/event.js';
import type { EventRegistry } from '../event-registry.js';
import { appendedEvent, checkExpectedVersion, decodeEventRow, encodeMetadata, normaliseSince } from '../event-rows.js';
import { EMPTY_HEAD, HASH_INPUT_SQL, linkRows, verifyPages, type ChainHead, type EventRow, type HashedPages } from '../hash-chain.js';
import { assertMigrated, prepareForWriting, UNINDEXED_TYPES, UNINDEXED_TYPES_SQL } from './migrations.js';
import type { PruneOrder } from '../../../application/ports/history-retention.js';
import type { SnapshotStore } from '../../../application/ports/snapshot-store.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';
import { pruneCalls, readChainLinks, readPrunes } from './retention.js';
import { SqliteInvocations } from './sqlite-invocations.js';
import { StatementCache, yieldTurn } from './sqlite-support.js';
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

/**
 * Rows per page of a read; between pages a read lets the event loop run. A page of 500 decodes in 2-5 ms on
 * these machines, so a call that arrives during a long read waits at most that long.
 */
const READ_PAGE = 500;

/** Appends after which the background checkpointer starts (before that, SQLite's autocheckpoint). */
const CHECKPOINTER_AFTER_APPENDS = 256;
// A checkpoint on the append path costs milliseconds (two fsyncs), so a worker checkpoints every 100 ms
// (it copies only the newest version of each page, so a longer interval copies the hot tail pages fewer
// times: at 20 ms the worker took about 4 % of the CPU of a busy hangar).
// A PASSIVE checkpoint cannot restart the WAL while appends keep coming, though, so in a sustained burst
// the WAL grows until the writer's own autocheckpoint, kept as a backstop at 16384 pages (64 MB), restarts it.
const BACKSTOP_CHECKPOINT_PAGES = 16384;
const CHECKPOINT_INTERVAL_MS = 100;
// The audit read model (`invocations`) is read from the events in batches off the latency path: a batch
// starts in the turn after this many events were committed, or after the idle delay for fewer; one batch
// (one transaction) reads at most CATCH_UP_SLICE events, so that it holds the thread for about a millisecond
// or two, and the next slice runs in a later turn, after whatever calls came meanwhile.
const CATCH_UP_AFTER_EVENTS = 256;
const CATCH_UP_IDLE_MS = 500;
const CATCH_UP_SLICE = 512;

const COLUMNS =
  'position, stream_id AS streamId, stream_version AS streamVersion, type, schema_version AS schemaVersion, data, metadata, occurred_at AS occurredAt, hash';
/** Rows a verification reads at a time: pages of this size cost less than one long iteration (measured). */
const VERIFY_PAGE_ROWS = 1000;
// In EventRow field order, for ChainVerifier.nextColumns.
const RAW_COLUMNS = 'position, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, hash';
// One bound parameter for any number of types, so one prepared statement serves every type filter.
const TYPE_FILTER = 'type IN (SELECT value FROM json_each(?))';

type Statement = Database.Statement<unknown[], unknown>;
type Encoded = ReturnType<typeof encodeMetadata>;

/** An append waiting for the flush of its batch. */
interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly DomainEvent[];
  readonly expected: ExpectedVersion;
  readonly encoded: Encoded;
  readonly resolve: (stored: readonly StoredEvent[]) => void;
  readonly reject: (error: unknown) => void;
}

/** What one append of a batch came to inside the transaction: its rows, or why it was rolled back. */
type AppendOutcome = { readonly rows: readonly EventRow[] } | { readonly error: unknown };

/** The rows one append wrote, and the chain head and stream version after them. */
interface Written {
  readonly rows: readonly EventRow[];
  readonly head: ChainHead;
  readonly version: number;
}

/** What a batch's transaction returns: one outcome per append, and the cache to keep once COMMIT succeeded. */
interface BatchResult {
  readonly outcomes: readonly AppendOutcome[];
  readonly cache: WriterCache;
}

/**
 * The chain head and stream versions as this connection last wrote them. Valid while `PRAGMA data_version`
 * is unchanged, i.e. no other connection has committed since; checked inside each write transaction.
 * A batch moves its head and versions on append by append, and keeps it only once COMMIT succeeded.
 */
interface WriterCache {
  readonly dataVersion: number;
  head: ChainHead;
  readonly streams: Map<string, number>;
}

/**
 * The event store in one SQLite file (better-sqlite3), in WAL mode. Appends are committed in groups: the
 * appends made in one turn of the event loop share one BEGIN IMMEDIATE transaction (group commit), which
 * checks each stream version and reads the chain head inside the lock, so several connections (or
 * processes) writing one file still form one gap-free hash chain.
 *
 * - An append resolves only once the COMMIT of its batch has succeeded (WAL, synchronous = NORMAL: the
 *   commit is in the WAL file, which survives a crash or SIGKILL of the process, not a power loss).
 * - Each append of a batch is checked and encoded (its rows linked) before any of its rows is inserted:
 *   one that fails (a ConcurrencyError, a row that cannot be encoded) writes nothing, leaves no gap in
 *   positions and no link in the chain, and the others commit. (No savepoint per append is needed: only
 *   SQLite itself can fail after that, and then the transaction rolls back and the batch fails whole.) Once an append to a stream has failed, every later append to that stream in
 *   the same batch fails with ConcurrencyError (unless its expected version is `any`): it was decided
 *   against a state that assumed the failed one, and must not commit on a version that merely matches.
 * - When the transaction itself fails (COMMIT, SQLITE_BUSY, a full disk), every append of the batch
 *   rejects with the same error.
 * - Reads run at once and see only committed data: not the appends still waiting for their batch.
 */
export class SqliteEventStore<E extends DomainEvent> implements EventStore<E>, InvocationAudit {
  private readonly db: Database.Database;
  private readonly registry: EventRegistry<E>;
  private readonly readonly: boolean;
  private readonly statements: StatementCache;
  private readonly streamVersion: Statement;
  private readonly head: Statement;
  private readonly insert: Statement;
  private readonly dataVersion: Statement;
  /** The outer transaction of a batch (BEGIN IMMEDIATE ... COMMIT). */
  private readonly batchTx: Database.Transaction<(batch: readonly PendingAppend[]) => BatchResult>;
  private cache: WriterCache | undefined;
  /** The appends of the current turn, committed together by {@link flush}. */
  private pending: PendingAppend[] = [];
  /** Set by close(): appends are refused from then on. */
  private closing = false;
  private checkpointer: { readonly worker: Worker; readonly exited: Promise<unknown> } | undefined;
  private lazyCheckpointerPath: string | undefined;
  private appendsSinceOpen = 0;
  private snapshotStore: SqliteSnapshotStore | undefined;
  /** The audit read model kept in this file. */
  private readonly model: SqliteInvocations;
  /** Events this connection committed since the read model last caught up (an estimate: others write too). */
  private eventsBehind = 0;
  private catchUpTimer: ReturnType<typeof setTimeout> | undefined;
  private catchUpSoon = false;

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
    this.statements = new StatementCache(this.db);
    this.streamVersion = this.db.prepare('SELECT stream_version FROM events WHERE stream_id = ? ORDER BY stream_version DESC LIMIT 1').pluck();
    this.head = this.db.prepare('SELECT position, hash FROM events ORDER BY position DESC LIMIT 1');
    this.dataVersion = this.db.prepare('PRAGMA data_version').pluck();
    this.insert = this.db.prepare(
      'INSERT INTO events (position, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.batchTx = this.db.transaction((batch: readonly PendingAppend[]) => this.commitLocked(batch));
    this.model = new SqliteInvocations(this.db, this.statements);
    // What a hangar that ended without closing left unread, the first batch reads.
    if (!this.readonly) this.requestCatchUp(0);
  }

  /**
   * Checks the arguments at once, then queues the append for the batch of this turn; resolves once the
   * batch's COMMIT succeeded (see the class comment).
   */
  async append<A extends E>(
    streamId: string,
    events: readonly A[],
    expectedVersion: ExpectedVersion,
    metadata: EventMetadata,
  ): Promise<readonly StoredEvent<A>[]> {
    this.assertOpen();
    if (this.closing) throw new Error(`event store ${this.db.name} is closed`);
    if (this.readonly) throw new Error(`event store ${this.db.name} is open read-only`);
    checkExpectedVersion(expectedVersion);
    const encoded = encodeMetadata(metadata);
    return new Promise<readonly StoredEvent<A>[]>((resolve, reject) => {
      const append: PendingAppend = { streamId, events, expected: expectedVersion, encoded, resolve: resolve as PendingAppend['resolve'], reject };
      // The first append of a batch schedules its flush. A nextTick queued from a promise continuation runs
      // once the whole microtask queue has drained, before the event loop moves on (no timer, no I/O in
      // between): so a lone append commits at once, and every append made by the continuations of the same
      // turn joins its batch. (Queued from plain synchronous code, the tick runs before the pending
      // continuations; their appends form the next batch, flushed in the same turn.) Checked with a small
      // experiment on Node 20: appends from chained and nested continuations all landed in one flush,
      // which ran before setImmediate and setTimeout(0).
      if (this.pending.push(append) === 1) process.nextTick(this.flush);
    });
  }

  async readStream(streamId: string, options: ReadStreamOptions<E['type']> = {}): Promise<readonly StoredEvent<E>[]> {
    this.assertOpen();
    const where = ['stream_id = ?', 'stream_version >= ?'];
    const params: unknown[] = [streamId, options.fromVersion ?? 1];
    if (options.fromPosition !== undefined) {
      where.push('position >= ?');
      params.push(options.fromPosition);
    }
    if (options.toPosition !== undefined) {
      where.push('position <= ?');
      params.push(options.toPosition);
    }
    return this.paged(where, params, options, 'stream_version');
  }

  async readAll(options: ReadAllOptions<E['type']> = {}): Promise<readonly StoredEvent<E>[]> {
    this.assertOpen();
    const where = ['position >= ?'];
    const params: unknown[] = [options.fromPosition ?? 1];
    if (options.toPosition !== undefined) {
      where.push('position <= ?');
      params.push(options.toPosition);
    }
    if (options.streamPrefix !== undefined) {
      // A range on the (stream_id, stream_version) index: every id from the prefix up to the next prefix.
      where.push('stream_id >= ?', 'stream_id < ?');
      params.push(options.streamPrefix, nextPrefix(options.streamPrefix));
    }
    return this.paged(where, params, options, 'position');
  }

  async streamIds(prefix: string): Promise<readonly string[]> {
    this.assertOpen();
    return this.reading(() => {
      // One seek on the (stream_id, stream_version) index per stream, however long the streams are.
      const next = this.statement('SELECT stream_id FROM events WHERE stream_id > ? AND stream_id < ? ORDER BY stream_id LIMIT 1').pluck();
      const ids: string[] = [];
      const end = prefix === '' ? '\uffff' : nextPrefix(prefix);
      let id = this.statement('SELECT stream_id FROM events WHERE stream_id >= ? AND stream_id < ? ORDER BY stream_id LIMIT 1').pluck().get(prefix, end) as
        string | undefined;
      while (id !== undefined) {
        ids.push(id);
        id = next.get(id, end) as string | undefined;
      }
      return ids;
    });
  }

  async prunes(): Promise<readonly PruneRecord[]> {
    this.assertOpen();
    return this.reading(() => readPrunes(this.db));
  }

  async prunedThrough(): Promise<ChainHead | undefined> {
    const last = (await this.prunes()).at(-1);
    return last === undefined ? undefined : { position: last.throughPosition, hash: last.throughHash };
  }

  /**
   * Removes the per-call events at or before `request.through` that an export holds (see retention.ts),
   * in chunks that let the event loop and other writers run between them. Resolves to how many it removed.
   */
  async prune(request: PruneOrder): Promise<number> {
    this.assertOpen();
    if (this.readonly) throw new Error(`event store ${this.db.name} is open read-only`);
    this.flush();
    try {
      return await pruneCalls(this.db, request);
    } catch (error) {
      throw this.failure(error);
    } finally {
      this.cache = undefined; // stream versions and the head are read again at the next append
    }
  }

  async lastPosition(): Promise<number> {
    this.assertOpen();
    return this.reading(() => {
      return (this.head.get() as ChainHead | undefined)?.position ?? 0;
    });
  }

  /** Recorded tool calls, newest first, from the `invocations` read model (and the events it has not read yet). */
  async invocations(filter: InvocationFilter): Promise<InvocationPage> {
    this.assertOpen();
    return this.reading(() => this.model.page(filter));
  }

  /**
   * Reads every event the audit read model has not read yet into it now (the store does this by itself in
   * batches; tests and benchmarks call it to measure or to see the table filled). Returns the events read.
   */
  catchUpInvocations(): number {
    this.assertOpen();
    let covered = 0;
    for (let slice = this.model.catchUp(CATCH_UP_SLICE); slice > 0; slice = this.model.catchUp(CATCH_UP_SLICE)) covered += slice;
    this.eventsBehind = 0;
    return covered;
  }

  async verifyChain(from?: ChainHead): Promise<ChainVerification> {
    this.assertOpen();
    return this.reading(() => {
      // Pages of one text per row (the hash input built by SQLite), all read in one transaction, so one
      // snapshot even while another connection appends; a row the fast check does not pass is read whole.
      const page = this.statement(`SELECT position, hash, ${HASH_INPUT_SQL} FROM events WHERE position > ? ORDER BY position LIMIT ${VERIFY_PAGE_ROWS}`).raw();
      const columns = this.statement(`SELECT ${RAW_COLUMNS} FROM events WHERE position = ?`).raw();
      const first = this.statement('SELECT position, hash FROM events WHERE position >= ? ORDER BY position LIMIT 1').raw();
      const pages: HashedPages = {
        page: (after) => page.all(after) as unknown[][],
        columns: (position) => columns.get(position) as unknown[],
        firstFrom: (position) => first.get(position) as unknown[] | undefined,
        lastPosition: () => (this.head.get() as ChainHead | undefined)?.position ?? 0,
        links: () => readChainLinks(this.db),
      };
      return this.db.transaction(() => verifyPages(pages, from))();
    });
  }

  /** The stream snapshots kept in this store's file, on this store's connection. */
  snapshots(): SnapshotStore {
    this.assertOpen();
    return (this.snapshotStore ??= new SqliteSnapshotStore(this.db, this.statements, (error) => this.failure(error)));
  }

  async hashAt(position: number): Promise<string | undefined> {
    this.assertOpen();
    return this.reading(() => this.statement('SELECT hash FROM events WHERE position = ?').pluck().get(position) as string | undefined);
  }

  /** The newest row's position and hash (position 0 and the genesis hash when empty). */
  async chainHead(): Promise<ChainHead> {
    this.assertOpen();
    return this.reading(() => (this.head.get() as ChainHead | undefined) ?? EMPTY_HEAD);
  }

  /**
   * The last position an export ending before `before` holds: below a position (and at most the head); or,
   * for a time, the last event that occurred before it (0 when there is none).
   */
  async lastPositionBefore(before: ExportBefore): Promise<number> {
    this.assertOpen();
    return this.reading(() => {
      if ('position' in before) return Math.min(before.position - 1, (this.head.get() as ChainHead | undefined)?.position ?? 0);
      const last = this.statement('SELECT max(position) FROM events WHERE occurred_at < ?').pluck().get(normaliseSince(before.at)) as number | null;
      return last ?? 0;
    });
  }

  /**
   * Up to `limit` rows after `afterPosition`, exactly as stored (not decoded): for exports, read page by page
   * so that memory stays flat however long the log is.
   */
  async rawRows(afterPosition: number, limit: number): Promise<readonly EventRow[]> {
    this.assertOpen();
    return this.reading(
      () => this.statement(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`).all(afterPosition, limit) as EventRow[],
    );
  }

  /** Commits the appends still waiting for their batch, then closes; appends made after it are refused. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.db.open) this.flush();
    clearTimeout(this.catchUpTimer);
    if (this.db.open && !this.readonly) {
      try {
        this.catchUpInvocations(); // a cleanly closed store leaves its read model complete
      } catch {
        // Left for the next writer; queries read the unread events meanwhile.
      }
    }
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

  /** Commits the batch of this turn in one transaction and settles each of its appends. */
  private readonly flush = (): void => {
    const batch = this.pending;
    if (batch.length === 0) return; // close() flushed it already
    this.pending = [];
    let result: BatchResult;
    try {
      // A transaction left open (a ROLLBACK that itself failed) would turn this batch's transaction into a
      // SAVEPOINT inside it, whose appends would resolve without ever being committed: refuse instead.
      if (this.db.inTransaction) throw storeUnusable(this.db.name, new Error('a previous transaction is still open (its rollback failed)'));
      result = this.batchTx.immediate(batch);
    } catch (error) {
      // The transaction as a whole failed (BEGIN or COMMIT: SQLITE_BUSY, a full disk, a closed file, or a
      // lone append's own failure): nothing of the batch was written.
      this.cache = undefined;
      const failure = this.failure(error);
      for (const append of batch) append.reject(failure);
      return;
    }
    this.cache = result.cache; // only once COMMIT succeeded
    let committed = 0;
    result.outcomes.forEach((outcome, i) => {
      const append = batch[i] as PendingAppend;
      if ('error' in outcome) return append.reject(this.failure(outcome.error));
      committed++;
      append.resolve(outcome.rows.map((row, j) => appendedEvent(row, append.events[j] as DomainEvent, append.encoded.metadata)));
    });
    this.requestCatchUp(result.outcomes.reduce((events, outcome) => events + ('rows' in outcome ? outcome.rows.length : 0), 0));
    if (this.lazyCheckpointerPath !== undefined && (this.appendsSinceOpen += committed) >= CHECKPOINTER_AFTER_APPENDS) {
      this.startCheckpointer(this.lazyCheckpointerPath);
      this.lazyCheckpointerPath = undefined;
    }
  };

  /**
   * Inside the batch's transaction: reads the chain head and the known stream versions once, then runs
   * each append after the other, threading the head through them. A lone append runs directly (its
   * failure rolls the transaction back); of several, one refused before it wrote anything fails alone.
   */
  private commitLocked(batch: readonly PendingAppend[]): BatchResult {
    const dataVersion = this.dataVersion.get() as number;
    const known = this.cache?.dataVersion === dataVersion ? this.cache : undefined;
    const cache: WriterCache = {
      dataVersion,
      head: known?.head ?? (this.head.get() as ChainHead | undefined) ?? EMPTY_HEAD,
      streams: known?.streams ?? new Map<string, number>(),
    };
    if (batch.length === 1) {
      const append = batch[0] as PendingAppend;
      return { outcomes: [{ rows: this.wrote(cache, append.streamId, this.appendLocked(append, cache)) }], cache };
    }
    const failed = new Set<string>();
    const outcomes = batch.map((append): AppendOutcome => {
      let written: Written;
      try {
        if (failed.has(append.streamId) && append.expected !== 'any') {
          throw new ConcurrencyError(append.streamId, append.expected, this.versionIn(cache, append.streamId));
        }
        written = this.rowsOf(append, cache);
      } catch (error) {
        failed.add(append.streamId);
        return { error };
      }
      // A conflict or a bad event has been refused above, before anything was written, so an append needs
      // no savepoint of its own: what can still fail here is SQLite itself (SQLITE_FULL, SQLITE_IOERR, ...),
      // and that error leaves the transaction, which rolls back, and fails the batch as a whole.
      this.insertRows(written.rows);
      return { rows: this.wrote(cache, append.streamId, written) };
    });
    return { outcomes, cache };
  }

  /** Writes one append after `cache.head` if its stream is at the expected version; see {@link wrote}. */
  private appendLocked(append: PendingAppend, cache: WriterCache): Written {
    const written = this.rowsOf(append, cache);
    this.insertRows(written.rows);
    return written;
  }

  /**
   * The rows an append would write after `cache.head`, encoded and linked, without writing anything: a
   * conflict or an event that is not JSON throws here, before any row of the append is inserted.
   */
  private rowsOf(append: PendingAppend, cache: WriterCache): Written {
    const { streamId, events, expected, encoded } = append;
    const actual = this.versionIn(cache, streamId);
    if (expected !== 'any' && expected !== actual) throw new ConcurrencyError(streamId, expected, actual);
    const stamp = { occurredAt: encoded.metadata.occurredAt, metadata: encoded.json, versionOf: this.versionOf };
    const rows: EventRow[] = [];
    const head = linkRows(cache.head, streamId, actual, events, stamp, (row) => rows.push(row));
    return { rows, head, version: actual + events.length };
  }

  private insertRows(rows: readonly EventRow[]): void {
    for (const row of rows) {
      this.insert.run(row.position, row.streamId, row.streamVersion, row.type, row.schemaVersion, row.data, row.metadata, row.occurredAt, row.hash);
    }
  }

  /** Moves `cache` on past an append once it is written: a refused one leaves no trace. */
  private wrote(cache: WriterCache, streamId: string, written: Written): readonly EventRow[] {
    cache.head = written.head;
    cache.streams.set(streamId, written.version);
    return written.rows;
  }

  /** The stream's version as of this transaction: as this connection wrote it, or as the file says. */
  private versionIn(cache: WriterCache, streamId: string): number {
    return cache.streams.get(streamId) ?? (this.streamVersion.get(streamId) as number | undefined) ?? 0;
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

  /**
   * Schedules the read model's next batch once `events` more were committed: in the next turn when enough
   * are waiting, else after the idle delay. Never in the turn of a commit: the answers of its calls go first.
   */
  private requestCatchUp(events: number): void {
    this.eventsBehind += events;
    if (this.catchUpSoon) return;
    if (this.eventsBehind >= CATCH_UP_AFTER_EVENTS) {
      this.catchUpSoon = true;
      clearTimeout(this.catchUpTimer);
      this.catchUpTimer = undefined;
      setImmediate(this.catchUp);
    } else if (this.catchUpTimer === undefined) {
      this.catchUpTimer = setTimeout(this.catchUp, CATCH_UP_IDLE_MS);
      this.catchUpTimer.unref();
    }
  }

  /** One batch of the read model; another follows in a later turn while events are left. */
  private readonly catchUp = (): void => {
    this.catchUpSoon = false;
    this.catchUpTimer = undefined;
    if (!this.db.open || this.closing) return;
    let covered: number;
    try {
      covered = this.model.catchUp(CATCH_UP_SLICE);
    } catch {
      // SQLITE_BUSY past the timeout, a full disk: the next commit asks again; queries read the unread events meanwhile.
      return;
    }
    if (covered < CATCH_UP_SLICE) {
      this.eventsBehind = 0; // it read up to the last event
      return;
    }
    this.eventsBehind = Math.max(0, this.eventsBehind - covered);
    this.catchUpSoon = true;
    setImmediate(this.catchUp);
  };

  /** Runs after a flush, outside any append's promise: a worker that cannot start leaves SQLite's autocheckpoint in charge. */
  private startCheckpointer(path: string): void {
    try {
      const workerData: WalCheckpointerData = { path: resolve(path), intervalMs: CHECKPOINT_INTERVAL_MS };
      const worker = new Worker(new URL('./wal-checkpointer.js', import.meta.url), { workerData });
      // A failed worker leaves the backstop autocheckpoint in charge; nothing else depends on it.
      worker.on('error', () => undefined);
      worker.unref();
      this.checkpointer = { worker, exited: new Promise((resolve) => worker.once('exit', resolve)) };
      this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    } catch {
      // Keep the autocheckpoint at 1000 pages.
    }
  }

  /**
   * Reads the rows matching `where` (plus the options' times and types) in `order`, at most `limit`, in
   * pages of {@link READ_PAGE} rows keyed on the order column, yielding to the event loop between pages:
   * a read of a whole long history never holds the hangar's one thread for more than a page's time. Each
   * page sees the committed data of its moment; a read bounded above (toPosition, a limit) is therefore
   * exactly what a single statement would have returned, and an unbounded one may also hold what was
   * committed while it ran.
   */
  private async paged(
    where: string[],
    params: unknown[],
    options: { readonly since?: string; readonly until?: string; readonly types?: readonly string[]; readonly limit?: number; readonly backward?: boolean },
    order: 'position' | 'stream_version',
  ): Promise<StoredEvent<E>[]> {
    const { limit } = options;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new RangeError(`limit must be an integer >= 0, got ${limit}`);
    if (options.since !== undefined) {
      where.push('occurred_at >= ?');
      params.push(normaliseSince(options.since));
    }
    if (options.until !== undefined) {
      where.push('occurred_at <= ?');
      params.push(normaliseSince(options.until));
    }
    if (options.types !== undefined) {
      where.push(TYPE_FILTER);
      params.push(JSON.stringify(options.types));
      // Repeating the partial index's condition lets the planner use it for the (rare) lifecycle types.
      if (options.types.every((type) => !UNINDEXED_TYPES.includes(type))) where.push(UNINDEXED_TYPES_SQL);
    }
    const backward = options.backward === true;
    const base = `SELECT ${COLUMNS} FROM events WHERE ${where.join(' AND ')}`;
    const tail = ` ORDER BY ${order}${backward ? ' DESC' : ''} LIMIT ?`;
    const first = this.statement(base + tail);
    const rest = this.statement(`${base} AND ${order} ${backward ? '<' : '>'} ?${tail}`);
    const out: StoredEvent<E>[] = [];
    let cursor: number | undefined;
    for (;;) {
      const want = limit === undefined ? READ_PAGE : Math.min(READ_PAGE, limit - out.length);
      if (want <= 0) break;
      const rows = this.reading(() => (cursor === undefined ? first.all(...params, want) : rest.all(...params, cursor, want))) as Record<string, unknown>[];
      for (const row of rows) out.push(decodeEventRow(row, this.registry));
      if (rows.length < want) break;
      cursor = (rows[rows.length - 1] as Record<string, number>)[order === 'position' ? 'position' : 'streamVersion'];
      await yieldTurn();
      this.assertOpen();
    }
    return out;
  }

  private statement(sql: string): Statement {
    return this.statements.get(sql);
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
