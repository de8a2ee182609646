import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  FAULTY_SERVER,
  connectRaw,
  MATH_SERVER,
  connectHangar,
  errorOf,
  eventually,
  tempDir,
  writeConfig,
  type ConnectedHangar,
  UNLIMITED,
} from '../support/hangar-harness.js';

const MIB = 1024 * 1024;
const add = (id: number, a: number) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'registry_invoke', arguments: { provider: 'math', tool: 'add', arguments: { a, b: 1 } } },
  });

describe('no client message kills or deafens the hangar', { timeout: 120_000 }, () => {
  const dir = tempDir();
  after(() => dir.remove());
  const config = writeConfig(dir.path, `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n    idle_ttl_s: 0\n`);

  it('answers oversized, broken, batched and wrongly shaped messages with the JSON-RPC error for their id, and serves the next one', async () => {
    const hangar = await connectRaw(config, UNLIMITED);
    try {
      // The official SDK writes a request's id after its params: 20 MB and just over 10 MB, id at the end.
      for (const [id, size] of [
        [2, 20 * MIB],
        [3, 10 * MIB + 10 * 1024],
      ] as const) {
        const params = { name: 'registry_invoke', arguments: { provider: 'math', tool: 'add', arguments: { a: 1, b: 2, pad: 'x'.repeat(size) } } };
        const refused = await hangar.request(id, JSON.stringify({ method: 'tools/call', params, jsonrpc: '2.0', id }));
        assert.equal(refused.error?.code, -32600);
        assert.match(refused.error?.message ?? '', /exceeds the limit of 8388608 bytes \(limits\.max_message_bytes\)/);
      }
      const cut = await hangar.request(4, '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"registry_list"'); // cut short: not JSON
      assert.equal(cut.error?.code, -32700);
      const batch = hangar.request(6, '[{"jsonrpc":"2.0","id":5,"method":"ping"},{"jsonrpc":"2.0","id":6,"method":"ping"}]');
      assert.match((await batch).error?.message ?? '', /batches are not supported/);
      assert.equal((await hangar.request(7, '{"jsonrpc":"1.0","id":7,"method":"ping"}')).error?.code, -32600);
      await hangar.send('{"jsonrpc":"2.0","id":{"not":"an id"},"method":"ping"}');
      await hangar.send('not json at all');
      const served = await hangar.request(8, add(8, 41));
      assert.deepEqual(served.result?.structuredContent, { result: 42 }, 'the next message is served');
      assert.deepEqual(hangar.answered(), [0, 2, 3, 4, 5, 6, 7, 8], 'a message without a usable id is only logged');
      const logged = hangar.stderr();
      for (const what of ['over the size limit', 'not JSON', 'JSON-RPC batch', 'not a JSON-RPC 2.0 message']) assert.match(logged, new RegExp(what));
    } finally {
      assert.equal(await hangar.close(), 0, 'it never stopped serving');
    }
  });

  it('answers the official client’s oversized request at once, naming the limit, and keeps its connection', async () => {
    const hangar = await connectHangar(config, UNLIMITED);
    try {
      const started = Date.now();
      const pad = 'x'.repeat(12 * MIB);
      await assert.rejects(
        hangar.client.callTool({ name: 'registry_invoke', arguments: { provider: 'math', tool: 'add', arguments: { a: 1, b: 2, pad } } }),
        (error: unknown) => {
          assert.ok(error instanceof McpError);
          assert.equal(error.code, -32600);
          assert.match(error.message, /limits\.max_message_bytes/);
          return true;
        },
      );
      assert.ok(Date.now() - started < 5000, 'answered, not left to the client’s timeout');
      const sum = await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 2, b: 3 } });
      assert.deepEqual(sum.structuredContent, { result: 5 });
    } finally {
      await hangar.close();
    }
  });
});

describe('no result kills the client’s connection', { timeout: 120_000 }, () => {
  const dir = tempDir();
  let hangar: ConnectedHangar;
  before(async () => {
    const faulty = (id: string, env = '') =>
      `  ${id}:\n    command: [node, ${JSON.stringify(FAULTY_SERVER)}]\n    idle_ttl_s: 0\n    timeout_s: 30\n${env ? `    env: { ${env} }\n` : ''}`;
    const config = writeConfig(dir.path, `providers:\n${faulty('big')}${faulty('crowded', 'FAULTY_MANY_TOOLS: "100000"')}`);
    hangar = await connectHangar(config, UNLIMITED);
  });
  after(async () => {
    await hangar?.close();
    dir.remove();
  });
  const history = async (provider: string, types: string[]) =>
    ((await hangar.call('registry_history', { provider, types, limit: 1000 })).structuredContent as { events: { data: Record<string, unknown> }[] }).events;

  it('refuses 12 MB and 20 MB results with RESULT_TOO_LARGE, records the call so, and keeps serving', async () => {
    for (const bytes of [12 * MIB, 20 * MIB]) {
      const result = await hangar.call('registry_invoke', { provider: 'big', tool: 'big', arguments: { bytes } });
      assert.equal(errorOf(result).code, 'RESULT_TOO_LARGE');
      assert.match(errorOf(result).message as string, /over limits\.max_result_bytes \(8\.0 MiB\)/);
    }
    const small = await hangar.call('registry_invoke', { provider: 'big', tool: 'big', arguments: { bytes: 10 } });
    assert.deepEqual(small.content, [{ type: 'text', text: 'x'.repeat(10) }]);
    const failed = await history('big', ['ToolInvocationFailed']);
    assert.deepEqual(
      failed.map((e) => e.data['errorCode']),
      ['RESULT_TOO_LARGE', 'RESULT_TOO_LARGE'],
    );
  });

  it('refuses a 100,000-tool list with RESULT_TOO_LARGE and records it by digest and count only', async () => {
    const tools = await hangar.call('registry_tools', { provider: 'crowded' });
    assert.equal(errorOf(tools).code, 'RESULT_TOO_LARGE');
    const listed = Number(/lists (\d+) tools/.exec(errorOf(tools).message as string)?.[1]);
    assert.ok(listed > 100_000, `${listed} tools`);
    const [discovered] = await history('crowded', ['ToolsDiscovered']);
    assert.deepEqual([discovered?.data['count'], (discovered?.data['tools'] as unknown[]).length], [listed, 0]);
    const echo = await hangar.call('registry_invoke', { provider: 'crowded', tool: 'echo', arguments: { text: 'still usable' } });
    assert.deepEqual(echo.structuredContent, { text: 'still usable' });
    const wrong = await hangar.call('registry_invoke', { provider: 'crowded', tool: 'tool_99999', arguments: { x: 1 } });
    const refusedBy = (wrong.structuredContent as { error?: { code?: string } } | undefined)?.error?.code;
    assert.equal(refusedBy, undefined, 'the hangar knows the tool from the running provider and passes the call on');
    assert.match(JSON.stringify(wrong.content), /tool_99999/, 'the provider itself answered');
  });
});

