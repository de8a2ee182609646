import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../../../src/application/rate-limiter.js';
import { ManualClock } from '../../support/manual-clock.js';

/** Takes `n` tokens for `key`; how many were allowed. */
const takeMany = (limiter: RateLimiter, key: string, n: number): number => {
  let allowed = 0;
  for (let i = 0; i < n; i++) {
    try {
      limiter.take(key);
      allowed++;
    } catch (error) {
      assert.equal((error as { code?: string }).code, 'RATE_LIMITED');
    }
  }
  return allowed;
};

/** The RATE_LIMITED error one more take throws. */
const refusal = (limiter: RateLimiter, key: string) => {
  try {
    limiter.take(key);
  } catch (error) {
    const refused = error as { code?: string; message: string; details: { retryAfterMs?: number; retryable?: boolean; hints?: readonly string[] } };
    assert.equal(refused.code, 'RATE_LIMITED');
    return refused;
  }
  return assert.fail('expected RATE_LIMITED');
};

describe('RateLimiter', () => {
  it('allows a burst of calls at once, then refuses with RATE_LIMITED and the time until the next token', () => {
    const limiter = new RateLimiter({ rps: 2, burst: 3 }, new ManualClock());
    assert.equal(takeMany(limiter, 'math.add', 3), 3);
    const refused = refusal(limiter, 'math.add');
    assert.equal(refused.message, 'rate limit of 2 calls/s (burst 3) reached for math.add; retry in 500 ms');
    assert.deepEqual(refused.details, { retryable: true, retryAfterMs: 500, hints: ['Wait 500 ms before calling again'] });
  });

  it('refills rps tokens per second as the clock moves', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ rps: 2, burst: 3 }, clock);
    takeMany(limiter, 'math.add', 3);
    clock.advance(250);
    assert.equal(refusal(limiter, 'math.add').details.retryAfterMs, 250);
    clock.advance(250);
    assert.equal(takeMany(limiter, 'math.add', 1), 1);
    clock.advance(1000);
    assert.equal(takeMany(limiter, 'math.add', 5), 2);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ rps: 2, burst: 3 }, clock);
    takeMany(limiter, 'math.add', 1);
    clock.advance(3_600_000);
    assert.equal(takeMany(limiter, 'math.add', 10), 3);
  });

  it('keeps one bucket per key', () => {
    const limiter = new RateLimiter({ rps: 1, burst: 2 }, new ManualClock());
    assert.equal(takeMany(limiter, 'math.add', 5), 2);
    assert.equal(takeMany(limiter, 'math.divide', 5), 2);
    assert.equal(takeMany(limiter, 'registry_list', 1), 1);
  });

  it('turns limiting off with rps 0', () => {
    const limiter = new RateLimiter({ rps: 0, burst: 1 }, new ManualClock());
    assert.equal(takeMany(limiter, 'math.add', 1000), 1000);
    assert.equal(limiter.stats().limited, 0);
  });

  it('counts allowed and refused calls and the keys it tracks', () => {
    const limiter = new RateLimiter({ rps: 1, burst: 2 }, new ManualClock());
    takeMany(limiter, 'math.add', 5);
    takeMany(limiter, 'math.divide', 1);
    assert.deepEqual(limiter.stats(), { rps: 1, burst: 2, allowed: 3, limited: 3, keys: 2 });
  });
});

describe('RateLimiter: keys of callers long gone leave nothing behind', () => {
  it('drops buckets that have refilled once there are many, and keeps the ones still owed', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter({ rps: 10, burst: 2 }, clock);
    takeMany(limiter, 'busy', 3); // its bucket is empty: it must survive the prune
    for (let i = 0; i < 3000; i++) limiter.take(`session-${i}`);
    assert.ok(limiter.stats().keys > 1024);
    clock.advance(1000); // every session bucket has refilled; busy's too, but it is taken again below
    takeMany(limiter, 'busy', 2);
    for (let i = 0; i < 1024; i++) takeMany(limiter, `late-${i % 10}`, 1);
    assert.ok(limiter.stats().keys < 100, `${limiter.stats().keys} buckets kept`);
    assert.equal(takeMany(limiter, 'busy', 1), 0, "busy's empty bucket was kept, not forgotten");
  });
});
