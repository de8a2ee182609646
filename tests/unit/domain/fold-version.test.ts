import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PROVIDER_FOLD_VERSION } from '../../../src/domain/provider/evolve.js';

/** The sources of the provider fold: what `evolve` does and what the state keeps. */
const FOLD_SOURCES = [
  'src/domain/provider/evolve.ts',
  'src/domain/provider/state.ts',
  'src/domain/provider/circuit-breaker.ts',
  'src/domain/provider/blame.ts',
];

/**
 * The digest of those sources (whitespace folded) that each fold version was reviewed at. Snapshots of
 * provider state are saved under PROVIDER_FOLD_VERSION and trusted by every build with the same version:
 * a change to the fold that kept the version would let a boot take a state the new fold would not produce.
 */
const REVIEWED: Record<number, string> = { 1: 'f838d7b47e80db3a' };

const digest = (): string => {
  const root = new URL('../../../../', import.meta.url);
  const hash = createHash('sha256');
  for (const file of FOLD_SOURCES) hash.update(readFileSync(new URL(file, root), 'utf8').replace(/\s+/g, ' '));
  return hash.digest('hex').slice(0, 16);
};

describe('the provider fold version', () => {
  it('changes whenever the fold changes (snapshots of the old fold must not be used)', () => {
    assert.equal(
      digest(),
      REVIEWED[PROVIDER_FOLD_VERSION],
      `the provider fold's sources changed (${FOLD_SOURCES.join(', ')}). If the change can fold the same events into a different state, ` +
        `bump PROVIDER_FOLD_VERSION in evolve.ts (old snapshots are then ignored and rebuilt); either way record the new digest ${digest()} ` +
        `under the version in REVIEWED in this test.`,
    );
  });
});
