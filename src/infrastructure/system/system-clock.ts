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

/**
 * A UUID version 7 (RFC 9562): the first 48 bits are the Unix time in milliseconds, the rest random. Ids
 * made later sort later, so an index over them grows at its end, like one over times: a random (version 4)
 * id would land on a random page of the audit read model's correlation index, one page written per call.
 * Made from a version-4 UUID (random, its variant bits already set): its first 48 bits become the time and
 * its version nibble 7.
 */
export const uuidV7 = (now = Date.now()): string => {
  const time = now.toString(16).padStart(12, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
};

/** Time-ordered UUIDs (version 7) and Math.random. */
export const systemIds: IdGenerator = {
  correlationId: () => uuidV7(),
  random: () => Math.random(),
};

/** SHA-256 over the JSON form, first 32 hex characters (128 bits): enough to tell values apart. */
export const sha256Hasher: Hasher = {
  digest: (value) => sha256Hex(JSON.stringify(value) ?? 'undefined').slice(0, 32),
  digestJson: (json) => sha256Hex(json).slice(0, 32),
};
