import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { InstanceLease, InstanceLeases } from '../../application/ports/instance-leases.js';
import { instanceId, type InstanceId } from '../../domain/shared/ids.js';

/** Seats above this are refused: more hangars than that on one store is a leak, not a deployment. */
const MAX_SEATS = 1000;

/**
 * Seats as lock files beside a SQLite event store (`<store>.instances/<n>.lock`): each is a tiny SQLite
 * database whose holder keeps an exclusive lock (locking_mode EXCLUSIVE after one write). The operating
 * system drops the lock when the holder's process ends, however it ends, so a seat whose lock can be
 * taken has no live holder. Works across processes and between connections of one process.
 */
export class FileInstanceLeases implements InstanceLeases {
  constructor(private readonly folder: string) {}

  /** The leases of the event store at `storePath`. */
  static beside(storePath: string): FileInstanceLeases {
    return new FileInstanceLeases(`${storePath}.instances`);
  }

  async claim(): Promise<InstanceLease> {
    mkdirSync(this.folder, { recursive: true });
    for (let n = 1; n <= MAX_SEATS; n++) {
      const lease = this.lock(instanceId(n));
      if (lease !== null) return lease;
    }
    throw new Error(`all ${MAX_SEATS} instance seats in ${this.folder} are held by live hangars`);
  }

  async tryClaim(instance: InstanceId): Promise<InstanceLease | null> {
    mkdirSync(this.folder, { recursive: true });
    return this.lock(instance);
  }

  private lock(instance: InstanceId): InstanceLease | null {
    const db = new Database(join(this.folder, `${instance}.lock`), { timeout: 0 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('user_version = 1'); // the write takes the exclusive lock; EXCLUSIVE mode keeps it until close
    } catch (error) {
      db.close();
      if ((error as { code?: unknown }).code === 'SQLITE_BUSY') return null;
      throw error;
    }
    return {
      instance,
      release: async () => {
        if (db.open) db.close();
      },
    };
  }
}
