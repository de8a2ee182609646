import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { prepareForWriting } from './migrations.js';
import { StoreUnusable, storeUnusable } from './store-problems.js';

/**
 * Checks, before anything is served, that the SQLite event store at `path` can be used: written (the file
 * system is asked first, because SQLite opens a file it cannot write read-only without a word and a store
 * in WAL mode fails only at its first write), opened, migrated (created when new) and read (its newest row,
 * where a truncated file shows). Throws StoreUnusable naming the file, the cause and what to do. Loads no
 * more than the SQLite driver, so that it costs the first answer little.
 */
export const checkSqliteStore = (path: string): void => {
  for (const target of [path, dirname(path)]) {
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // created below, with its folder
      if (code === 'ENOTDIR') throw storeUnusable(path, error);
      const what = target === path ? 'the file' : 'its folder';
      throw new StoreUnusable(
        path,
        `${what} cannot be written (${code ?? 'error'})`,
        'make the file and its folder writable by this user, or set event_store.path elsewhere',
        true,
      );
    }
  }
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (error) {
    throw storeUnusable(path, error);
  }
  try {
    prepareForWriting(db);
    db.prepare('SELECT position FROM events ORDER BY position DESC LIMIT 1').get();
  } catch (error) {
    throw storeUnusable(path, error);
  } finally {
    db.close();
  }
};

/**
 * The lines to print when the store at `path` cannot be used (file, cause, hint); null when it can. `placeHint`,
 * when given, replaces the hint of a store that cannot be made or written where it is (the hints speak of
 * event_store.path, which a default location was not given by).
 */
export const storeProblem = (path: string, placeHint?: string): string | null => {
  try {
    checkSqliteStore(path);
    return null;
  } catch (error) {
    if (error instanceof StoreUnusable) return `${error.message}\nHint: ${error.place && placeHint !== undefined ? placeHint : error.hint}`;
    throw error;
  }
};
