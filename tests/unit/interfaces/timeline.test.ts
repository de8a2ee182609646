import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProviderEvent } from '../../../src/domain/provider/events.js';
import { summarise } from '../../../src/interfaces/shared/timeline.js';

const invoked = (record: object): ProviderEvent =>
  ({ type: 'ToolInvoked', data: { tool: 'add', correlationId: 'c', durationMs: 3, outcome: 'success', resultSize: 10, ...record } }) as ProviderEvent;
const failed = (record: object): ProviderEvent =>
  ({
    type: 'ToolInvocationFailed',
    data: { tool: 'add', correlationId: 'c', durationMs: 3, errorCode: 'TIMEOUT', message: 'timed out', ...record },
  }) as ProviderEvent;

describe('the timeline shows what was recorded of a call’s arguments', () => {
  it('the recorded arguments, after the tool', () => {
    const args = { json: '{"a":1,"token":"[REDACTED]"}', truncated: false, bytes: 28 };
    assert.equal(summarise(invoked({ argumentsDigest: 'd', arguments: args })), 'add {"a":1,"token":"[REDACTED]"} → success in 3 ms');
    assert.equal(summarise(failed({ arguments: args })), 'add {"a":1,"token":"[REDACTED]"} → TIMEOUT: timed out');
  });

  it('nothing of them when only a digest, or nothing, was recorded', () => {
    assert.equal(summarise(invoked({ argumentsDigest: '0123456789abcdef' })), 'add → success in 3 ms');
    assert.equal(summarise(invoked({})), 'add → success in 3 ms');
    assert.equal(summarise(failed({})), 'add → TIMEOUT: timed out');
  });

  it('a long or cut record shortened to 79 characters and …, never half a character', () => {
    const long = JSON.stringify({ text: 'x'.repeat(200) });
    assert.equal(summarise(invoked({ arguments: { json: long, truncated: false, bytes: long.length } })), `add ${long.slice(0, 79)}… → success in 3 ms`);
    const cut = '{"t":"xx';
    assert.equal(summarise(invoked({ arguments: { json: cut, truncated: true, bytes: 5000 } })), `add ${cut}… → success in 3 ms`);
    const emoji = `{"t":"${'x'.repeat(72)}😀😀`;
    const shown = summarise(invoked({ arguments: { json: emoji, truncated: true, bytes: 5000 } }));
    assert.equal(shown, `add {"t":"${'x'.repeat(72)}… → success in 3 ms`, 'the pair that would be split is left out');
  });
});
