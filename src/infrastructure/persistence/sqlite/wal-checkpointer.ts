/**
 * Worker-thread entry that checkpoints a WAL-mode SQLite file in the background, so that the fsyncs of a
 * checkpoint (WAL, then database) do not stall appends on the main thread. PASSIVE checkpoints never wait
 * for, nor block, the writer or readers. Stops (closing its connection) on a `'stop'` message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** What the store hands the worker: the database file (absolute) and how often to checkpoint. */
export interface WalCheckpointerData {
  readonly path: string;
  readonly intervalMs: number;
}

if (parentPort !== null) {
  const port = parentPort;
  const { path, intervalMs } = workerData as WalCheckpointerData;
  const db = new Database(path, { fileMustExist: true, timeout: 0 });
  db.pragma('synchronous = NORMAL'); // a checkpoint fsyncs the WAL before, and the database after, copying
  const timer = setInterval(() => {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy (another checkpointer) or transient I/O: the next tick tries again; the writer's own
      // autocheckpoint bounds the WAL meanwhile.
    }
  }, intervalMs);
  port.on('message', (message) => {
    if (message !== 'stop') return;
    clearInterval(timer);
    db.close();
    port.close();
  });
}
