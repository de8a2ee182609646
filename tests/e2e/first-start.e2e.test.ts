import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HANGAR_MAIN, MATH_SERVER, REPO_ROOT, tempDirs, writeConfig } from '../support/hangar-harness.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'first-hour', version: '1' } },
};
const initialized = { jsonrpc: '2.0', method: 'notifications/initialized' };
const list = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'registry_list', arguments: {} } };

/**
 * Runs `node dist/src/main.js serve ...args` in `cwd` with only `env` (and PATH), writes `messages`, and closes
 * stdin once every request among them is answered (at once when `closeAtOnce`); resolves when it exits.
 */
const serve = (
  cwd: string,
  env: Record<string, string>,
  messages: readonly object[],
  options: { args?: readonly string[]; closeAtOnce?: boolean } = {},
): Promise<Run> =>
  new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [HANGAR_MAIN, 'serve', ...(options.args ?? [])], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    const expected = messages.filter((m) => 'id' in m).length;
    const answered = (): number => stdout.split('\n').filter((line) => line.includes('"id":')).length;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!options.closeAtOnce && answered() >= expected) child.stdin.end();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined); // it may be gone before it reads
    child.stdin.write(messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
    if (options.closeAtOnce || expected === 0) child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });

/** The JSON log lines of a run's stderr (other lines left out). */
const logLines = (stderr: string): { level: number; msg: string; [k: string]: unknown }[] =>
  stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string });

/** Every file under `dir` with its mtime, to see that nothing in the package folder was written. */
const snapshot = (dir: string): Map<string, number> => {
  const files = new Map<string, number>();
  if (!existsSync(dir)) return files;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else files.set(path, stat.mtimeMs);
    }
  };
  walk(dir);
  return files;
};

