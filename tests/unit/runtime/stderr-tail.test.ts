import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StderrTail } from '../../../src/infrastructure/runtime/mcp/stderr-tail.js';

describe('StderrTail', () => {
  it('trims trailing blanks in time linear in the tail', () => {
    // A long run of blanks followed by a non-blank: /\s+$/ would try every start in the run (quadratic, over 1 s for 64 KiB).
    const tail = new StderrTail({ maxBytes: 64 * 1024, maxLines: 5 });
    tail.push(`${' '.repeat(64 * 1024 - 2)}x\n`);
    const started = performance.now();
    const text = tail.tail();
    const ms = performance.now() - started;
    assert.equal(text, `${' '.repeat(64 * 1024 - 2)}x`);
    assert.ok(ms < 100, `took ${ms.toFixed(1)} ms`);
  });

  it('drops trailing whitespace of every kind, as before', () => {
    const tail = new StderrTail();
    tail.push('fatal: no config\n\t \r\n\u00a0\u2028');
    assert.equal(tail.tail(), 'fatal: no config');
  });
});
