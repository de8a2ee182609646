import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { McpSession, type McpSessionOptions } from '../../src/infrastructure/runtime/mcp/mcp-session.js';
import { FakeProvider, type FakeProviderOptions } from '../support/fake-provider.js';

/** A session over a fresh fake provider's streams. */
const pair = (fake = new FakeProvider(), options: McpSessionOptions = {}) => ({ fake, session: new McpSession(fake.stdout, fake.stdin, options) });

/** A session whose handshake with the fake succeeded. */
const opened = async (options: FakeProviderOptions = {}) => {
  const { fake, session } = pair(new FakeProvider(options));
  const outcome = await session.open(2000);
  assert.ok(outcome.ok, 'handshake');
  return { fake, session, handshake: outcome.handshake };
};

const TOOLS = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, inputSchema: { type: 'object' }, 'x-vendor': { keep: name } }));

describe('McpSession handshake', () => {
  it('initializes, sends initialized, and lists every page of tools as the provider described them', async () => {
    const { fake, handshake } = await opened({ tools: TOOLS, pageSize: 2 });
    assert.deepEqual(handshake.serverInfo, { name: 'fake', version: '1.0.0' });
    assert.ok(handshake.protocolVersion);
    assert.deepEqual(handshake.tools, TOOLS);
    assert.deepEqual(
      fake.received.map((m) => m.method),
      ['initialize', 'notifications/initialized', 'tools/list', 'tools/list', 'tools/list'],
    );
    assert.deepEqual(
      fake.received.filter((m) => m.method === 'tools/list').map((m) => m.params?.['cursor']),
      [undefined, '2', '4'],
    );
  });

  it('stops paging when the provider repeats its cursor', async () => {
    const fake = new FakeProvider().on('tools/list', (r) => fake.result(r, { tools: [{ name: 'loop', inputSchema: {} }], nextCursor: 'same' }));
    const { session } = pair(fake);
    const outcome = await session.open(2000);
    assert.ok(outcome.ok);
    assert.equal(outcome.handshake.tools.length, 2);
  });

  it('no answer to initialize: fails at the deadline, at that step', async () => {
    const { session } = pair(new FakeProvider().on('initialize', () => undefined));
    const started = Date.now();
    const outcome = await session.open(150);
    assert.ok(Date.now() - started >= 140);
    assert.deepEqual(outcome.ok ? null : [outcome.step, outcome.timedOut], ['initialize', true]);
  });

  it('no answer to tools/list: fails at the deadline, at that step', async () => {
    const { session } = pair(new FakeProvider().on('tools/list', () => undefined));
    const outcome = await session.open(150);
    assert.deepEqual(outcome.ok ? null : [outcome.step, outcome.timedOut], ['tools/list', true]);
  });

  it('an error answer to initialize fails at once with its message', async () => {
    const fake = new FakeProvider().on('initialize', (r) => fake.error(r, -32603, 'database is locked'));
    const { session } = pair(fake);
    const outcome = await session.open(5000);
    assert.ok(!outcome.ok);
    assert.equal(outcome.timedOut, false);
    assert.match(outcome.message, /database is locked/);
  });
});

