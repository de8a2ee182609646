import { randomFillSync } from 'node:crypto';
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

/** Random bytes drawn 4 KiB at a time (one system call per 256 ids). */
const entropy = Buffer.alloc(4096);
let entropyUsed = entropy.length;

/**
 * A UUID version 7 (RFC 9562): the first 48 bits are the Unix time in milliseconds, the rest random. Ids
 * made later sort later, so an index over them grows at its end, like one over times: a random (version 4)
 * id would land on a random page of the audit read model's correlation index, one page written per call.
 */
export const uuidV7 = (now = Date.now()): string => {
  if (entropyUsed + 16 > entropy.length) {
    randomFillSync(entropy);
    entropyUsed = 0;
  }
  const b = entropy.subarray(entropyUsed, (entropyUsed += 16));
  let time = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = time % 256;
    time = Math.floor(time / 256);
  }
  b[6] = ((b[6] as number) & 0x0f) | 0x70;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/** Time-ordered UUIDs (version 7) and Math.random. */
export const systemIds: IdGenerator = {
  correlationId: () => uuidV7(),
  random: () => Math.random(),
};

/** SHA-256 over the JSON form, first 32 hex characters (128 bits): enough to tell values apart. */
export const sha256Hasher: Hasher = {
  digest: (value) => sha256Hex(JSON.stringify(value) ?? 'undefined').slice(0, 32),
};
