import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { isJsonRpcMessage } from '../../../src/infrastructure/jsonrpc/message-shape.js';

const CASES: readonly unknown[] = [
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', arguments: { a: 1 } } },
  { jsonrpc: '2.0', id: 'a', method: 'tools/list' },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1, reason: 'x' } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: 'p' } } },
  { jsonrpc: '2.0', id: 1, result: {} },
  { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'no', data: { x: 1 } } },
  // Refused:
  { jsonrpc: '1.0', id: 1, method: 'x' },
  { jsonrpc: '2.0', id: { a: 1 }, method: 'x' },
  { jsonrpc: '2.0', id: null, method: 'x' },
  { jsonrpc: '2.0', id: 1.5, method: 'x' },
  { jsonrpc: '2.0', id: 2 ** 53 + 2, method: 'x' },
  { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' } },
  { jsonrpc: '2.0', id: 1, method: 'x', params: [1, 2] },
  { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: {} } } },
  { jsonrpc: '2.0', id: 1, method: 'x', extra: true },
  { jsonrpc: '2.0', method: 'x', extra: true },
  { jsonrpc: '2.0', id: 1 },
  { jsonrpc: '2.0', id: 1, result: [] },
  { jsonrpc: '2.0', id: 1, result: {}, extra: 1 },
  { jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'no' } },
  { jsonrpc: '2.0', id: 1, error: { code: 1 } },
  { jsonrpc: '2.0', method: 42 },
  [{ jsonrpc: '2.0', method: 'x' }],
  null,
  'text',
];

describe('isJsonRpcMessage: the envelope check by hand', () => {
  it("agrees with the SDK's JSONRPCMessageSchema on requests, notifications, results, errors and broken shapes", () => {
    for (const value of CASES) assert.equal(isJsonRpcMessage(value), JSONRPCMessageSchema.safeParse(value).success, JSON.stringify(value));
  });

  it('returns the message itself, not a copy', () => {
    const message = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { arguments: { ['__proto__']: 1 } } };
    assert.equal(isJsonRpcMessage(message), true);
  });
});
