import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hangarEventRegistry } from '../../src/infrastructure/persistence/hangar-event-schemas.js';
import { openSqliteEventStore } from '../../src/infrastructure/persistence/sqlite/sqlite-event-store.js';
import { EVERYTHING_SERVER, HANGAR_MAIN, MATH_SERVER, connectHangar, tempDirs, writeConfig } from '../support/hangar-harness.js';

interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the CLI with stdout and stderr as pipes and no output limit. With `slowReader`, nothing is read for
 * that long at first, so a large output fills the pipe and the CLI must wait for it to drain.
 */
const cli = (args: readonly string[], options: { slowReaderMs?: number; cwd?: string } = {}): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HANGAR_MAIN, ...args], {
      env: { ...process.env, MCP_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    if (options.slowReaderMs) {
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), options.slowReaderMs);
    }
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr }));
  });

/** Appends `count` ToolInvoked events for `provider` straight into the store at `path` (created). */
const fillStore = async (path: string, provider: string, count: number): Promise<void> => {
  const store = openSqliteEventStore(path, { registry: hangarEventRegistry(), backgroundCheckpoint: false });
  const events = Array.from({ length: count }, (_, i) => ({
    type: 'ToolInvoked' as const,
    data: { tool: 'add', correlationId: `call-${i}`, durationMs: 1, outcome: 'success' as const, argumentsDigest: 'a'.repeat(64), resultSize: 10 },
  }));
  await store.append(`provider-${provider}@1`, events, 'any', { occurredAt: new Date().toISOString() });
  await store.close();
};

const mathConfig = (dir: string, name = 'hangar.yaml') => writeConfig(dir, `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n`, name);

