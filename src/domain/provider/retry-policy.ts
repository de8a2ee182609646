import { backoffMs } from '../shared/backoff.js';
import type { ErrorCode } from '../shared/errors.js';

/**
 * Which failures are worth trying again, and how long to wait. Classified by error code only, never by
 * message text: transient transport failures are retried; a tool's own error result, a validation error,
 * an unknown provider or tool, an open circuit, a degraded provider and a cancellation never are.
 */
const TRANSIENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['TIMEOUT', 'PROVIDER_CRASHED', 'PROVIDER_UNAVAILABLE', 'PROVIDER_START_FAILED']);

export const isTransient = (errorCode: ErrorCode): boolean => TRANSIENT.has(errorCode);

export interface RetrySchedule {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Fraction either side of the nominal delay, 0-1. */
  readonly jitter: number;
}

/** Delay before retry number `retry` (1-based): `min(max, initial · 2^(retry-1))`, spread by ±jitter with `random` in [0, 1). */
export const retryDelayMs = (retry: number, schedule: RetrySchedule, random: number): number =>
  backoffMs(retry - 1, { baseMs: schedule.initialDelayMs, maxMs: schedule.maxDelayMs, jitter: schedule.jitter }, random);
