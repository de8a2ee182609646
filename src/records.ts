import type { Records } from './application/application.js';
import { auditInvocations } from './application/queries/audit-invocations.js';
import { auditChain } from './application/queries/chain-audit.js';
import { allProvidersHistory, providerHistory, recordedProviders } from './application/queries/provider-history.js';
import { replayProvider } from './application/queries/provider-replay.js';
import { FileChainAnchors } from './infrastructure/persistence/anchor-file.js';
import { exportEvents } from './infrastructure/persistence/event-export.js';
import { hangarEventRegistry } from './infrastructure/persistence/hangar-event-schemas.js';
import { openSqliteEventStore } from './infrastructure/persistence/sqlite/sqlite-event-store.js';
import { SqliteHistoryRetention } from './infrastructure/persistence/sqlite/sqlite-retention.js';
import { pruneHistory } from './application/commands/prune-history.js';
import { systemClock } from './infrastructure/system/system-clock.js';

/**
 * The records of the store at `path`, opened read-only for the command line: it works while hangars serve
 * from the same file, and loads none of the serving machinery. (An export writes its own file, and a line to
 * the exports log next to the store; nothing else is written.)
 */
export const openRecords = (path: string): Records => {
  const store = openSqliteEventStore(path, { registry: hangarEventRegistry(), readonly: true });
  const anchors = FileChainAnchors.beside(path);
  return {
    history: providerHistory(store),
    replay: replayProvider(store, store.snapshots()),
    audit: auditInvocations(store),
    all: allProvidersHistory(store),
    providers: recordedProviders(store),
    verify: () => store.verifyChain(),
    chain: {
      head: () => store.chainHead(),
      audit: (given) => auditChain(store, anchors, given),
      export: (request) => exportEvents(store, path, request, () => new Date()),
      prunes: () => store.prunes(),
    },
    close: () => store.close(),
  };
};

/**
 * The store at `path` opened for writing, for `audit prune` (the one command that changes the store): it
 * works while hangars serve from the same file, each prune chunk being one short transaction.
 */
export const openPruning = (path: string) => {
  const store = openSqliteEventStore(path, { registry: hangarEventRegistry() });
  const retention = new SqliteHistoryRetention(store, path, FileChainAnchors.beside(path));
  return {
    prune: pruneHistory({ store, snapshots: store.snapshots(), retention, clock: systemClock }),
    close: () => store.close(),
  };
};
