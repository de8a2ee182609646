import type { Hasher, IdGenerator } from '../../src/application/ports/clock.js';

/** Correlation ids `corr-1`, `corr-2`, ... and a fixed "random" number (0.5: jitter leaves a delay at its nominal value). */
export const fixedIds = (random = 0.5): IdGenerator => {
  let n = 0;
  return { correlationId: () => `corr-${++n}`, random: () => random };
};

/** A digest a test can read: the value's JSON. */
export const jsonHasher: Hasher = { digest: (value) => `json:${JSON.stringify(value)}`, digestJson: (json) => `json:${json}` };
