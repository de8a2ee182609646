import { DomainError } from '../domain/shared/errors.js';
import { takeToken, type TokenBucket } from '../domain/shared/token-bucket.js';
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

/** Token buckets per key (a provider and tool, or an interface's own operation). Refuses with RATE_LIMITED and the time to wait. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private allowed = 0;
  private limited = 0;

  constructor(
    private readonly limit: RateLimitConfig,
    private readonly clock: Clock,
  ) {}

  /** Takes a token for `key`, or throws RATE_LIMITED. */
  take(key: string): void {
    if (this.limit.rps <= 0) return;
    const taken = takeToken(this.buckets.get(key), this.clock.now(), this.limit.rps, this.limit.burst);
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

  stats(): RateLimitStats {
    return { rps: this.limit.rps, burst: this.limit.burst, allowed: this.allowed, limited: this.limited, keys: this.buckets.size };
  }
}
