import type { Clock, Scheduler } from '../../src/application/ports/clock.js';

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(private ms = Date.parse('2026-11-23T10:00:00.000Z')) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** A scheduler that never fires by itself (tests run the work directly) and whose delays only move `clock`. */
export const manualScheduler = (clock?: ManualClock): Scheduler & { readonly delays: number[] } => {
  const delays: number[] = [];
  return {
    delays,
    every: () => () => undefined,
    delay: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason;
      delays.push(ms);
      clock?.advance(ms);
    },
  };
};

/**
 * A scheduler whose delays wait until the test lets them pass (`pass()` moves `clock` by the delay), or
 * reject at once when their signal aborts; `whenWaiting()` resolves once a delay has begun.
 */
export const steppedScheduler = (clock?: ManualClock) => {
  const delays: number[] = [];
  const waiting: { readonly ms: number; readonly resolve: () => void }[] = [];
  let begun: (() => void) | undefined;
  const scheduler: Scheduler & { readonly delays: number[]; whenWaiting(): Promise<void>; pass(): void; readonly waiting: number } = {
    delays,
    every: () => () => undefined,
    delay: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        delays.push(ms);
        const entry = { ms, resolve };
        waiting.push(entry);
        signal?.addEventListener('abort', () => {
          waiting.splice(waiting.indexOf(entry), 1);
          reject(signal.reason);
        });
        begun?.();
      }),
    whenWaiting: () =>
      waiting.length > 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            begun = () => {
              begun = undefined;
              resolve();
            };
          }),
    pass: () => {
      const entry = waiting.shift();
      if (!entry) throw new Error('nothing is waiting');
      clock?.advance(entry.ms);
      entry.resolve();
    },
    get waiting() {
      return waiting.length;
    },
  };
  return scheduler;
};
