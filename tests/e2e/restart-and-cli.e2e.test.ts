import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { EVERYTHING_SERVER, HANGAR_MAIN, MATH_SERVER, connectHangar, tempDir, tempDirs, writeConfig, runCli } from '../support/hangar-harness.js';

/** A config in a folder of its own (so an event store of its own, `data/hangar.db`). */
const mathAndEverything = (dir: string) =>
  writeConfig(
    dir,
    `
providers:
  math:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
  everything:
    command: [node, ${JSON.stringify(EVERYTHING_SERVER)}]
`,
  );

describe('restarting the hangar keeps its history and its knowledge of tools', { timeout: 120_000 }, () => {
  const dirs = tempDirs();
  after(() => dirs.removeAll());

  it('lists tools discovered in an earlier run without starting the provider, and prints history across runs', async () => {
    const configPath = mathAndEverything(dirs.make());
    const first = await connectHangar(configPath);
    await first.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 1, b: 2 } });
    await first.call('registry_tools', { provider: 'everything' });
    await first.close();

    const second = await connectHangar(configPath);
    try {
      const tools = (await second.call('registry_tools', { provider: 'everything' })).structuredContent as {
        state: string;
        source: string;
        tools: { name: string }[];
      };
      assert.equal(tools.source, 'discovered');
      assert.equal(tools.state, 'cold');
      assert.ok(tools.tools.some((t) => t.name === 'get-tiny-image'));
      const list = (await second.call('registry_list')).structuredContent as { providers: { id: string; state: string; tools_count: number }[] };
      assert.deepEqual(
        list.providers.map((p) => [p.id, p.state, p.tools_count > 0]),
        [
          ['everything', 'cold', true],
          ['math', 'cold', true],
        ],
      );
      const result = await second.call('registry_invoke', { provider: 'math', tool: 'multiply', arguments: { a: 6, b: 7 } });
      assert.deepEqual(result.structuredContent, { result: 42 });
    } finally {
      await second.close();
    }

    const history = await runCli('history', 'math', '--config', configPath);
    assert.equal(history.code, 0, history.stderr);
    const lines = history.stdout.trim().split('\n').slice(1);
    assert.deepEqual(new Set(lines.map((line) => line.split(/\s+/)[2])), new Set(['@1']), 'the second run took the seat the first one left');
    const types = lines.map((line) => line.split(/\s+/)[3]);
    assert.deepEqual(types, [
      'ProviderRegistered',
      'ProviderStartRequested',
      'ProviderStarted',
      'ToolsDiscovered',
      'ToolInvoked',
      'ProviderStopped',
      'ProviderStartRequested',
      'ProviderStarted',
      'ToolInvoked',
      'ProviderStopped',
    ]);
    assert.match(history.stdout, /ProviderStopped\s+reason shutdown/);
    const json = JSON.parse((await runCli('history', 'math', '--json', '--config', configPath)).stdout) as { events: { type: string }[] };
    assert.equal(json.events.length, 10);
  });

  it('verifies the hash chain, and names the first altered event', async () => {
    const dir = dirs.make();
    const configPath = mathAndEverything(dir);
    const hangar = await connectHangar(configPath);
    try {
      const sum = await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 1, b: 2 } });
      assert.deepEqual(sum.structuredContent, { result: 3 }, 'one successful call is recorded, to be altered below');
    } finally {
      await hangar.close();
    }
    const ok = await runCli('audit', 'verify', '--config', configPath);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /intact/);
    const db = new Database(join(dir, 'data', 'hangar.db'));
    const changed = db
      .prepare(
        'UPDATE events SET data = replace(data, \'"outcome":"success"\', \'"outcome":"tool_error"\') WHERE type = \'ToolInvoked\' AND position = (SELECT min(position) FROM events WHERE type = \'ToolInvoked\')',
      )
      .run().changes;
    assert.equal(changed, 1);
    const altered = db.prepare("SELECT min(position) AS p FROM events WHERE type = 'ToolInvoked'").get() as { p: number };
    db.close();
    const broken = await runCli('audit', 'verify', '--config', configPath);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, new RegExp(`position ${altered.p}\\b`));
  });
});