describe('the first hour: the bundled config keeps its store in the user data folder', { timeout: 120_000 }, () => {
  const dirs = tempDirs('hangar-first-');
  after(() => dirs.removeAll());
  const packageData = (): [Map<string, number>, Map<string, number>] => [snapshot(join(REPO_ROOT, 'data')), snapshot(join(REPO_ROOT, 'config'))];

  it('goes to ~/.local/share/mcp-hangar with no config anywhere, and says so on stderr', async () => {
    const home = dirs.make();
    const cwd = dirs.make();
    const before = packageData();
    const run = await serve(cwd, { HOME: home, MCP_LOG_LEVEL: 'warn' }, [initialize, initialized, list]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /"id":2/);
    assert.match(run.stdout, /math/);
    const store = join(home, '.local', 'share', 'mcp-hangar', 'hangar.db');
    assert.ok(existsSync(store), `no store at ${store}`);
    assert.deepEqual(readdirSync(cwd), []);
    assert.deepEqual(packageData(), before, 'the package folder was written');
    const bundled = join(REPO_ROOT, 'config', 'hangar.yaml');
    const lines = run.stderr.split('\n').filter((line) => line.includes('serving the bundled config'));
    assert.equal(lines.length, 1, run.stderr);
    assert.ok(lines[0]!.includes(bundled) && lines[0]!.includes(store), lines[0]);
    assert.doesNotMatch(run.stdout, /serving the bundled config/);
  });

  it('goes to $XDG_DATA_HOME/mcp-hangar when XDG_DATA_HOME is set', async () => {
    const home = dirs.make();
    const xdg = dirs.make();
    const cwd = dirs.make();
    const run = await serve(cwd, { HOME: home, XDG_DATA_HOME: xdg, MCP_LOG_LEVEL: 'warn' }, [initialize, initialized, list]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /"id":2/);
    assert.ok(existsSync(join(xdg, 'mcp-hangar', 'hangar.db')));
    assert.equal(existsSync(join(home, '.local')), false);
    assert.match(run.stderr, new RegExp(`event store ${join(xdg, 'mcp-hangar', 'hangar.db').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it("keeps a user's own config without event_store.path storing beside it, and says nothing of the bundled config", async () => {
    const home = dirs.make();
    const dir = dirs.make();
    const config = writeConfig(dir, `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n`);
    const run = await serve(dir, { HOME: home, MCP_LOG_LEVEL: 'warn' }, [initialize, initialized, list], { args: ['--config', config] });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(existsSync(join(dir, 'data', 'hangar.db')));
    assert.equal(existsSync(join(home, '.local')), false);
    assert.doesNotMatch(run.stderr, /bundled/);
  });

  it('fails at once, exit 1, naming the store and a hint, when the data folder is under a file', async () => {
    const home = dirs.make();
    const cwd = dirs.make();
    const file = join(home, 'not-a-folder');
    writeFileSync(file, 'x');
    const run = await serve(cwd, { HOME: home, XDG_DATA_HOME: file, MCP_LOG_LEVEL: 'warn' }, [initialize]);
    assert.equal(run.code, 1, run.stderr);
    assert.ok(run.ms < 10_000, `took ${run.ms} ms`);
    assert.ok(run.stderr.includes(join(file, 'mcp-hangar', 'hangar.db')), run.stderr);
    assert.match(run.stderr, /a part of the path is a file, not a folder/);
    assert.match(run.stderr, /Hint: .*MCP_DATABASE_PATH or XDG_DATA_HOME/);
    assert.equal(run.stdout, '');
  });

  it('fails at once, exit 1, naming the store and a hint, when the data folder cannot be written', async (t) => {
    const home = dirs.make();
    const cwd = dirs.make();
    // chattr +i makes a folder read-only even for root (these tests may run as root).
    try {
      execFileSync('chattr', ['+i', home], { stdio: 'ignore' });
    } catch {
      t.skip('chattr +i is not available here');
      return;
    }
    try {
      const run = await serve(cwd, { HOME: home, MCP_LOG_LEVEL: 'warn' }, [initialize]);
      assert.equal(run.code, 1, run.stderr);
      assert.ok(run.ms < 10_000, `took ${run.ms} ms`);
      assert.ok(run.stderr.includes(join(home, '.local', 'share', 'mcp-hangar', 'hangar.db')), run.stderr);
      assert.match(run.stderr, /Hint: .*MCP_DATABASE_PATH or XDG_DATA_HOME/);
    } finally {
      execFileSync('chattr', ['-i', home]);
    }
  });

  it('fails at once, exit 1, when a configured store path is impossible', async () => {
    const dir = dirs.make();
    writeFileSync(join(dir, 'blocker'), 'x');
    const config = writeConfig(dir, 'event_store: { path: blocker/sub/hangar.db }\nproviders: {}\n');
    const run = await serve(dir, { HOME: dir, MCP_LOG_LEVEL: 'warn' }, [initialize], { args: ['--config', config] });
    assert.equal(run.code, 1, run.stderr);
    assert.ok(run.stderr.includes(join(dir, 'blocker', 'sub', 'hangar.db')), run.stderr);
    assert.match(run.stderr, /Hint: check event_store.path/);
  });
});

describe('the first hour: a client that leaves while the hangar boots', { timeout: 120_000 }, () => {
  const dirs = tempDirs('hangar-first-');
  after(() => dirs.removeAll());

  // Many providers make the boot long enough (registering each on a new store) to be cut into.
  const bigConfig = (dir: string): string => {
    const providers = Array.from({ length: 300 }, (_, i) => `  p${i}:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n`).join('');
    return writeConfig(dir, `providers:\n${providers}`);
  };

  const assertCleanEnd = (run: Run): void => {
    assert.equal(run.code, 0, run.stderr);
    const logs = logLines(run.stderr);
    const messages = logs.map((l) => l.msg);
    const ready = messages.indexOf('hangar ready');
    const shutting = messages.indexOf('shutting down');
    assert.ok(ready >= 0, run.stderr);
    assert.ok(shutting > ready, `"hangar ready" must come before "shutting down": ${messages.join(' | ')}`);
    assert.equal(messages.filter((m) => m === 'shutting down').length, 1);
    assert.deepEqual(
      logs.filter((l) => l.level >= 50),
      [],
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'a stack trace in the log');
  };

  it('stdin closed right after initialize: boot finishes, then one clean shutdown, exit 0', async () => {
    const dir = dirs.make();
    const config = bigConfig(dir);
    const run = await serve(dir, { HOME: dir, MCP_LOG_LEVEL: 'info' }, [initialize], { args: ['--config', config], closeAtOnce: true });
    assertCleanEnd(run);
    const shutting = logLines(run.stderr).find((l) => l.msg === 'shutting down');
    assert.equal(shutting?.['why'], 'stdin closed');
    assert.equal(shutting?.['duringBoot'], true);
  });

  it('stdin and stdout both closed during boot (the client is gone): exit 0, no EPIPE stack', async () => {
    const dir = dirs.make();
    const config = bigConfig(dir);
    const run = await new Promise<Run>((resolve) => {
      const started = performance.now();
      const child = spawn(process.execPath, [HANGAR_MAIN, 'serve', '--config', config], {
        cwd: dir,
        env: { PATH: process.env['PATH'] ?? '', HOME: dir, MCP_LOG_LEVEL: 'info' },
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.on('error', () => undefined);
      child.stdin.end(`${JSON.stringify(initialize)}\n`);
      child.stdout.destroy();
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout: '', stderr, ms: performance.now() - started });
      });
    });
    assertCleanEnd(run);
  });
});
