import type { ChainAnchors } from '../ports/chain-anchors.js';
import type { Clock, Scheduler } from '../ports/clock.js';
import type { ChainHead } from '../ports/event-store.js';
import type { Logger } from '../ports/logger.js';

/** How often the serving hangar anchors the head: every `events` positions or `minutes`, whichever comes first. */
export interface AnchorEvery {
  readonly events: number;
  readonly minutes: number;
}

export interface ChainAnchorerDeps {
  readonly anchors: ChainAnchors;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly every: AnchorEvery;
}

/** Appends the head to the anchor list as the hangar commits events; see {@link chainAnchorer}. */
export interface ChainAnchorer {
  /** Notes a committed event (called by the bus for each one): a comparison, never a write. */
  observe(event: ChainHead): void;
  /** Anchors `head` now (at boot: the head just verified), unless an anchor at or past it was written. */
  anchor(head: ChainHead): Promise<void>;
  /** The periodic check the scheduler runs: anchors once `every.minutes` have passed since the last anchor, if the head moved. */
  tick(): Promise<void>;
  /** Stops the timer and writes the last anchor if the head moved since the one before (clean shutdown). */
  close(): Promise<void>;
}

/** How often the timer looks at the clock: a quarter of the period, between 1 s and 1 minute. */
export const anchorTickMs = (minutes: number): number => Math.min(60_000, Math.max(1000, (minutes * 60_000) / 4));

/**
 * Keeps the anchor list up to date as the hangar serves: every `every.events` positions past the last anchor
 * (counted on the events this process commits, seen on the bus) or every `every.minutes` when the head moved,
 * whichever comes first, and once more at clean shutdown. Never on a call's path: the bus hands it each
 * committed event, it compares two numbers, and a due anchor is written after a zero delay of the
 * scheduler, once the turn that committed the event is over; the write is asynchronous (and fsync'd by the
 * adapter). Writes are one at a time; a write that fails is logged, and the next due anchor tries again.
 */
export const chainAnchorer = (deps: ChainAnchorerDeps, lastAnchored: ChainHead | undefined): ChainAnchorer => {
  const { anchors, clock, scheduler, logger, every } = deps;
  const periodMs = every.minutes * 60_000;
  let anchored = lastAnchored?.position ?? 0;
  let anchoredAt = clock.now();
  let latest: ChainHead | undefined;
  let due = false;
  let closed = false;
  let writing: Promise<void> = Promise.resolve();

  /** Writes `head` (after the writes before it), unless an anchor at or past it was written meanwhile; false when the write failed. */
  const write = (pick: () => ChainHead | undefined): Promise<boolean> => {
    const done = writing.then(async () => {
      const head = pick();
      if (head === undefined || head.position <= anchored) return true;
      const now = clock.now();
      try {
        await anchors.append([{ head, at: new Date(now).toISOString() }]);
        anchored = head.position;
        anchoredAt = now;
        return true;
      } catch (error) {
        logger.warn('could not write an anchor of the hash chain', {
          location: anchors.location,
          error: error instanceof Error ? error.message : String(error),
        });
        return false;
      }
    });
    writing = done.then(() => undefined);
    return done;
  };

  /**
   * Schedules an anchor once `every.events` positions have passed the last one: one at a time (`due` until it
   * is written), then looks again, since events may have come meanwhile; after a failed write the next event
   * or tick tries again.
   */
  const scheduleIfDue = (): void => {
    if (due || closed || latest === undefined || latest.position - anchored < every.events) return;
    due = true;
    void scheduler
      .delay(0)
      .then(() => write(() => latest))
      .then((written) => {
        due = false;
        if (written) scheduleIfDue();
      });
  };

  const tick = async (): Promise<void> => {
    if (latest === undefined || latest.position <= anchored || clock.now() - anchoredAt < periodMs) return writing;
    await write(() => latest);
  };
  const cancel = scheduler.every(anchorTickMs(every.minutes), () => void tick());

  return {
    observe(event) {
      if (latest !== undefined && event.position <= latest.position) return;
      latest = { position: event.position, hash: event.hash };
      scheduleIfDue();
    },
    async anchor(head) {
      await write(() => head);
    },
    tick,
    async close() {
      closed = true;
      cancel();
      await write(() => latest);
    },
  };
};
