import { randomUUID } from 'node:crypto';
import type { Clock, Hasher, IdGenerator, Scheduler } from '../../application/ports/clock.js';
import { sha256Hex } from './sha256.js';

/** The error an aborted delay rejects with, as `timers/promises` words it. */
const cancelled = (reason: unknown): Error => Object.assign(new Error('The operation was aborted', { cause: reason }), { name: 'AbortError' });

/** Wall-clock time. */
export const systemClock: Clock = { now: () => Date.now() };

/** Timers that never keep the process alive. */
export const systemScheduler: Scheduler = {
  every(intervalMs, fn) {
    const timer = setInterval(fn, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  },
  delay: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(cancelled(signal.reason));
      const onAbort = () => {
        clearTimeout(timer);
        reject(cancelled(signal?.reason));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Random UUIDs and Math.random. */
export const systemIds: IdGenerator = {
  correlationId: () => randomUUID(),
  random: () => Math.random(),
};

/** SHA-256 over the JSON form, first 32 hex characters (128 bits): enough to tell values apart. */
export const sha256Hasher: Hasher = {
  digest: (value) => sha256Hex(JSON.stringify(value) ?? 'undefined').slice(0, 32),
  digestJson: (json) => sha256Hex(json).slice(0, 32),
};
