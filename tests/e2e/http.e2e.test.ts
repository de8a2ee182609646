import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { FAULTY_SERVER, HANGAR_MAIN, MATH_SERVER, eventually, tempDir, writeConfig, type CallResult } from '../support/hangar-harness.js';
import { ENV, connect, startHttp, type HttpHangar, type Kind } from '../support/http-hangar.js';

const call = async (client: Client, name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallResult;
const historyTypes = async (client: Client, provider: string, types?: string[]) =>
  (
    (await call(client, 'registry_history', { provider, limit: 1000, ...(types ? { types } : {}) })).structuredContent as {
      events: { type: string; data: Record<string, unknown> }[];
    }
  ).events;
const ready = async (hangar: HttpHangar) => (await (await fetch(`${hangar.base}/health/ready`)).json()) as { status: string; sessions: number };
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

const providers = `
providers:
  math:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
    idle_ttl_s: 0
  crowd:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
    idle_ttl_s: 0
  slowpoke:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    idle_ttl_s: 0
  cancellable:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    idle_ttl_s: 0
`;

describe('mcp-hangar over HTTP (Streamable HTTP and HTTP+SSE)', { timeout: 120_000 }, () => {
  const dir = tempDir();
  let hangar: HttpHangar;
  const clients: Client[] = [];
  const open = async (kind: Kind) => {
    const client = await connect(hangar, kind);
    clients.push(client);
    return client;
  };
  before(async () => {
    hangar = await startHttp(writeConfig(dir.path, `event_store: { path: state/hangar.db }\n${providers}`));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await hangar.stop();
    dir.remove();
  });

  for (const kind of ['streamable', 'sse'] as const) {
    it(`serves the registry tools over ${kind}`, async () => {
      const client = await open(kind);
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'registry_invoke'));
      const list = (await call(client, 'registry_list')).structuredContent as { providers: { id: string }[] };
      assert.deepEqual(list.providers.map((p) => p.id).sort(), ['cancellable', 'crowd', 'math', 'slowpoke']);
      const sum = await call(client, 'registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 2, b: 3 } });
      assert.deepEqual(sum.structuredContent, { result: 5 });
      const listed = (await call(client, 'registry_tools', { provider: 'math' })).structuredContent as { tools: { name: string }[] };
      assert.ok(listed.tools.some((t) => t.name === 'add'));
      const invoked = await historyTypes(client, 'math', ['ToolInvoked']);
      assert.ok(invoked.length >= 1);
    });

    it(`relays progress and cancellation over ${kind}`, async () => {
      const client = await open(kind);
      const updates: { progress: number; message?: string | undefined }[] = [];
      const result = (await client.callTool(
        { name: 'registry_invoke_stream', arguments: { provider: 'slowpoke', tool: 'slow', arguments: { ms: 150, steps: 3 } } },
        undefined,
        { onprogress: (p) => void updates.push(p) },
      )) as CallResult;
      assert.equal(result.isError, undefined);
      // The provider's own progress comes through (seen once under load: the last steps after the result, so not asserted).
      assert.ok(
        updates.some((u) => /step 1/.test(u.message ?? '')),
        JSON.stringify(updates),
      );

      await call(client, 'registry_warm', { providers: 'cancellable' });
      const before = (await historyTypes(client, 'cancellable', ['ToolInvocationFailed'])).length;
      const controller = new AbortController();
      const pending = client.callTool({ name: 'registry_invoke', arguments: { provider: 'cancellable', tool: 'hang' } }, undefined, {
        signal: controller.signal,
      });
      await new Promise((r) => setTimeout(r, 300));
      controller.abort('stop');
      await assert.rejects(pending, (error: unknown) => error instanceof McpError && error.code === ErrorCode.RequestTimeout);
      await eventually(async () =>
        (await historyTypes(client, 'cancellable', ['ToolInvocationFailed'])).slice(before).some((e) => e.data['errorCode'] === 'CANCELLED'),
      );
    });
  }

  it('answers every registry tool over Streamable HTTP as over stdio', async () => {
    const client = await open('streamable');
    const all = (await client.listTools()).tools.map((t) => t.name);
    const listed = all.filter((n) => n.startsWith('registry_')).sort();
    const calls: Record<string, Record<string, unknown>> = {
      registry_list: {},
      registry_tools: { provider: 'math' },
      registry_invoke: { provider: 'math', tool: 'multiply', arguments: { a: 6, b: 7 } },
      registry_invoke_ex: { provider: 'math', tool: 'add', arguments: { a: 1, b: 2 } },
      registry_invoke_stream: { provider: 'math', tool: 'subtract', arguments: { a: 5, b: 2 } },
      registry_start: { provider: 'slowpoke' },
      registry_stop: { provider: 'slowpoke' },
      registry_warm: { providers: 'math' },
      registry_details: { provider: 'math' },
      registry_health: {},
      registry_status: {},
      registry_history: { provider: 'math', limit: 5 },
      registry_replay: { provider: 'math', at: '1' },
      registry_audit: { provider: 'math', limit: 5 },
    };
    assert.deepEqual(listed, Object.keys(calls).sort(), 'the same fourteen tools as over stdio');
    for (const [name, args] of Object.entries(calls)) {
      const result = await call(client, name, args);
      assert.notEqual(result.isError, true, `${name}: ${JSON.stringify(result.content).slice(0, 300)}`);
    }
    assert.deepEqual((await call(client, 'registry_invoke', calls['registry_invoke'])).structuredContent, { result: 42 });
    // Beside them, the providers' own tools (those known by now), called directly over HTTP as over stdio.
    assert.ok(all.includes('math__multiply'), all.join(', '));
    assert.deepEqual((await call(client, 'math__multiply', { a: 6, b: 7 })).structuredContent, { result: 42 });
  });

  it('shares one provider process among twenty sessions', async () => {
    const crowd = await Promise.all(Array.from({ length: 20 }, (_, i) => open(i % 2 === 0 ? 'streamable' : 'sse')));
    const results = await Promise.all(crowd.map((c, i) => call(c, 'registry_invoke', { provider: 'crowd', tool: 'multiply', arguments: { a: i, b: 10 } })));
    assert.deepEqual(
      results.map((r) => (r.structuredContent as { result: number }).result),
      Array.from({ length: 20 }, (_, i) => i * 10),
    );
    assert.equal((await historyTypes(crowd[0] as Client, 'crowd', ['ProviderStarted'])).length, 1);
    assert.ok((await ready(hangar)).sessions >= 20);
  });

  it('answers health, refuses a big body (413) and a foreign Origin (403)', async () => {
    const live = await fetch(`${hangar.base}/health/live`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: 'ok' });
    const readyNow = await fetch(`${hangar.base}/health/ready`);
    assert.equal(readyNow.status, 200);
    assert.equal(((await readyNow.json()) as { status: string }).status, 'ready');

    const big = await fetch(`${hangar.base}/mcp`, { method: 'POST', headers: MCP_HEADERS, body: `"${'x'.repeat(9 * 1024 * 1024)}"` });
    assert.equal(big.status, 413);
    const foreign = await fetch(`${hangar.base}/mcp`, { method: 'POST', headers: { ...MCP_HEADERS, origin: 'http://evil.example' }, body: INIT });
    assert.equal(foreign.status, 403);
    const metrics = await fetch(`${hangar.base}/metrics`);
    assert.equal(metrics.status, 200, 'metrics are open by default, like health');
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  });

  it('ends a session on DELETE', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${hangar.base}/mcp`));
    const client = new Client({ name: 'deleter', version: '1.0.0' });
    await client.connect(transport);
    const sessionId = transport.sessionId;
    assert.ok(sessionId);
    await transport.terminateSession();
    const after = await fetch(`${hangar.base}/mcp`, {
      method: 'POST',
      headers: { ...MCP_HEADERS, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    assert.equal(after.status, 404);
    await client.close();
  });
});

describe('HTTP sessions left idle', { timeout: 60_000 }, () => {
  const dir = tempDir();
  let hangar: HttpHangar;
  before(async () => {
    hangar = await startHttp(writeConfig(dir.path, `event_store: { path: state/hangar.db }\nhttp: { session_idle_s: 1 }\n${providers}`));
  });
  after(async () => {
    await hangar.stop();
    dir.remove();
  });

  it('reclaims hundreds of abandoned sessions after the idle time', async () => {
    const streamable = Array.from({ length: 300 }, () =>
      fetch(`${hangar.base}/mcp`, { method: 'POST', headers: MCP_HEADERS, body: INIT }).then(async (r) => {
        assert.equal(r.status, 200);
        await r.text();
      }),
    );
    const sse = Array.from({ length: 30 }, async () => {
      const response = await fetch(`${hangar.base}/sse`);
      assert.equal(response.status, 200);
      return response; // never read: an abandoned event stream
    });
    await Promise.all(streamable);
    const streams = await Promise.all(sse);
    // Opening 330 sessions can take longer than the idle time under load, so the first may be gone already.
    assert.ok((await ready(hangar)).sessions >= 100, JSON.stringify(await ready(hangar)));
    // Generous under load (the suite runs files in parallel on two cores); a healthy sweep takes about 1.5 s.
    await eventually(async () => (await ready(hangar)).sessions === 0, 20_000, 200);
    await Promise.all(streams.map((s) => s.body?.cancel().catch(() => undefined)));
  });
});

describe('HTTP mode shutdown and safety', { timeout: 60_000 }, () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('finishes a call in flight on SIGTERM, records it, stops the providers and exits 0', async () => {
    const config = writeConfig(dir.path, `event_store: { path: state/hangar.db }\n${providers}`, 'shutdown.yaml');
    const hangar = await startHttp(config);
    const client = await connect(hangar, 'streamable');
    await call(client, 'registry_warm', { providers: 'slowpoke' });
    const details = (await call(client, 'registry_details', { provider: 'slowpoke' })).structuredContent as { process: { pid: number } };
    const pid = details.process.pid;
    assert.ok(alive(pid));
    const slow = call(client, 'registry_invoke', { provider: 'slowpoke', tool: 'slow', arguments: { ms: 1500, steps: 1 } });
    await new Promise((r) => setTimeout(r, 300));
    hangar.child.kill('SIGTERM');
    const result = await slow;
    assert.deepEqual(result.content, [{ type: 'text', text: 'slept 1500 ms' }]);
    assert.equal(await hangar.exited, 0, hangar.stderr());
    assert.equal(alive(pid), false, 'the provider was stopped');
    const history = spawnSync(process.execPath, [HANGAR_MAIN, 'history', 'slowpoke', '--json', '-c', config], { env: ENV, encoding: 'utf8' });
    assert.equal(history.status, 0, history.stderr);
    const { events } = JSON.parse(history.stdout) as { events: { type: string; data: { tool?: string; outcome?: string } }[] };
    const invoked = events.filter((e) => e.type === 'ToolInvoked' && e.data.tool === 'slow');
    assert.deepEqual(
      invoked.map((e) => e.data.outcome),
      ['success'],
    );
    await client.close().catch(() => undefined);
  });

  it('refuses to bind a non-loopback address without authentication (exit 2)', () => {
    const config = writeConfig(dir.path, `event_store: { path: state/hangar.db }\n${providers}`, 'public.yaml');
    const run = spawnSync(process.execPath, [HANGAR_MAIN, 'serve', '--http', '--host', '0.0.0.0', '--port', '0', '-c', config], { env: ENV, encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /http:\n\s+auth:/);
    const viaEnv = spawnSync(process.execPath, [HANGAR_MAIN, 'serve', '-c', config], {
      env: { ...ENV, MCP_MODE: 'http', MCP_HTTP_HOST: '0.0.0.0', MCP_HTTP_PORT: '0' },
      encoding: 'utf8',
    });
    assert.equal(viaEnv.status, 2);
  });
});
