import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemIds, uuidV7 } from '../../../src/infrastructure/system/system-clock.js';

describe('correlation ids (UUID version 7)', () => {
  it('are RFC 9562 version-7 UUIDs whose first 48 bits are the time in milliseconds', () => {
    const now = Date.UTC(2026, 2, 7, 12, 0, 0, 123);
    const id = uuidV7(now);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), now);
    assert.match(systemIds.correlationId(), /^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('sort by time, and are unique within a millisecond', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => uuidV7(1_700_000_000_000 + Math.floor(i / 10)));
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 10; i < ids.length; i += 10) assert.ok((ids[i - 10] as string) < (ids[i] as string), `${ids[i - 10]} < ${ids[i]}`);
  });
});
