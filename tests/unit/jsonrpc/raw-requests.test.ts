import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RawRequests } from '../../../src/infrastructure/runtime/mcp/raw-requests.js';

/** A RawRequests whose written lines are kept, parsed. */
const recorded = () => {
  const lines: { id?: number; method: string; params: Record<string, unknown> }[] = [];
  let open = true;
  const requests = new RawRequests((line) => {
    if (open) lines.push(JSON.parse(line) as (typeof lines)[number]);
    return open;
  });
  return { requests, lines, shut: () => (open = false) };
};

describe('RawRequests: tools/call past the SDK client', () => {
  it('writes one JSON-RPC line per request and settles it with the response of its id, in any order', async () => {
    const { requests, lines } = recorded();
    const a = requests.request('tools/call', { name: 'a', arguments: {} }, { timeoutMs: 5000 });
    const b = requests.request('tools/call', { name: 'b', arguments: { x: 1 } }, { timeoutMs: 5000 });
    assert.deepEqual(
      lines.map((l) => [l.method, l.params]),
      [
        ['tools/call', { name: 'a', arguments: {} }],
        ['tools/call', { name: 'b', arguments: { x: 1 } }],
      ],
    );
    const [idA, idB] = lines.map((l) => l.id);
    assert.equal(requests.take(idB, { result: { content: [] } }, 'line b'), true);
    assert.equal(requests.take(idA, { result: { content: [1] } }, 'line a'), true);
    assert.equal(requests.take(idA, { result: {} }, 'again'), false, 'an id answers once');
    assert.equal(requests.take(7, { result: {} }, 'the SDK client’s own'), false);
    assert.deepEqual(await a, { ok: true, value: { message: { result: { content: [1] } }, line: 'line a' } });
    assert.deepEqual(await b, { ok: true, value: { message: { result: { content: [] } }, line: 'line b' } });
  });

  it('asks for progress only when the caller wants it, and relays it under its own token', async () => {
    const { requests, lines } = recorded();
    const seen: unknown[] = [];
    const call = requests.request('tools/call', { name: 'slow' }, { timeoutMs: 5000, onProgress: (u) => seen.push(u) });
    const sent = lines[0];
    const token = (sent?.params['_meta'] as { progressToken: number }).progressToken;
    assert.equal(token, sent?.id);
    assert.equal(requests.progress({ progressToken: token, progress: 1, total: 2, message: 'half' }), true);
    assert.equal(requests.progress({ progressToken: 'someone else', progress: 1 }), false);
    requests.take(sent?.id, { result: {} }, '');
    await call;
    assert.deepEqual(seen, [{ progress: 1, total: 2, message: 'half' }]);
  });

  it('times calls out with one shared timer, tells the provider, and leaves the others running', async () => {
    const { requests, lines } = recorded();
    const long = requests.request('tools/call', { name: 'long' }, { timeoutMs: 5000 });
    const short = requests.request('tools/call', { name: 'short' }, { timeoutMs: 30 });
    const started = Date.now();
    assert.deepEqual(await short, { ok: false, failure: { kind: 'timeout' } });
    assert.ok(Date.now() - started >= 25);
    const cancel = lines.find((l) => l.method === 'notifications/cancelled');
    assert.equal(cancel?.params['requestId'], lines[1]?.id);
    requests.take(lines[0]?.id, { result: {} }, 'long');
    assert.equal((await long).ok, true);
  });

  it('cancels on abort with the caller’s reason, and an aborted signal sends nothing', async () => {
    const { requests, lines } = recorded();
    const controller = new AbortController();
    const call = requests.request('tools/call', { name: 'hang' }, { timeoutMs: 5000, signal: controller.signal });
    controller.abort('user pressed stop');
    assert.deepEqual(await call, { ok: false, failure: { kind: 'cancelled' } });
    assert.deepEqual(lines[1], { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: lines[0]?.id, reason: 'user pressed stop' } });
    assert.deepEqual(await requests.request('tools/call', { name: 'x' }, { timeoutMs: 5000, signal: AbortSignal.abort() }), {
      ok: false,
      failure: { kind: 'cancelled' },
    });
    assert.equal(lines.length, 2);
  });

  it('fails an oversized answer as too_large, and every call with closed when the session closes', async () => {
    const { requests, lines, shut } = recorded();
    const big = requests.request('tools/call', { name: 'big' }, { timeoutMs: 5000 });
    const pending = requests.request('tools/call', { name: 'hang' }, { timeoutMs: 5000 });
    assert.equal(requests.oversized(lines[0]?.id, 20_000_000, 16_777_216), true);
    assert.deepEqual(await big, { ok: false, failure: { kind: 'too_large', bytes: 20_000_000, limitBytes: 16_777_216 } });
    shut();
    requests.close();
    assert.deepEqual(await pending, { ok: false, failure: { kind: 'closed' } });
    assert.deepEqual(await requests.request('tools/call', { name: 'x' }, { timeoutMs: 5000 }), { ok: false, failure: { kind: 'closed' } });
  });
});
