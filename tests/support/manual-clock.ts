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
