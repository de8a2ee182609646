/** A token bucket: `tokens` left as of `atMs`. */
export interface TokenBucket {
  readonly tokens: number;
  readonly atMs: number;
}

/**
 * Takes one token at `nowMs` from a bucket refilled at `ratePerS` up to `burst`. Returns the new bucket
 * and, when no token was left, how long until one is.
 */
export const takeToken = (
  bucket: TokenBucket | undefined,
  nowMs: number,
  ratePerS: number,
  burst: number,
): { readonly bucket: TokenBucket; readonly allowed: boolean; readonly retryAfterMs: number } => {
  const previous = bucket ?? { tokens: burst, atMs: nowMs };
  const refilled = Math.min(burst, previous.tokens + (Math.max(0, nowMs - previous.atMs) * ratePerS) / 1000);
  if (refilled >= 1) return { bucket: { tokens: refilled - 1, atMs: nowMs }, allowed: true, retryAfterMs: 0 };
  return { bucket: { tokens: refilled, atMs: nowMs }, allowed: false, retryAfterMs: Math.ceil(((1 - refilled) * 1000) / ratePerS) };
};

/** Whether a bucket last touched at `atMs` is full again at `nowMs`: it is then the same as no bucket at all. */
export const refilledBy = (bucket: TokenBucket, nowMs: number, ratePerS: number, burst: number): boolean =>
  bucket.tokens + (Math.max(0, nowMs - bucket.atMs) * ratePerS) / 1000 >= burst;
