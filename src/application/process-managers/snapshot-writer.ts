import type { Scheduler } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { SnapshotStore } from '../ports/snapshot-store.js';
import { ENTRY_SNAPSHOT_VERSION, type ProviderCatalog } from '../projections/provider-catalog.projection.js';

/** How often the snapshots the catalog has taken are written: never on a call's path, at most once a second. */
export const SNAPSHOT_WRITE_INTERVAL_MS = 1000;

export interface SnapshotWriter {
  /** Writes what is due now (after boot, the snapshots taken while the store was folded). */
  flush(): Promise<void>;
  /** Stops the timer and writes the newest state of every stream of this instance that changed since its last snapshot. */
  close(): Promise<void>;
}

/**
 * Writes the catalog's stream snapshots to the snapshot store: the ones it took while folding the store at
 * boot, then every second what it took since (one transaction), and at shutdown the newest state of this
 * instance's streams, so that the next boot reads nothing but what was recorded after. Snapshots of other
 * versions of the fold are deleted at boot: they would never be read again. A failed write is logged and
 * costs only speed (the events are the record; the next boot folds them).
 */
export const snapshotWriter = async (deps: {
  readonly catalog: ProviderCatalog;
  readonly snapshots: SnapshotStore;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
}): Promise<SnapshotWriter> => {
  const { catalog, snapshots, scheduler, logger } = deps;
  let writing: Promise<void> = Promise.resolve();
  const write = (all: boolean): Promise<void> => {
    const due = catalog.takeDue({ all });
    if (due.length === 0) return writing;
    writing = writing
      .then(() => snapshots.save(ENTRY_SNAPSHOT_VERSION, due))
      .catch((error: unknown) => logger.warn('could not save stream snapshots; the next boot folds those events again', { error: String(error) }));
    return writing;
  };
  try {
    const discarded = await snapshots.discardOtherVersions(ENTRY_SNAPSHOT_VERSION);
    if (discarded > 0) logger.info('discarded snapshots of an earlier fold', { snapshots: discarded });
  } catch (error) {
    logger.warn('could not discard old snapshots', { error: String(error) });
  }
  const stop = scheduler.every(SNAPSHOT_WRITE_INTERVAL_MS, () => void write(false));
  return {
    flush: () => write(false),
    close: () => {
      stop();
      return write(true);
    },
  };
};