describe('replaying a provider from a store a real hangar wrote', { timeout: 120_000 }, () => {
  const dirs = tempDirs();
  after(() => dirs.removeAll());

  it('registry_replay and `mcp-hangar replay` rebuild the state at a position and walk a window', async () => {
    const dir = dirs.make();
    const configPath = mathAndEverything(dir);
    const hangar = await connectHangar(configPath);
    let positions: Record<string, number>;
    try {
      await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 1, b: 2 } });
      const events = (await hangar.call('registry_history', { provider: 'math' })).structuredContent as { events: { type: string; position: number }[] };
      positions = Object.fromEntries(events.events.map((e) => [e.type, e.position]));
      const at = (await hangar.call('registry_replay', { provider: 'math', at: String(positions['ToolsDiscovered']) })).structuredContent as {
        instance: string;
        state: { status: string; pid: number | null; tools: { names: string[] }; counters: { invocations: number; starts: number } };
      };
      assert.equal(at.instance, '1');
      assert.equal(at.state.status, 'ready');
      assert.equal(typeof at.state.pid, 'number');
      assert.ok(at.state.tools.names.includes('add'));
      assert.deepEqual([at.state.counters.invocations, at.state.counters.starts], [0, 1]);
      const window = await hangar.call('registry_replay', { provider: 'math', from: '1', to: String(positions['ToolInvoked']) });
      const steps = (window.structuredContent as { steps: { type: string; changes: { field: string; before: unknown; after: unknown }[] }[] }).steps;
      assert.deepEqual(
        steps.map((s) => s.type),
        ['ProviderRegistered', 'ProviderStartRequested', 'ProviderStarted', 'ToolsDiscovered', 'ToolInvoked'],
      );
      assert.deepEqual(steps[4]?.changes, [{ field: 'invocations', before: 0, after: 1 }]);
      const both = await hangar.call('registry_replay', { provider: 'math', at: '1', from: '1', to: '2' });
      assert.equal(both.isError, true);
    } finally {
      await hangar.close();
    }

    const text = await runCli('replay', 'math', '--at', String(positions['ToolInvoked']), '--config', configPath);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /status\s+ready \(pid \d+\)/);
    assert.match(text.stdout, /1 invocations, 0 tool errors, 0 failed; 1 starts, 0 crashes/);
    const end = JSON.parse((await runCli('replay', 'math', '--at', new Date().toISOString(), '--json', '--config', configPath)).stdout) as {
      state: { status: string; last_event: { type: string } };
    };
    assert.deepEqual([end.state.status, end.state.last_event.type], ['cold', 'ProviderStopped']);
    const window = await runCli('replay', 'math', '--from', String(positions['ToolInvoked']), '--to', new Date().toISOString(), '--config', configPath);
    assert.equal(window.code, 0, window.stderr);
    assert.match(window.stdout, /ProviderStopped .*\n\s+status: ready → cold; pid: \d+ → -/);
    const unknown = await runCli('replay', 'mth', '--at', '1', '--config', configPath);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /did you mean 'math'/);
    const usage = await runCli('replay', 'math', '--config', configPath);
    assert.equal(usage.code, 2);
    const noStore = await runCli('replay', 'math', '--at', '1', '--config', mathAndEverything(dirs.make()));
    assert.equal(noStore.code, 1);
    assert.match(noStore.stderr, /no event store yet/);
  });
});

