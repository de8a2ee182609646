import { backoffMs, type Backoff } from '../shared/backoff.js';

/** How long a degraded provider waits before its next start: `min(60 s, 2^failures s)`, ±20 %. */
const START_BACKOFF: Backoff = { baseMs: 1000, maxMs: 60_000, jitter: 0.2 };

/** Delay before the next start of a provider that failed `failures` times in a row; `jitter` in [0, 1). */
export const startBackoffMs = (failures: number, jitter: number): number => backoffMs(failures, START_BACKOFF, jitter);
