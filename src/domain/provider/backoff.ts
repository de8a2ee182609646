/** The longest a degraded provider waits before its next start is admitted. */
export const MAX_BACKOFF_MS = 60_000;
/** Jitter spreads retries by up to this fraction either side of the nominal delay. */
export const BACKOFF_JITTER = 0.2;

/**
 * Delay before the next start of a provider that failed `failures` times in a row:
 * `min(60 s, 2^failures s)`, spread by ±20 % with `jitter` in [0, 1), never above the cap.
 */
export const startBackoffMs = (failures: number, jitter: number): number => {
  const nominal = Math.min(MAX_BACKOFF_MS, 2 ** Math.max(0, failures) * 1000);
  const spread = 1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * Math.min(Math.max(jitter, 0), 1);
  return Math.round(Math.min(MAX_BACKOFF_MS, nominal * spread));
};
