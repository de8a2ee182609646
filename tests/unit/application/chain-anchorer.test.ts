import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnchorRecord } from '../../../src/application/ports/chain-anchors.js';
import type { Scheduler } from '../../../src/application/ports/clock.js';
import { anchorTickMs, chainAnchorer, type AnchorEvery } from '../../../src/application/process-managers/chain-anchorer.js';
import { MemoryChainAnchors } from '../../../src/infrastructure/persistence/anchor-file.js';
import { ManualClock } from '../../support/manual-clock.js';
import { silentLogger } from '../../support/silent-logger.js';

/** A scheduler whose periodic work runs only when the test fires it, and whose delays end at the next turn. */
const firingScheduler = () => {
  const timers: { ms: number; fn: () => void; cancelled: boolean }[] = [];
  const scheduler: Scheduler & { fire(): void; readonly timers: typeof timers } = {
    timers,
    every: (ms, fn) => {
      const timer = { ms, fn, cancelled: false };
      timers.push(timer);
      return () => void (timer.cancelled = true);
    },
    delay: () => new Promise((resolve) => setImmediate(resolve)),
    fire: () => timers.filter((t) => !t.cancelled).forEach((t) => t.fn()),
  };
  return scheduler;
};

/** Lets the scheduled work (a delay, then the write) run to its end. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

const head = (position: number) => ({ position, hash: position.toString(16).padStart(64, '0') });

const setup = (every: AnchorEvery = { events: 5, minutes: 10 }, last?: number) => {
  const clock = new ManualClock();
  const scheduler = firingScheduler();
  const anchors = new MemoryChainAnchors();
  const anchorer = chainAnchorer({ anchors, clock, scheduler, logger: silentLogger, every }, last === undefined ? undefined : head(last));
  const positions = () => anchors.records.map((r: AnchorRecord) => r.head.position);
  return { clock, scheduler, anchors, anchorer, positions };
};

describe('the chain anchorer (anchors every N events or M minutes, whichever comes first)', () => {
  it('anchors once N positions have passed the last anchor, after the turn that committed the event, never inside it', async () => {
    const { anchorer, anchors, positions } = setup({ events: 5, minutes: 10 });
    for (let p = 1; p <= 4; p++) anchorer.observe(head(p));
    await settle();
    assert.deepEqual(positions(), [], 'four events: not yet');
    anchorer.observe(head(5));
    assert.deepEqual(positions(), [], 'the fifth: not written on the caller’s turn');
    await settle();
    assert.deepEqual(positions(), [5]);
    assert.equal(anchors.records[0]?.head.hash, head(5).hash);
  });

  it('writes one anchor at a time: events that come during a write count towards the next one', async () => {
    const { anchorer, positions } = setup({ events: 5, minutes: 10 });
    for (let p = 1; p <= 7; p++) anchorer.observe(head(p));
    await settle();
    assert.deepEqual(positions(), [7], 'the head when the write ran, once');
    for (let p = 8; p <= 11; p++) anchorer.observe(head(p));
    await settle();
    assert.deepEqual(positions(), [7], 'four more: not yet');
    anchorer.observe(head(12));
    await settle();
    assert.deepEqual(positions(), [7, 12]);
  });

  it('counts from the anchor it started after (the last one of the file, or the boot’s)', async () => {
    const { anchorer, positions } = setup({ events: 5, minutes: 10 }, 100);
    anchorer.observe(head(104));
    await settle();
    assert.deepEqual(positions(), []);
    anchorer.observe(head(105));
    await settle();
    assert.deepEqual(positions(), [105]);
  });

  it('anchors when M minutes have passed since the last anchor and the head moved, by the injected clock', async () => {
    const { anchorer, clock, scheduler, positions } = setup({ events: 1000, minutes: 10 });
    assert.deepEqual(
      scheduler.timers.map((t) => t.ms),
      [anchorTickMs(10)],
    );
    anchorer.observe(head(3));
    clock.advance(9 * 60_000);
    scheduler.fire();
    await settle();
    assert.deepEqual(positions(), [], 'nine minutes: not yet');
    clock.advance(60_000);
    scheduler.fire();
    await settle();
    assert.deepEqual(positions(), [3], 'ten minutes');
    clock.advance(20 * 60_000);
    scheduler.fire();
    await settle();
    assert.deepEqual(positions(), [3], 'the head did not move: no anchor');
    anchorer.observe(head(4));
    scheduler.fire();
    await settle();
    assert.deepEqual(positions(), [3, 4], 'it moved, and the period has long passed');
  });

  it('restarts the period at an anchor written for the count', async () => {
    const { anchorer, clock, scheduler, positions } = setup({ events: 5, minutes: 10 });
    clock.advance(8 * 60_000);
    for (let p = 1; p <= 5; p++) anchorer.observe(head(p));
    await settle();
    anchorer.observe(head(6));
    clock.advance(5 * 60_000); // 13 minutes after the start, 5 after the last anchor
    scheduler.fire();
    await settle();
    assert.deepEqual(positions(), [5]);
    clock.advance(5 * 60_000);
    scheduler.fire();
    await settle();
    assert.deepEqual(positions(), [5, 6]);
  });

  it('anchors the head at close (clean shutdown) and stops its timer', async () => {
    const { anchorer, scheduler, positions } = setup({ events: 1000, minutes: 10 });
    anchorer.observe(head(2));
    anchorer.observe(head(3));
    await anchorer.close();
    assert.deepEqual(positions(), [3]);
    assert.ok(scheduler.timers.every((t) => t.cancelled));
    anchorer.observe(head(2000));
    await settle();
    assert.deepEqual(positions(), [3], 'nothing after close');
  });

  it('writes a given head (the boot’s verified head) unless an anchor at or past it is already written', async () => {
    const { anchorer, positions } = setup({ events: 1000, minutes: 10 }, 10);
    await anchorer.anchor(head(8));
    await anchorer.anchor(head(12));
    await anchorer.close();
    assert.deepEqual(positions(), [12], 'an older head is not written, nor the same one twice');
  });

  it('logs a write that fails and tries again at the next event, not in a loop', async () => {
    const { anchorer, anchors, positions } = setup({ events: 2, minutes: 10 });
    let failures = 0;
    const append = anchors.append.bind(anchors);
    anchors.append = async (records) => {
      if (failures++ < 1) throw new Error('ENOSPC: no space left on device');
      return append(records);
    };
    anchorer.observe(head(2));
    await settle();
    assert.deepEqual([positions(), failures], [[], 1], 'failed once, not retried on its own');
    anchorer.observe(head(3));
    await settle();
    assert.deepEqual(positions(), [3]);
  });

  it('looks at the clock a quarter of the period at a time, between 1 s and 1 minute', () => {
    assert.equal(anchorTickMs(10), 60_000);
    assert.equal(anchorTickMs(2), 30_000);
    assert.equal(anchorTickMs(0.001), 1000);
  });
});
