import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { thisRun } from '../../src/infrastructure/runtime/process/proc-sweep.js';
import { ProcessProviderRuntime } from '../../src/infrastructure/runtime/process/process-provider-runtime.js';
import { formatRun } from '../../src/infrastructure/runtime/process/process-marker.js';
import type { ProviderConnection, ProviderExit, SubprocessLaunch } from '../../src/application/ports/provider-runtime.js';
import { providerId } from '../../src/domain/shared/ids.js';
import { withoutCreationTimes } from '../support/normalise.js';
import { rejection } from '../support/rejection.js';
import { isAlive, processesTagged, waitUntilDead } from '../support/processes.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const MATH = join(root, 'dist/examples/providers/math/server.js');
const FAULTY = join(root, 'dist/tests/fixtures/providers/faulty-server.js');
const everythingPkg = join(root, 'node_modules/@modelcontextprotocol/server-everything');
const EVERYTHING = join(
  everythingPkg,
  (JSON.parse(readFileSync(join(everythingPkg, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['mcp-server-everything'] ?? '',
);
if (!existsSync(FAULTY)) throw new Error(`build the fixture first: ${FAULTY}`);
const RUNTIME_JS = join(root, 'dist/src/infrastructure/runtime/process/process-provider-runtime.js');

const runtime = new ProcessProviderRuntime({ stopGraceMs: 1000 });
const P = providerId('p');
const startOptions = { startTimeoutMs: 5000 };
const spec = (command: string[], env: Record<string, string> = {}, cwd = root): SubprocessLaunch => ({ mode: 'subprocess', command, env, cwd });
const faulty = (env: Record<string, string> = {}, tag = randomUUID()) => spec(['node', FAULTY, `--tag=${tag}`], env);

const waitFor = async (check: () => boolean, ms = 2000): Promise<boolean> => {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (check()) return true;
  return check();
};

describe('ProcessProviderRuntime with the example math provider', () => {
  let math: ProviderConnection;
  before(async () => {
    math = await runtime.start(P, spec(['node', MATH]), startOptions);
  });
  after(() => math.stop());

  it('starts, negotiates and lists every tool with its full definition', () => {
    assert.equal(typeof math.pid, 'number');
    assert.deepEqual(math.serverInfo, { name: 'math', version: '1.0.0' });
    assert.ok(math.protocolVersion);
    assert.deepEqual(
      math.tools.map((t) => t.name),
      ['add', 'subtract', 'multiply', 'divide'],
    );
    const add = math.tools[0]!;
    assert.equal(add['title'], 'Add');
    assert.deepEqual(add['annotations'], { readOnlyHint: true });
    assert.deepEqual((add['outputSchema'] as { required: string[] }).required, ['result']);
    assert.deepEqual((add.inputSchema as { required: string[] }).required, ['a', 'b']);
  });

  it('returns results unchanged, structuredContent and tool errors included', async () => {
    assert.deepEqual(await math.callTool('add', { a: 2, b: 3 }, { timeoutMs: 2000 }), {
      content: [{ type: 'text', text: '5' }],
      structuredContent: { result: 5 },
    });
    assert.deepEqual(await math.callTool('divide', { a: 1, b: 0 }, { timeoutMs: 2000 }), {
      content: [{ type: 'text', text: 'Division by zero: b must not be 0' }],
      isError: true,
    });
  });

  it('answers ping', async () => {
    await math.ping(2000);
  });
});

describe('ProcessProviderRuntime with a faulty provider', () => {
  let conn: ProviderConnection;
  before(async () => {
    conn = await runtime.start(P, faulty({ FAULTY_PAGE_SIZE: '2' }), startOptions);
  });
  after(() => conn.stop());

  it('follows nextCursor through every page of tools/list', () => {
    assert.deepEqual(
      conn.tools.map((t) => t.name),
      ['echo', 'crash', 'hang', 'slow', 'spawn_child', 'spawn_escapee', 'raw', 'big', 'leak', 'add_tool'],
    );
  });

  it('passes through fields and content types the SDK schemas do not know', async () => {
    assert.deepEqual(await conn.callTool('raw', {}, { timeoutMs: 2000 }), {
      content: [
        { type: 'text', text: 'raw', 'x-extra': 42, annotations: { audience: ['user'], custom: 'kept' } },
        { type: 'future_kind', payload: { a: 1 } },
      ],
      structuredContent: { nested: { list: [1, 2, 3] } },
      _meta: { 'example.com/trace': 'abc' },
      extraTopLevel: 'kept',
    });
  });

  it('carries a 4 MB answer across many chunks', async () => {
    const text = 'y'.repeat(2 * 1024 * 1024);
    const result = await conn.callTool('echo', { text }, { timeoutMs: 10_000 });
    assert.equal((result.structuredContent as { text: string }).text.length, text.length);
  });

  it('times out a hanging call near its timeout, cancels it at the provider, and keeps working', async () => {
    const started = Date.now();
    const error = await rejection(conn.callTool('hang', {}, { timeoutMs: 300 }));
    const elapsed = Date.now() - started;
    assert.equal(error.code, 'TIMEOUT');
    assert.ok(elapsed >= 290 && elapsed < 1500, `timed out after ${elapsed} ms`);
    assert.ok(await waitFor(() => conn.diagnostics().stderrTail.includes('hang cancelled')), 'the provider saw notifications/cancelled');
    const echo = await conn.callTool('echo', { text: 'still here' }, { timeoutMs: 2000 });
    assert.deepEqual(echo.content, [{ type: 'text', text: 'still here' }]);
  });

  it('fails with CANCELLED when the caller aborts, and tells the provider', async () => {
    const before = conn.diagnostics().stderrTail.split('hang cancelled').length;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await rejection(conn.callTool('hang', {}, { timeoutMs: 10_000, signal: controller.signal }));
    assert.equal(error.code, 'CANCELLED');
    assert.ok(Date.now() - started < 1000);
    assert.ok(await waitFor(() => conn.diagnostics().stderrTail.split('hang cancelled').length > before));
    const already = await rejection(conn.callTool('echo', { text: 'x' }, { timeoutMs: 1000, signal: AbortSignal.abort() }));
    assert.equal(already.code, 'CANCELLED');
  });

  it('relays progress notifications as they happen', async () => {
    const updates: unknown[] = [];
    const result = await conn.callTool('slow', { ms: 200, steps: 4 }, { timeoutMs: 5000, onProgress: (u) => updates.push(u) });
    assert.deepEqual(result.content, [{ type: 'text', text: 'slept 200 ms' }]);
    assert.deepEqual(
      updates,
      [1, 2, 3, 4].map((i) => ({ progress: i, total: 4, message: `step ${i}` })),
    );
  });
});

describe('ProcessProviderRuntime with server-everything (a real npm MCP server)', () => {
  let conn: ProviderConnection;
  let direct: Client;
  before(async () => {
    conn = await runtime.start(P, spec(['node', EVERYTHING, 'stdio']), startOptions);
    direct = new Client({ name: 'direct', version: '1' });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
  });
  after(async () => {
    await direct.close();
    await conn.stop();
  });

  it('lists its tools as a direct SDK client sees them', async () => {
    assert.equal(conn.serverInfo?.name, 'mcp-servers/everything');
    const names = conn.tools.map((t) => t.name);
    for (const name of ['echo', 'get-tiny-image', 'get-resource-reference', 'get-structured-content']) assert.ok(names.includes(name), name);
    assert.deepEqual(conn.tools, (await direct.listTools()).tools);
  });

  for (const [tool, args] of [
    ['get-tiny-image', {}],
    ['get-resource-reference', { resourceType: 'Blob', resourceId: 2 }],
    ['get-resource-links', { count: 2 }],
    ['get-annotated-message', { messageType: 'error', includeImage: true }],
    ['get-structured-content', { location: 'Chicago' }],
  ] as const) {
    it(`passes ${tool} results through unchanged`, async () => {
      const ours = await conn.callTool(tool, args, { timeoutMs: 5000 });
      assert.deepEqual(withoutCreationTimes(ours), withoutCreationTimes(await direct.callTool({ name: tool, arguments: args })));
      assert.ok(ours.content.length > 0);
    });
  }

  it('keeps image and embedded resource content intact', async () => {
    const image = await conn.callTool('get-tiny-image', {}, { timeoutMs: 5000 });
    assert.deepEqual(Object.keys(image.content[1] as object).sort(), ['data', 'mimeType', 'type']);
    assert.equal((image.content[1] as { mimeType: string }).mimeType, 'image/png');
    const resource = await conn.callTool('get-resource-reference', {}, { timeoutMs: 5000 });
    assert.equal((resource.content[1] as { type: string }).type, 'resource');
  });
});

describe('ProcessProviderRuntime start failures', () => {
  it('command not found: a hint, not retryable', async () => {
    const error = await rejection(runtime.start(P, spec(['mcp-hangar-no-such-command']), startOptions));
    assert.equal(error.code, 'PROVIDER_START_FAILED');
    assert.match(error.details.hints?.[0] ?? '', /command not found: check `command`/);
    assert.equal(error.details.retryable, false);
  });

  it('a missing working directory is named', async () => {
    const error = await rejection(runtime.start(P, spec(['node', MATH], {}, '/no/such/dir'), startOptions));
    assert.match(error.details.hints?.[0] ?? '', /working directory does not exist: \/no\/such\/dir/);
  });

  it('exit 1 at start: exit code, stderr tail and hint', async () => {
    const error = await rejection(runtime.start(P, faulty({ FAULTY_EXIT: '1' }), startOptions));
    assert.equal(error.code, 'PROVIDER_START_FAILED');
    assert.equal(error.details.exitCode, 1);
    assert.match(error.details.stderrTail ?? '', /fatal: cannot open \.\/missing\.db/);
    assert.match(error.details.hints?.[0] ?? '', /exited during start \(code 1\)/);
    assert.equal(error.details.retryable, true);
  });

  it('exit 127 at start reads as command not found', async () => {
    const error = await rejection(runtime.start(P, faulty({ FAULTY_EXIT: '127' }), startOptions));
    assert.equal(error.details.exitCode, 127);
    assert.match(error.details.hints?.[0] ?? '', /command not found/);
  });

  it('a missing script: Node.js could not find it', async () => {
    const error = await rejection(runtime.start(P, spec(['node', 'no-such-server.js']), startOptions));
    assert.equal(error.details.exitCode, 1);
    assert.match(error.details.hints?.[0] ?? '', /could not find the script/);
  });

  it('no answer to initialize: fails at the start timeout and leaves nothing running', async (t) => {
    const tag = randomUUID();
    const started = Date.now();
    const error = await rejection(runtime.start(P, faulty({ FAULTY_HANG_INIT: '1' }, tag), { ...startOptions, startTimeoutMs: 1500 }));
    const elapsed = Date.now() - started;
    assert.equal(error.code, 'PROVIDER_START_FAILED');
    assert.ok(elapsed >= 1450 && elapsed < 3000, `failed after ${elapsed} ms`);
    assert.match(error.details.hints?.[0] ?? '', /no answer to `initialize` within 1\.5 s: is this an MCP server speaking stdio\?/);
    if (process.platform !== 'linux') return t.skip('process check needs /proc');
    assert.deepEqual(processesTagged(tag), []);
  });

  it('a slow start within the timeout succeeds', async () => {
    const conn = await runtime.start(P, faulty({ FAULTY_DELAY_MS: '300' }), startOptions);
    await conn.stop();
  });
});

describe('ProcessProviderRuntime with noisy providers', () => {
  it('skips and counts banner and stray stdout lines while calls still work', async () => {
    const conn = await runtime.start(P, faulty({ FAULTY_BANNER: '1' }), startOptions);
    try {
      const echo = await conn.callTool('echo', { text: 'hi' }, { timeoutMs: 2000 });
      assert.deepEqual(echo.content, [{ type: 'text', text: 'hi' }]);
      assert.ok(await waitFor(() => conn.diagnostics().skippedStdoutLines === 4));
      const skipped = conn.diagnostics().lastSkippedLines;
      assert.ok(skipped[0]?.startsWith('faulty-server 1.0 starting'));
      assert.ok(skipped.includes('{"level":"info","msg":"JSON, but not a JSON-RPC message"}'));
    } finally {
      await conn.stop();
    }
  });

  it('drains a 1 MB stderr flood, keeping only the tail', async () => {
    const conn = await runtime.start(P, faulty({ FAULTY_STDERR_BYTES: String(1024 * 1024) }), startOptions);
    try {
      const echo = await conn.callTool('echo', { text: 'after the flood' }, { timeoutMs: 2000 });
      assert.deepEqual(echo.content, [{ type: 'text', text: 'after the flood' }]);
      assert.ok(await waitFor(() => conn.diagnostics().stderrTail.endsWith('stderr flood done')));
      const tail = conn.diagnostics().stderrTail;
      assert.ok(tail.length <= 8192);
    } finally {
      await conn.stop();
    }
  });
});

describe('ProcessProviderRuntime crashes and stops', () => {
  it('a crash mid-call fails every in-flight call at once, then settles exited', async () => {
    const conn = await runtime.start(P, faulty(), startOptions);
    const order: string[] = [];
    const exits: ProviderExit[] = [];
    void conn.exited.then((info) => {
      order.push('exit');
      exits.push(info);
    });
    const started = Date.now();
    const hanging = rejection(conn.callTool('hang', {}, { timeoutMs: 10_000 })).finally(() => order.push('hang'));
    const crash = await rejection(conn.callTool('crash', {}, { timeoutMs: 10_000 }));
    order.push('crash');
    assert.equal(crash.code, 'PROVIDER_CRASHED');
    assert.ok(Date.now() - started < 2000, 'well before the call timeout');
    assert.equal(crash.details.exitCode, 3);
    assert.match(crash.details.stderrTail ?? '', /crashing on purpose/);
    assert.equal((await hanging).code, 'PROVIDER_CRASHED');
    assert.ok(await waitFor(() => exits.length > 0));
    assert.deepEqual([...order.slice(0, 2)].sort(), ['crash', 'hang']);
    assert.equal(order[2], 'exit', 'in-flight calls fail before exited settles');
    assert.equal(exits.length, 1);
    assert.equal(exits[0]?.expected, false);
    assert.equal(exits[0]?.exitCode, 3);
    assert.equal((await rejection(conn.callTool('echo', { text: 'x' }, { timeoutMs: 1000 }))).code, 'PROVIDER_UNAVAILABLE');
    await conn.stop();
    assert.equal(exits.length, 1);
  });

  it('stop kills the whole process group, is idempotent, and fails in-flight calls as unavailable', async () => {
    const conn = await runtime.start(P, faulty(), startOptions);
    const exits: ProviderExit[] = [];
    void conn.exited.then((info) => exits.push(info));
    const result = await conn.callTool('spawn_child', {}, { timeoutMs: 2000 });
    const grandchild = (result.structuredContent as { pid: number }).pid;
    assert.ok(isAlive(grandchild));
    const inFlight = rejection(conn.callTool('hang', {}, { timeoutMs: 10_000 }));
    await Promise.all([conn.stop(), conn.stop()]);
    await conn.stop();
    assert.equal((await inFlight).code, 'PROVIDER_UNAVAILABLE');
    assert.ok(!isAlive(conn.pid!));
    assert.ok(await waitUntilDead(grandchild), 'the grandchild died with the group');
    await waitFor(() => exits.length > 0);
    assert.equal(exits.length, 1);
    assert.equal(exits[0]?.expected, true);
    assert.equal((await rejection(conn.ping(500))).code, 'PROVIDER_UNAVAILABLE');
  });
});

describe('ProcessProviderRuntime ends what a provider started outside its group (Linux /proc)', { skip: process.platform !== 'linux' }, () => {
  const escapee = async (conn: ProviderConnection, doubleFork: boolean): Promise<number> =>
    (((await conn.callTool('spawn_escapee', { double_fork: doubleFork }, { timeoutMs: 5000 })).structuredContent ?? {}) as { pid: number }).pid;
  const markerOf = (pid: number): string | undefined =>
    readFileSync(`/proc/${pid}/environ`, 'latin1')
      .split('\0')
      .find((entry) => entry.startsWith('MCP_HANGAR_PROCESS='));

  it("marks each start apart, and a stop ends only that start's escapees, setsid and daemonised alike", async () => {
    const first = await runtime.start(P, faulty(), startOptions);
    const second = await runtime.start(P, faulty(), startOptions);
    const firstEscapees = [await escapee(first, false), await escapee(first, true)];
    const secondEscapees = [await escapee(second, false), await escapee(second, true)];
    assert.ok([...firstEscapees, ...secondEscapees].every(isAlive));
    assert.match(
      markerOf(firstEscapees[1]!) ?? '',
      new RegExp(`^MCP_HANGAR_PROCESS=${formatRun(thisRun()!).replaceAll('.', '\\.')}/p/\\d+$`),
      'this run, provider p',
    );
    assert.equal(markerOf(firstEscapees[1]!), markerOf(first.pid!), 'a daemon inherits the marker of the start it came from');
    assert.notEqual(markerOf(first.pid!), markerOf(second.pid!));
    await first.stop();
    for (const pid of firstEscapees) assert.ok(await waitUntilDead(pid, 500), `escapee ${pid} was ended with its provider`);
    assert.ok(secondEscapees.every(isAlive), "the other start's escapees are left alone");
    assert.equal((await rejection(second.callTool('crash', {}, { timeoutMs: 5000 }))).code, 'PROVIDER_CRASHED');
    for (const pid of secondEscapees) assert.ok(await waitUntilDead(pid, 500), `escapee ${pid} was ended when its provider crashed`);
  });
});

describe('providers die with the hangar', () => {
  const script = (body: string) => `
    import { ProcessProviderRuntime } from ${JSON.stringify(`file://${RUNTIME_JS}`)};
    const rt = new ProcessProviderRuntime();
    const start = (command) => rt.start('p', { mode: 'subprocess', command, env: {}, cwd: ${JSON.stringify(root)} }, { startTimeoutMs: 5000 });
    ${body}`;
  const runHangar = (body: string) => spawn(process.execPath, ['--input-type=module', '-e', script(body)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const firstLine = (child: ReturnType<typeof runHangar>) =>
    new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      });
      child.once('exit', () => reject(new Error(`hangar exited early: ${out}`)));
    });

  it('SIGKILL of the hangar: the provider sees stdin close and exits', async () => {
    const hangar = runHangar(`const c = await start(['node', ${JSON.stringify(MATH)}]); console.log(c.pid); setInterval(() => {}, 1000);`);
    const pid = Number(await firstLine(hangar));
    assert.ok(isAlive(pid));
    hangar.kill('SIGKILL');
    assert.ok(await waitUntilDead(pid), 'the provider exited after the hangar was killed');
  });

  it('normal exit of the hangar: every provider process group is killed', async () => {
    const hangar = runHangar(`
      const c = await start(['node', ${JSON.stringify(FAULTY)}]);
      const r = await c.callTool('spawn_child', {}, { timeoutMs: 2000 });
      console.log(r.structuredContent.pid);
      setTimeout(() => process.exit(0), 50);`);
    const grandchild = Number(await firstLine(hangar));
    assert.ok(await waitUntilDead(grandchild), 'the provider group was killed on exit');
  });

  it('normal exit of the hangar: what its providers started in sessions of their own is killed too', { skip: process.platform !== 'linux' }, async () => {
    const hangar = runHangar(`
      const c = await start(['node', ${JSON.stringify(FAULTY)}]);
      const r = await c.callTool('spawn_escapee', { double_fork: true }, { timeoutMs: 2000 });
      console.log(r.structuredContent.pid);
      setTimeout(() => process.exit(0), 50);`);
    const escapee = Number(await firstLine(hangar));
    // The exit hook, not the watchdog: the escapee shrugs off the watchdog's SIGTERM for its 1.5 s grace period.
    assert.ok(await waitUntilDead(escapee, 1000), 'the exit hook ended the escapee');
  });

  it('an idle provider does not keep the hangar alive', async () => {
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      execFile(process.execPath, ['--input-type=module', '-e', script(`await start(['node', ${JSON.stringify(MATH)}]);`)], (error) =>
        resolve(error ? ((error as { code?: number }).code ?? 1) : 0),
      );
    });
    assert.equal(code, 0);
    assert.ok(Date.now() - started < 5000);
  });
});
