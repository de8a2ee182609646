import type { InstanceId } from '../../domain/shared/ids.js';

/** A seat held by this process until it releases it or ends (however it ends: the seat is then free). */
export interface InstanceLease {
  readonly instance: InstanceId;
  /** Gives the seat up. Idempotent. */
  release(): Promise<void>;
}

/**
 * Seats for the hangars serving from one event store at once. A seat is held by a live process and is
 * free as soon as that process ends, SIGKILL included: liveness is a lock the operating system (or the
 * database) releases, never a guess from a pid or a clock. Adapters: lock files beside a SQLite store;
 * an in-process table for in-memory stores; advisory locks for a shared PostgreSQL store.
 */
export interface InstanceLeases {
  /** Takes the lowest-numbered free seat ("1", "2", ...). */
  claim(): Promise<InstanceLease>;
  /** Takes `instance` when no live process holds it; null when one does. */
  tryClaim(instance: InstanceId): Promise<InstanceLease | null>;
}