describe('the command line, the first hour', { timeout: 120_000 }, () => {
  const dirs = tempDirs();
  after(() => dirs.removeAll());

  it('prints all of a history over 1 MB through a pipe, even to a slow reader', async () => {
    const dir = dirs.make();
    const config = mathConfig(dir);
    mkdirSync(join(dir, 'data'));
    await fillStore(join(dir, 'data', 'hangar.db'), 'math', 5000);
    const json = await cli(['history', 'math', '--json', '-c', config], { slowReaderMs: 500 });
    assert.equal(json.code, 0, json.stderr);
    assert.ok(Buffer.byteLength(json.stdout) > 1_000_000, `only ${Buffer.byteLength(json.stdout)} bytes`);
    const parsed = JSON.parse(json.stdout) as { events: { position: number }[] };
    assert.equal(parsed.events.length, 5000);
    assert.equal(parsed.events.at(-1)?.position, 5000);
    const text = await cli(['history', 'math', '-c', config], { slowReaderMs: 300 });
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout.trimEnd().split('\n').length, 5001, 'a header and one line per event');
    const all = await cli(['history', '--all', '--json', '-c', config], { slowReaderMs: 300 });
    assert.equal((JSON.parse(all.stdout) as { events: unknown[] }).events.length, 5000);
  });

  it('takes -c for --config, after the command or before it, as MCP Inspector needs (`serve -c FILE`)', async () => {
    const dir = dirs.make();
    const config = mathConfig(dir);
    for (const args of [
      ['serve', '-c', config],
      ['-c', config, 'serve'],
      ['-c', config],
    ]) {
      const client = new Client({ name: 'inspector-like', version: '1' });
      await client.connect(
        new StdioClientTransport({ command: process.execPath, args: [HANGAR_MAIN, ...args], env: { PATH: process.env['PATH'] ?? '', MCP_LOG_LEVEL: 'warn' } }),
      );
      try {
        const list = (await client.callTool({ name: 'registry_list', arguments: {} })) as unknown as { structuredContent: { providers: { id: string }[] } };
        assert.deepEqual(
          list.structuredContent.providers.map((p) => p.id),
          ['math'],
          `mcp-hangar ${args.join(' ')}`,
        );
      } finally {
        await client.close();
      }
    }
    for (const args of [
      ['validate', '-c', config],
      ['-c', config, 'validate'],
    ]) {
      const result = await cli(args);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /valid — 1 provider \(math\)/);
    }
  });

  it('names an unknown command, lists the commands, and exits 2', async () => {
    const bogus = await cli(['bogus']);
    assert.equal(bogus.code, 2);
    assert.match(bogus.stderr, /unknown command 'bogus'/);
    assert.match(bogus.stderr, /commands: serve, validate, history, replay, audit/);
    assert.doesNotMatch(bogus.stderr, /too many arguments/);
    const typo = await cli(['histroy', 'math']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /unknown command 'histroy' — did you mean 'history'\?/);
  });

  it('says there is no event store yet, and where it looked, before the first serve (exit 1), creating nothing', async () => {
    const dir = dirs.make();
    const config = mathConfig(dir);
    for (const args of [
      ['history', 'math', '-c', config],
      ['history', '--all', '-c', config],
      ['audit', 'verify', '-c', config],
    ]) {
      const result = await cli(args);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.ok(result.stderr.includes(`no event store yet at ${join(dir, 'data', 'hangar.db')}`), result.stderr);
      assert.match(result.stderr, /created by the first `mcp-hangar serve`/);
    }
    assert.deepEqual(readdirSync(dir), ['hangar.yaml'], 'nothing was created');
  });

  it('suggests the closest provider for an unknown one (exit 2); --all interleaves every provider in recorded order', async () => {
    const dir = dirs.make();
    const config = writeConfig(
      dir,
      `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n  everything:\n    command: [node, ${JSON.stringify(EVERYTHING_SERVER)}]\n`,
    );
    const hangar = await connectHangar(config);
    try {
      await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 1, b: 2 } });
      await hangar.call('registry_invoke', { provider: 'everything', tool: 'echo', arguments: { message: 'hi' } });
      await hangar.call('registry_invoke', { provider: 'math', tool: 'multiply', arguments: { a: 6, b: 7 } });
    } finally {
      await hangar.close();
    }

    const unknown = await cli(['history', 'maht', '-c', config]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown provider 'maht' — did you mean 'math'\?/);
    assert.match(unknown.stderr, /known providers: everything, math/);
    const unknownJson = await cli(['history', 'maht', '--json', '-c', config]);
    assert.equal(unknownJson.code, 2);
    assert.equal(unknownJson.stdout, '');

    const all = JSON.parse((await cli(['history', '--all', '--json', '-c', config])).stdout) as {
      events: { provider: string; position: number; type: string }[];
    };
    const positions = all.events.map((e) => e.position);
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => a - b),
      'in global order',
    );
    const each = await Promise.all(
      ['math', 'everything'].map(
        async (p) => (JSON.parse((await cli(['history', p, '--json', '-c', config])).stdout) as { events: { position: number }[] }).events,
      ),
    );
    assert.deepEqual(
      positions,
      each
        .flat()
        .map((e) => e.position)
        .sort((a, b) => a - b),
      "exactly every provider's events",
    );
    const invoked = all.events.filter((e) => e.type === 'ToolInvoked').map((e) => e.provider);
    assert.deepEqual(invoked, ['math', 'everything', 'math'], 'interleaved as they happened');
    const text = await cli(['history', '--all', '-c', config]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^every provider — \d+ events\n/);
    assert.match(text.stdout, /@1\s+everything\s+ToolInvoked\s+echo → success/);
  });

  it('--follow prints events appended after it started, for one provider and with --all, and ends on SIGTERM', async () => {
    const dir = dirs.make();
    const config = mathConfig(dir);
    const hangar = await connectHangar(config);
    try {
      await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 1, b: 1 } });
      const followers = [
        { args: ['history', 'math', '--follow', '-c', config], json: false },
        { args: ['history', '--all', '--follow', '--json', '-c', config], json: true },
      ].map(({ args, json }) => {
        const child = spawn(process.execPath, [HANGAR_MAIN, ...args], { env: { ...process.env, MCP_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
        const seen = { stdout: '', stderr: '' };
        child.stdout.on('data', (c: Buffer) => (seen.stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (seen.stderr += c.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        return { child, seen, exited, json };
      });
      const until = async (check: () => boolean, what: string) => {
        for (const end = Date.now() + 15_000; !check(); await sleep(50)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      };
      for (const f of followers) await until(() => f.seen.stderr.includes('following'), 'the follower to start');
      for (const f of followers) assert.match(f.seen.stdout, /ToolInvoked/, 'what was recorded before is printed first');
      const before = followers.map((f) => f.seen.stdout.split('\n').filter((l) => l.includes('ToolInvoked')).length);

      await hangar.call('registry_invoke', { provider: 'math', tool: 'multiply', arguments: { a: 6, b: 7 } });
      for (const [i, f] of followers.entries()) {
        await until(() => f.seen.stdout.split('\n').filter((l) => l.includes('ToolInvoked')).length > (before[i] as number), 'the new call');
      }
      assert.match(followers[0]?.seen.stdout ?? '', /ToolInvoked\s+multiply → success/);
      const lines = (followers[1]?.seen.stdout ?? '').trim().split('\n');
      const last = lines
        .map((l) => JSON.parse(l) as { provider: string; type: string; data: { tool?: string } })
        .filter((e) => e.type === 'ToolInvoked')
        .at(-1);
      assert.deepEqual([last?.provider, last?.data.tool], ['math', 'multiply'], 'one JSON object per line, naming its provider');

      for (const f of followers) f.child.kill('SIGTERM');
      for (const f of followers) assert.equal(await f.exited, 0, f.seen.stderr);
    } finally {
      await hangar.close();
    }
  });

  it('validate warns about commands that cannot start and a config with no providers (exit 0); an error still exits 2', async () => {
    const dir = dirs.make();
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'present.sh'), '#!/bin/sh\n');
    chmodSync(join(dir, 'bin', 'present.sh'), 0o755);
    const config = writeConfig(
      dir,
      [
        'providers:',
        '  fine:',
        `    command: [node, ${JSON.stringify(MATH_SERVER)}]`,
        '  local:',
        '    command: [./bin/present.sh]',
        '  missing:',
        '    command: [no-such-command-for-hangar-tests, --stdio]',
        '  gone:',
        '    command: [./bin/absent.sh]',
        '  script:',
        '    command: [node, server-that-is-not-there.js]',
        '',
      ].join('\n'),
    );
    const result = await cli(['validate', '-c', config]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /valid \(3 warnings\) — 5 providers/);
    assert.match(result.stderr, /providers\.missing\.command: 'no-such-command-for-hangar-tests' is not found on PATH/);
    assert.ok(result.stderr.includes(`providers.gone.command: ${join(dir, 'bin', 'absent.sh')} does not exist`), result.stderr);
    assert.ok(result.stderr.includes(`providers.script.command: the script ${join(dir, 'server-that-is-not-there.js')} does not exist`), result.stderr);
    assert.doesNotMatch(result.stderr, /providers\.(fine|local)\b/);

    const empty = await cli(['validate', '-c', writeConfig(dir, 'providers: {}\n', 'empty.yaml')]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stderr, /no providers are configured/);

    const invalid = await cli([
      'validate',
      '-c',
      writeConfig(dir, 'providers:\n  math:\n    command: [no-such-command-for-hangar-tests]\n    idle_ttl: 3\n', 'bad.yaml'),
    ]);
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /idle_ttl/);
    assert.equal(existsSync(join(dir, 'data')), false);
  });
});
