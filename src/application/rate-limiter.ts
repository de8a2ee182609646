import { DomainError } from '../domain/shared/errors.js';
import { refilledBy, takeToken, type TokenBucket } from '../domain/shared/token-bucket.js';
import type { RateLimitConfig } from './config.js';
import type { Clock } from './ports/clock.js';

/** What the health query reports about rate limiting. */
export interface RateLimitStats {
  readonly rps: number;
  readonly burst: number;
  readonly allowed: number;
  readonly limited: number;
  readonly keys: number;
}

/** Buckets kept before full ones are dropped (checked every PRUNE_EVERY takes). */
const PRUNE_ABOVE = 1024;
const PRUNE_EVERY = 1024;

/**
 * Token buckets per key (a provider and tool, or an interface's own operation; per caller or session over
 * HTTP). Refuses with RATE_LIMITED and the time to wait. A bucket that has refilled is the same as none, so
 * once there are many, full ones are dropped: keys of sessions long gone leave nothing behind.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private allowed = 0;
  private limited = 0;
  private sincePrune = 0;

  constructor(
    private readonly limit: RateLimitConfig,
    private readonly clock: Clock,
  ) {}

  /** Takes a token for `key`, or throws RATE_LIMITED. */
  take(key: string): void {
    if (this.limit.rps <= 0) return;
    const now = this.clock.now();
    if (++this.sincePrune >= PRUNE_EVERY && this.buckets.size > PRUNE_ABOVE) this.prune(now);
    const taken = takeToken(this.buckets.get(key), now, this.limit.rps, this.limit.burst);
    this.buckets.set(key, taken.bucket);
    if (taken.allowed) {
      this.allowed++;
      return;
    }
    this.limited++;
    throw new DomainError(
      'RATE_LIMITED',
      `rate limit of ${this.limit.rps} calls/s (burst ${this.limit.burst}) reached for ${key}; retry in ${taken.retryAfterMs} ms`,
      {
        retryable: true,
        retryAfterMs: taken.retryAfterMs,
        hints: [`Wait ${taken.retryAfterMs} ms before calling again`],
      },
    );
  }

  private prune(now: number): void {
    this.sincePrune = 0;
    for (const [key, bucket] of this.buckets) if (refilledBy(bucket, now, this.limit.rps, this.limit.burst)) this.buckets.delete(key);
  }

  stats(): RateLimitStats {
    return { rps: this.limit.rps, burst: this.limit.burst, allowed: this.allowed, limited: this.limited, keys: this.buckets.size };
  }
}
