import type { Records } from './application/application.js';
import { providerHistory } from './application/queries/provider-history.js';
import { hangarEventRegistry } from './infrastructure/persistence/hangar-event-schemas.js';
import { checkSqliteEventStore, openSqliteEventStore } from './infrastructure/persistence/sqlite/sqlite-event-store.js';
import { StoreUnusable } from './infrastructure/persistence/sqlite/store-problems.js';

/**
 * The records of the store at `path`, opened read-only for the command line: it works while hangars serve
 * from the same file, and loads none of the serving machinery.
 */
export const openRecords = (path: string): Records => {
  const store = openSqliteEventStore(path, { registry: hangarEventRegistry(), readonly: true });
  return { history: providerHistory(store), verify: () => store.verifyChain(), close: () => store.close() };
};

/**
 * Checks, before anything is served, that the store at `path` can be used (created, migrated, read); a
 * problem is returned as the lines to print, naming the file, the cause and what to do.
 */
export const storeProblem = async (path: string): Promise<string | null> => {
  try {
    await checkSqliteEventStore(path, { registry: hangarEventRegistry() });
    return null;
  } catch (error) {
    if (error instanceof StoreUnusable) return `${error.message}\nHint: ${error.hint}`;
    throw error;
  }
};
