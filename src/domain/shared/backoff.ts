/** An exponential backoff: `min(maxMs, baseMs · 2^n)`, spread by ±`jitter` (a fraction, 0-1). */
export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly jitter: number;
}

/**
 * The delay for exponent `n` (≥ 0), spread with `random` in [0, 1): never above `maxMs`, never below 0.
 * The one formula behind the start backoff of a degraded provider and the retries of a call.
 */
export const backoffMs = (n: number, backoff: Backoff, random: number): number => {
  const nominal = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, n));
  const spread = 1 - backoff.jitter + 2 * backoff.jitter * Math.min(Math.max(random, 0), 1);
  return Math.max(0, Math.round(Math.min(backoff.maxMs, nominal * spread)));
};