describe('configuration errors', () => {
  const dirs = tempDirs();
  after(() => dirs.removeAll());

  it('refuses an invalid config with the YAML path and line of each problem, exit 2, nothing started', async () => {
    const dir = dirs.make();
    const path = writeConfig(
      dir,
      ['providers:', '  math:', '    command: [node, server.js]', '    idle_ttl: 10', '    timeout_s: -1', ''].join('\n'),
      'bad.yaml',
    );
    for (const command of ['serve', 'validate']) {
      const result = await runCli(command, '--config', path);
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /bad\.yaml:4:\d+ .*providers\.math\.idle_ttl/);
      assert.match(result.stderr, /did you mean 'idle_ttl_s'/);
      assert.match(result.stderr, /bad\.yaml:5:\d+ .*providers\.math\.timeout_s/);
    }
    assert.equal(existsSync(join(dir, 'data')), false, 'no event store was created');
  });

  it('refuses a recursive YAML alias as a config problem at its line, exit 2, not a stack overflow', async () => {
    const dir = dirs.make();
    const path = writeConfig(dir, ['providers:', '  math:', '    command: [node, server.js]', '    env: &env', '      SELF: *env', ''].join('\n'), 'loop.yaml');
    for (const command of ['validate', 'serve']) {
      const result = await runCli(command, '--config', path);
      assert.equal(result.code, 2, `${command}: ${result.stderr}`);
      assert.match(result.stderr, /loop\.yaml:5:13 providers\.math\.env\.SELF: recursive alias \*env: it is inside the node anchored &env \(line 4\)/);
      assert.doesNotMatch(result.stderr, /call stack/);
    }
  });

  it('accepts a valid config', async () => {
    const dir = dirs.make();
    const path = writeConfig(dir, `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n`, 'good.yaml');
    const result = await runCli('validate', '--config', path);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /valid — 1 provider \(math\)/);
  });
});

describe('stdout carries only MCP messages', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('keeps a provider banner and logs off the client channel', async () => {
    const configPath = writeConfig(
      dir.path,
      `providers:\n  noisy:\n    command: [sh, -c, ${JSON.stringify(`echo "Welcome to noisy server v1"; echo '{"not":"jsonrpc"}'; exec "${process.execPath}" "${MATH_SERVER}"`)}]\n`,
    );
    const child = spawn(process.execPath, [HANGAR_MAIN, 'serve', '--config', configPath], { env: { ...process.env, MCP_LOG_LEVEL: 'debug' } });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
    const waitFor = async (id: number) => {
      const deadline = Date.now() + 15_000;
      while (!stdout.split('\n').some((l) => l.includes(`"id":${id}`))) {
        if (Date.now() > deadline) throw new Error(`no answer to request ${id}; stdout: ${stdout}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    await waitFor(1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'registry_invoke', arguments: { provider: 'noisy', tool: 'add', arguments: { a: 20, b: 22 } } },
    });
    await waitFor(2);
    child.stdin.end();
    await new Promise((r) => child.once('exit', r));
    const lines = stdout.split('\n').filter((l) => l.length > 0);
    for (const line of lines) assert.equal((JSON.parse(line) as { jsonrpc?: string }).jsonrpc, '2.0', `not an MCP message on stdout: ${line}`);
    assert.match(stdout, /"result":42/);
    assert.doesNotMatch(stdout, /Welcome/);
  });
});

describe('npm start with the bundled config', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('serves the example math provider when no config is given', async () => {
    const client = new Client({ name: 'quickstart', version: '1' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [HANGAR_MAIN, 'serve'],
        cwd: dir.path,
        env: { PATH: process.env['PATH'] ?? '', MCP_LOG_LEVEL: 'warn', MCP_DATABASE_PATH: join(dir.path, 'quickstart.db') },
      }),
    );
    try {
      const result = (await client.callTool({ name: 'registry_invoke', arguments: { provider: 'math', tool: 'divide', arguments: { a: 1, b: 4 } } })) as {
        structuredContent?: unknown;
      };
      assert.deepEqual(result.structuredContent, { result: 0.25 });
    } finally {
      await client.close();
    }
    assert.ok(existsSync(join(dir.path, 'quickstart.db')));
  });
});
