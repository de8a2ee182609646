import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { INITIALIZE_LINE, MATH_SERVER, UNLIMITED, connectHangar, runHangar, tempDir, writeConfig } from '../support/hangar-harness.js';

/** Runs `serve` until it exits (it should, at once: its stdin stays open); what it printed and its exit code. */
const serve = (configPath: string, storePath: string, input = '') =>
  runHangar(['serve', '--config', configPath], { env: { MCP_DATABASE_PATH: storePath }, input, keepStdinOpen: true });

const initialize = INITIALIZE_LINE;
const call = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'registry_list', arguments: {} } });

/** chattr +i makes a file read-only even for root; false where it cannot be used. */
const makeImmutable = (path: string): boolean => {
  try {
    execFileSync('chattr', ['+i', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

describe('a store that cannot be used fails clearly, naming the file', { timeout: 120_000 }, () => {
  const dir = tempDir();
  const config = writeConfig(dir.path, `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n`);
  const good = join(dir.path, 'good.db');
  const immutable: string[] = [];
  before(async () => {
    // A real store with some history: a few hundred events over several pages.
    const hangar = await connectHangar(config, { ...UNLIMITED, MCP_DATABASE_PATH: good });
    for (let i = 0; i < 200; i++) await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: i, b: 1 } });
    await hangar.close();
  });
  after(() => {
    for (const path of immutable) execFileSync('chattr', ['-i', path]);
    dir.remove();
  });
  const copy = (name: string): string => {
    const path = join(dir.path, name);
    copyFileSync(good, path);
    return path;
  };
  const refusedBeforeServing = async (path: string, cause: RegExp) => {
    const result = await serve(config, path, `${initialize}\n`);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, '', 'nothing was served');
    assert.ok(result.stderr.includes(`event store ${path}: `), result.stderr);
    assert.match(result.stderr, cause);
    assert.match(result.stderr, /Hint: /);
  };

  it('a file that is not a database', async () => {
    const path = join(dir.path, 'notes.db');
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(200));
    await refusedBeforeServing(path, /not an SQLite database/);
  });

  it('a truncated database', async () => {
    const path = copy('truncated.db');
    truncateSync(path, Math.floor(statSync(path).size / 2));
    await refusedBeforeServing(path, /damaged/);
  });

  it('a database that cannot be written', async (t) => {
    const path = copy('readonly.db');
    if (!makeImmutable(path)) return t.skip('chattr +i is not available here: a read-only file cannot be made for this user');
    immutable.push(path);
    await refusedBeforeServing(path, /cannot be written/);
  });

  it('a database damaged inside: the hangar stops at boot with the file and the cause, not at the first call', async () => {
    const path = copy('corrupt.db');
    const bytes = readFileSync(path);
    bytes.fill(0x41, 8192, Math.min(bytes.length - 4096, 8192 * 4)); // table pages, not the first nor the last
    writeFileSync(path, bytes);
    const result = await serve(config, path, `${initialize}\n${call}\n`);
    assert.equal(result.code, 1, result.stderr);
    assert.ok(result.stderr.includes(path), result.stderr);
    assert.match(result.stderr, /damaged/);
    assert.doesNotMatch(result.stdout, /"id":2/, 'no call was answered from a broken store');
  });
});
