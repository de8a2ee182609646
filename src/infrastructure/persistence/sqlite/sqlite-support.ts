import type Database from 'better-sqlite3';

type Statement = Database.Statement<unknown[], unknown>;

/**
 * The prepared statements of one connection, each prepared once per distinct SQL text (the filter
 * combinations of the reads are few). Shared by everything that runs on the event store's connection: the
 * store, the audit read model, the snapshots.
 */
export class StatementCache {
  private readonly prepared = new Map<string, Statement>();

  constructor(private readonly db: Database.Database) {}

  get(sql: string): Statement {
    let statement = this.prepared.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement;
  }
}

/** Lets timers and I/O run (other clients' calls) before long work on the connection goes on with its next slice. */
export const yieldTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
