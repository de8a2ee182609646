import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sweepEveryMs } from '../../../src/application/process-managers/sweep-interval.js';

describe('sweep interval', () => {
  const cases: [string, number[], number, number][] = [
    ['a quarter of the shortest period', [180, 60], 50, 5000],
    ['a quarter of a short period', [2], 50, 500],
    ['never below the floor', [0.1], 50, 50],
    ['periods of 0 mean never', [0, 0.4], 50, 100],
    ['5 s when nothing is due', [0], 50, 5000],
    ['5 s when there are no providers', [], 100, 5000],
  ];
  for (const [name, periods, floor, expected] of cases) it(name, () => assert.equal(sweepEveryMs(periods, floor), expected));
});