describe('McpSession calls', () => {
  it('returns the result with every field the provider sent', async () => {
    const { fake, session } = await opened();
    const raw = { content: [{ type: 'future_kind', payload: 1 }], structuredContent: { a: 1 }, _meta: { m: true }, extra: 'kept' };
    fake.on('tools/call', (r) => fake.result(r, raw));
    assert.deepEqual(await session.callTool('echo', { x: 1 }, { timeoutMs: 1000 }), { ok: true, value: raw });
    assert.deepEqual(fake.received.at(-1)?.params, { name: 'echo', arguments: { x: 1 } });
  });

  it('an error answer is refused, telling invalid params from other errors', async () => {
    const { fake, session } = await opened();
    fake.on('tools/call', (r) => (r.params?.['name'] === 'bad' ? fake.error(r, -32602, 'b must be a number') : fake.error(r, -32603, 'boom')));
    const invalid = await session.callTool('bad', {}, { timeoutMs: 1000 });
    assert.ok(!invalid.ok && invalid.failure.kind === 'refused');
    assert.equal(invalid.failure.invalidParams, true);
    assert.match(invalid.failure.message, /b must be a number/);
    const internal = await session.callTool('other', {}, { timeoutMs: 1000 });
    assert.ok(!internal.ok && internal.failure.kind === 'refused');
    assert.equal(internal.failure.invalidParams, false);
  });

  it('a malformed result is refused, not passed on', async () => {
    const { fake, session } = await opened();
    fake.on('tools/call', (r) => fake.result(r, { content: 'not a list' }));
    const outcome = await session.callTool('echo', {}, { timeoutMs: 1000 });
    assert.deepEqual(outcome.ok ? null : [outcome.failure.kind, session.isClosed], ['refused', false]);
  });

  it('the timeout is a hard deadline that progress does not extend, and the provider is told to cancel', async () => {
    const { fake, session } = await opened();
    let timer: NodeJS.Timeout | undefined;
    fake.on('tools/call', (r) => {
      let step = 0;
      timer = setInterval(() => (++step > 30 ? clearInterval(timer) : fake.write(fake.progressLine(r, step))), 20);
    });
    const started = Date.now();
    const outcome = await session.callTool('slow', {}, { timeoutMs: 200, onProgress: () => undefined });
    clearInterval(timer);
    const elapsed = Date.now() - started;
    assert.deepEqual(outcome.ok ? null : outcome.failure, { kind: 'timeout' });
    assert.ok(elapsed >= 190 && elapsed < 600, `timed out after ${elapsed} ms`);
    const call = fake.received.find((m) => m.method === 'tools/call');
    const cancel = await fake.waitFor((m) => m.method === 'notifications/cancelled');
    assert.equal(cancel.params?.['requestId'], call?.id);
  });

  it('aborting cancels the call at the provider; an aborted signal fails at once', async () => {
    const { fake, session } = await opened();
    fake.on('tools/call', () => undefined);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const outcome = await session.callTool('hang', {}, { timeoutMs: 5000, signal: controller.signal });
    assert.deepEqual(outcome.ok ? null : outcome.failure, { kind: 'cancelled' });
    await fake.waitFor((m) => m.method === 'notifications/cancelled');
    const already = await session.callTool('hang', {}, { timeoutMs: 5000, signal: AbortSignal.abort() });
    assert.deepEqual(already.ok ? null : already.failure, { kind: 'cancelled' });
  });

  it('relays progress, even when the last progress and the result arrive in one chunk', async () => {
    const { fake, session } = await opened();
    fake.on('tools/call', (r) => fake.write(fake.progressLine(r, 1, 2) + fake.progressLine(r, 2, 2) + fake.resultLine(r, { content: [] })));
    const updates: unknown[] = [];
    const outcome = await session.callTool('slow', {}, { timeoutMs: 1000, onProgress: (u) => updates.push(u) });
    assert.ok(outcome.ok);
    assert.deepEqual(updates, [
      { progress: 1, total: 2 },
      { progress: 2, total: 2 },
    ]);
  });

  it('a call in flight when the provider closes its stdout fails as closed, with the reason', async () => {
    let closes = 0;
    const { fake, session } = pair(new FakeProvider(), { onClose: () => closes++ });
    assert.ok((await session.open(1000)).ok);
    fake.on('tools/call', () => fake.stdout.end());
    const outcome = await session.callTool('echo', {}, { timeoutMs: 5000 });
    assert.deepEqual(outcome.ok ? null : outcome.failure, { kind: 'closed' });
    assert.deepEqual(session.closeReason, { kind: 'stdout_closed' });
    assert.equal(closes, 1);
  });

  it('close() ends the provider input, fails calls in flight, and leaves no close reason', async () => {
    const { fake, session } = await opened();
    fake.on('tools/call', () => undefined);
    const inFlight = session.callTool('hang', {}, { timeoutMs: 5000 });
    session.close();
    const outcome = await inFlight;
    assert.deepEqual(outcome.ok ? null : outcome.failure, { kind: 'closed' });
    assert.equal(session.closeReason, null);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(fake.stdinEnded);
  });

  it('answers ping; an error answer is refused', async () => {
    const { fake, session } = await opened();
    assert.deepEqual(await session.ping(1000), { ok: true, value: undefined });
    fake.on('ping', (r) => fake.error(r, -32601, 'Method not found'));
    const refused = await session.ping(1000);
    assert.equal(refused.ok ? null : refused.failure.kind, 'refused');
  });

  it('counts the non-protocol lines it skipped', async () => {
    const { fake, session } = await opened();
    fake.write('starting up...\n{"level":"warn"}\n');
    fake.on('tools/call', (r) => fake.result(r, { content: [] }));
    await session.callTool('echo', {}, { timeoutMs: 1000 });
    assert.equal(session.skippedLines, 2);
    assert.deepEqual(session.lastSkippedLines(), ['starting up...', '{"level":"warn"}']);
  });
});
