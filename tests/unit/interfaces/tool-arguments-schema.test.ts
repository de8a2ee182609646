import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nestedDeeperThan, toolArgumentsSchema } from '../../../src/interfaces/mcp/schemas.js';

/** `{ a: { a: ... { a: leaf } } }` with `levels` objects. */
const nested = (levels: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};

const issuesOf = (value: unknown) => {
  const parsed = toolArgumentsSchema.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
};

describe('toolArgumentsSchema: depth and size limits', () => {
  it('refuses arguments nested 100,000 levels deep with the depth limit, not a stack overflow', () => {
    assert.deepEqual(issuesOf(nested(100_000)), ['arguments are nested deeper than 32 levels']);
    assert.deepEqual(issuesOf({ ok: 1, list: [nested(100_000, [])] }), ['arguments are nested deeper than 32 levels']);
  });

  it('allows 32 levels and refuses 33, counting arrays like objects', () => {
    assert.deepEqual(issuesOf(nested(32)), []);
    assert.deepEqual(issuesOf(nested(33)), ['arguments are nested deeper than 32 levels']);
    assert.deepEqual(issuesOf(nested(32, [])), [], 'an empty list at level 32');
    assert.deepEqual(issuesOf(nested(32, [1])), ['arguments are nested deeper than 32 levels']);
  });

  it('refuses arguments over 1 MiB as JSON', () => {
    assert.deepEqual(issuesOf({ text: 'x'.repeat(1024 * 1024) }), ['arguments exceed 1 MiB as JSON']);
    assert.deepEqual(issuesOf({ text: 'x'.repeat(1000) }), []);
  });

  it('measures depth without recursion', () => {
    assert.equal(nestedDeeperThan(nested(1_000_000), 32), true);
    assert.equal(nestedDeeperThan({}, 0), false);
    assert.equal(nestedDeeperThan({ a: 1 }, 0), true);
    assert.equal(nestedDeeperThan('text', 0), false);
  });
});
