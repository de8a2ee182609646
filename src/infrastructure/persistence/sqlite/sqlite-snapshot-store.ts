import type Database from 'better-sqlite3';
import type { SnapshotPoint, SnapshotStore, StreamSnapshot } from '../../../application/ports/snapshot-store.js';
import type { StatementCache } from './sqlite-support.js';

interface SnapshotRow {
  readonly streamId: string;
  readonly streamVersion: number;
  readonly position: number;
  readonly occurredAt: string;
  readonly data: string;
}

const COLUMNS = 'stream_id AS streamId, stream_version AS streamVersion, position, occurred_at AS occurredAt, data';
const FAR_FUTURE = '9999-12-31T23:59:59.999Z';

const snapshotOf = (row: SnapshotRow): StreamSnapshot => ({
  streamId: row.streamId,
  streamVersion: row.streamVersion,
  position: row.position,
  occurredAt: row.occurredAt,
  data: JSON.parse(row.data) as unknown,
});

/**
 * Stream snapshots in the `snapshots` table of the event store's file, on the store's own connection
 * (so that a save never waits for, or invalidates, the store's writer). Read-only connections read them.
 */
export class SqliteSnapshotStore implements SnapshotStore {
  /**
   * @param db the event store's connection
   * @param statements that connection's prepared statements
   * @param failure how the store reports an SQLite failure (naming the file and what to do)
   */
  constructor(
    private readonly db: Database.Database,
    private readonly statements: StatementCache,
    private readonly failure: (error: unknown) => unknown,
  ) {}

  async latestOfEach(version: string): Promise<ReadonlyMap<string, StreamSnapshot>> {
    // The newest row of each stream: SQLite returns the other columns of the row that holds the max().
    const rows = this.run(
      () =>
        this.statements
          .get(
            'SELECT stream_id AS streamId, max(stream_version) AS streamVersion, position, occurred_at AS occurredAt, data FROM snapshots WHERE version = ? GROUP BY stream_id',
          )
          .all(version) as SnapshotRow[],
    );
    return new Map(rows.map((row) => [row.streamId, snapshotOf(row)]));
  }

  async at(streamId: string, version: string, point: SnapshotPoint): Promise<StreamSnapshot | undefined> {
    const row = this.run(
      () =>
        this.statements
          .get(
            `SELECT ${COLUMNS} FROM snapshots WHERE stream_id = ? AND version = ? AND position <= ? AND occurred_at <= ? ORDER BY stream_version DESC LIMIT 1`,
          )
          .get(streamId, version, point.toPosition ?? Number.MAX_SAFE_INTEGER, point.until ?? FAR_FUTURE) as SnapshotRow | undefined,
    );
    return row === undefined ? undefined : snapshotOf(row);
  }

  async save(version: string, snapshots: readonly StreamSnapshot[]): Promise<void> {
    if (snapshots.length === 0) return;
    const rows = snapshots.map((s) => [s.streamId, version, s.streamVersion, s.position, s.occurredAt, JSON.stringify(s.data)] as const);
    this.run(() => {
      const insert = this.statements.get(
        'INSERT OR REPLACE INTO snapshots (stream_id, version, stream_version, position, occurred_at, data) VALUES (?, ?, ?, ?, ?, ?)',
      );
      this.db.transaction(() => {
        for (const row of rows) insert.run(...row);
      })();
    });
  }

  async discardOtherVersions(version: string): Promise<number> {
    return this.run(() => this.statements.get('DELETE FROM snapshots WHERE version <> ?').run(version).changes);
  }

  private run<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw this.failure(error);
    }
  }
}