describe('a provider answer too long to read', { timeout: 120_000 }, () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('fails that call with RESULT_TOO_LARGE while the provider keeps running', async () => {
    // With a 1 MiB limit the hangar reads at most 16 MiB of a line: a 20 MB answer is dropped unread.
    const config = writeConfig(
      dir.path,
      `limits: { max_result_bytes: 1048576 }\nproviders:\n  big:\n    command: [node, ${JSON.stringify(FAULTY_SERVER)}]\n    idle_ttl_s: 0\n`,
    );
    const hangar = await connectHangar(config, UNLIMITED);
    try {
      await hangar.call('registry_invoke', { provider: 'big', tool: 'echo', arguments: { text: 'warm' } });
      const pid = ((await hangar.call('registry_details', { provider: 'big' })).structuredContent as { process: { pid: number } }).process.pid;
      const refused = await hangar.call('registry_invoke', { provider: 'big', tool: 'big', arguments: { bytes: 20 * MIB } });
      assert.equal(errorOf(refused).code, 'RESULT_TOO_LARGE');
      assert.match(errorOf(refused).message as string, /over the 16\.0 MiB the hangar reads from a provider/);
      const details = (await hangar.call('registry_details', { provider: 'big' })).structuredContent as { process: { pid: number } };
      assert.equal(details.process.pid, pid, 'the same process serves on');
      assert.deepEqual((await hangar.call('registry_invoke', { provider: 'big', tool: 'echo', arguments: { text: 'after' } })).structuredContent, {
        text: 'after',
      });
    } finally {
      await hangar.close();
    }
  });
});

describe('secrets stay out of the audit trail and out of the model’s view', { timeout: 120_000 }, () => {
  const dir = tempDir();
  after(() => dir.remove());
  const SECRET = 'sv-7f3a9c2e41b8d6';

  it('redacts what the provider printed before storing or showing it, and shows the config as written', async () => {
    const config = writeConfig(
      dir.path,
      `providers:
  leaky:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}, "--key=\${LEAKY_KEY}"]
    env: { FAULTY_SECRET: "\${LEAKY_KEY}" }
    idle_ttl_s: 0
`,
    );
    const hangar = await connectHangar(config, { ...UNLIMITED, LEAKY_KEY: SECRET });
    const seen: string[] = [];
    try {
      const crashed = await hangar.call('registry_invoke', { provider: 'leaky', tool: 'leak', arguments: {} });
      assert.equal(errorOf(crashed).code, 'PROVIDER_CRASHED');
      assert.match(String(errorOf(crashed)['stderr_tail']), /connecting with \[REDACTED\]/, 'the line is kept, the secret is not');
      assert.match(String(errorOf(crashed)['stderr_tail']), /Bearer \[REDACTED\]/);
      assert.match(String(errorOf(crashed)['stderr_tail']), /password=\[REDACTED\]/);
      seen.push(JSON.stringify(crashed));
      await eventually(async () =>
        JSON.stringify((await hangar.call('registry_history', { provider: 'leaky', types: ['ProviderCrashed'] })).structuredContent).includes('REDACTED'),
      );
      await hangar.call('registry_invoke', { provider: 'leaky', tool: 'echo', arguments: { text: 'x' } });
      const details = await hangar.call('registry_details', { provider: 'leaky' });
      assert.deepEqual((details.structuredContent as { config: { command: string[] } }).config.command.at(-1), '--key=${LEAKY_KEY}', 'shown as written');
      for (const tool of ['registry_history', 'registry_details', 'registry_status', 'registry_health', 'registry_list', 'registry_tools']) {
        seen.push(
          JSON.stringify(
            await hangar.call(tool, tool === 'registry_status' || tool === 'registry_health' || tool === 'registry_list' ? {} : { provider: 'leaky' }),
          ),
        );
      }
    } finally {
      await hangar.close();
    }
    for (const text of seen) {
      assert.doesNotMatch(text, new RegExp(SECRET));
      assert.doesNotMatch(text, /abcdefghij0123456789|hunter2hunter2/);
    }
    const stored = readdirSync(join(dir.path, 'data'))
      .filter((f) => f.startsWith('hangar.db'))
      .map((f) => join(dir.path, 'data', f))
      .filter((f) => !f.endsWith('.instances'))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
    assert.ok(stored.includes('REDACTED'), 'the crash was stored');
    for (const secret of [SECRET, 'abcdefghij0123456789', 'hunter2hunter2']) assert.ok(!stored.includes(secret), `${secret} is not in the store`);
  });
});
