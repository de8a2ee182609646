import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock, Hasher, IdGenerator, Scheduler } from '../../application/ports/clock.js';

/** Wall-clock time. */
export const systemClock: Clock = { now: () => Date.now() };

/** Timers that never keep the process alive. */
export const systemScheduler: Scheduler = {
  every(intervalMs, fn) {
    const timer = setInterval(fn, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  },
  delay: (ms, signal) => sleep(ms, undefined, signal ? { signal } : {}),
};

/** Random UUIDs and Math.random. */
export const systemIds: IdGenerator = {
  correlationId: () => randomUUID(),
  random: () => Math.random(),
};

/** SHA-256 over the JSON form, first 32 hex characters (128 bits): enough to tell values apart. */
export const sha256Hasher: Hasher = {
  digest: (value) =>
    createHash('sha256')
      .update(JSON.stringify(value) ?? 'undefined')
      .digest('hex')
      .slice(0, 32),
};
