import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FAULTY_SERVER, HANGAR_MAIN, UNLIMITED, connectHangar, tempDirs, writeConfig } from '../support/hangar-harness.js';

// Values that must never reach the store in any mode; each sits where the redaction must find it.
const API_KEY = 'ak-5d1e9f03b7c24a68';
const PASSWORD = 'pw-93b0c7d2e5f14a8e';
const BEARER = 'bt-0f6a2c9e4b7d1358x';
const GITHUB = `ghp_${'Z9'.repeat(18)}`;
const SECRETS = [API_KEY, PASSWORD, BEARER, GITHUB];

/** The arguments of the call under test: secrets under secret-looking keys at two depths, in a header, and in free text. */
const ARGUMENTS = {
  text: `hello, see ${GITHUB}`,
  api_key: API_KEY,
  options: { retries: 2, db: { user: 'me', password: PASSWORD } },
  headers: [{ Authorization: `Bearer ${BEARER}` }],
};
const REDACTED_JSON = JSON.stringify({
  text: 'hello, see [REDACTED]',
  api_key: '[REDACTED]',
  options: { retries: 2, db: { user: 'me', password: '[REDACTED]' } },
  headers: [{ Authorization: '[REDACTED]' }],
});

interface Entry {
  readonly type: string;
  readonly data: Record<string, unknown> & { tool?: string; arguments?: { json: string; truncated: boolean; bytes: number } };
}

const cli = (...args: string[]) => spawnSync(process.execPath, [HANGAR_MAIN, ...args], { encoding: 'utf8', env: { ...process.env, MCP_LOG_LEVEL: 'warn' } });

/** Every byte of the store (the database, its WAL and shared memory), as text. */
const storeBytes = (dir: string): string =>
  readdirSync(join(dir, 'data'))
    .filter((f) => f.startsWith('hangar.db') && !f.endsWith('.instances'))
    .map((f) => readFileSync(join(dir, 'data', f)).toString('latin1'))
    .join('');

describe('recorded arguments: audit.record_arguments through the built hangar', { timeout: 120_000 }, () => {
  const dirs = tempDirs();
  after(() => dirs.removeAll());

  /** Serves `audit` (YAML lines under `audit:`), makes the calls, closes, and returns the calls' events and the store's bytes. */
  const run = async (audit: string, calls: readonly Record<string, unknown>[]) => {
    const dir = dirs.make();
    const config = writeConfig(dir, `providers:\n  faulty:\n    command: [node, ${JSON.stringify(FAULTY_SERVER)}]\n    idle_ttl_s: 0\naudit:\n${audit}`);
    const hangar = await connectHangar(config, UNLIMITED);
    try {
      for (const args of calls) {
        const answer = await hangar.call('registry_invoke', { provider: 'faulty', tool: 'echo', arguments: args });
        assert.notEqual(answer.isError, true, JSON.stringify(answer));
      }
      // A direct tool takes the lean lane: its calls are recorded the same way.
      const direct = await hangar.call('faulty__echo', calls[0] ?? {});
      assert.notEqual(direct.isError, true, JSON.stringify(direct));
    } finally {
      await hangar.close();
    }
    const history = cli('history', 'faulty', '--json', '--config', config);
    assert.equal(history.status, 0, history.stderr);
    const entries = (JSON.parse(history.stdout) as { events: Entry[] }).events.filter((e) => e.type === 'ToolInvoked');
    assert.equal(entries.length, calls.length + 1, history.stdout);
    const text = cli('history', 'faulty', '--config', config);
    assert.equal(text.status, 0, text.stderr);
    return { config, entries, bytes: storeBytes(dir), timeline: text.stdout, historyJson: history.stdout };
  };

  it('full: records the redacted arguments; no secret is anywhere in the SQLite files', async () => {
    const { entries, bytes, timeline } = await run('  record_arguments: full\n', [ARGUMENTS]);
    for (const { data } of entries) {
      assert.deepEqual(data.arguments, { json: REDACTED_JSON, truncated: false, bytes: Buffer.byteLength(REDACTED_JSON) });
      assert.match(String(data['argumentsDigest']), /^[0-9a-f]{32}$/);
    }
    for (const secret of SECRETS) assert.ok(!bytes.includes(secret), `${secret} is not in the store`);
    assert.ok(bytes.includes('[REDACTED]'), 'the redacted arguments are stored');
    assert.match(timeline, /ToolInvoked +echo \{"text":"hello, see \[REDACTED\]","api_key":"\[REDACTED\]",.*… → success/);
    for (const secret of SECRETS) assert.ok(!timeline.includes(secret));
  });

  it('full: arguments over max_argument_bytes are cut on a character boundary, the cut and the whole size recorded', async () => {
    const long = { text: `${'é'.repeat(300)}`, token: API_KEY };
    const { entries, bytes } = await run('  record_arguments: full\n  max_argument_bytes: 128\n', [long, { text: 'short' }]);
    const whole = JSON.stringify({ text: 'é'.repeat(300), token: '[REDACTED]' });
    const [cut, short] = entries.map((e) => e.data.arguments);
    assert.equal(cut?.truncated, true);
    assert.equal(cut?.bytes, Buffer.byteLength(whole));
    assert.equal(cut?.json, whole.slice(0, 9 + 59), '{"text":" is 9 bytes, then 59 two-byte characters make 127: a 60th would pass 128');
    assert.deepEqual(short, { json: '{"text":"short"}', truncated: false, bytes: 16 });
    assert.ok(!bytes.includes(API_KEY));
  });

  it('digest (the default): only the digest of the arguments', async () => {
    for (const audit of ['  record_arguments: digest\n', '  max_argument_bytes: 4096\n']) {
      const { entries, bytes, historyJson } = await run(audit, [ARGUMENTS]);
      for (const { data } of entries) {
        assert.match(String(data['argumentsDigest']), /^[0-9a-f]{32}$/);
        assert.equal('arguments' in data, false);
      }
      for (const secret of SECRETS) assert.ok(!bytes.includes(secret), `${secret} is not in the store`);
      assert.ok(!historyJson.includes('hello, see'), 'nothing of the arguments but their digest');
    }
  });

  it('none: neither the arguments nor their digest', async () => {
    const { entries, bytes } = await run('  record_arguments: none\n', [ARGUMENTS]);
    for (const { data } of entries) {
      assert.equal('argumentsDigest' in data, false);
      assert.equal('arguments' in data, false);
      assert.deepEqual(Object.keys(data).sort(), ['correlationId', 'durationMs', 'outcome', 'resultSize', 'tool']);
    }
    for (const secret of SECRETS) assert.ok(!bytes.includes(secret), `${secret} is not in the store`);
  });

  it('refuses a wrong audit value at its YAML path and line, exit 2', () => {
    const dir = dirs.make();
    const config = writeConfig(dir, 'providers: {}\naudit:\n  record_arguments: everything\n  max_argument_bytes: 8\n');
    const result = cli('validate', '--config', config);
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /hangar\.yaml:3:\d+ audit\.record_arguments: invalid record_arguments "everything": expected one of none, digest, full/);
    assert.match(result.stderr, /hangar\.yaml:4:\d+ audit\.max_argument_bytes: expected an integer from 64 to 1048576, got 8/);
    const serve = spawnSync(process.execPath, [HANGAR_MAIN, 'serve', '--config', config], { encoding: 'utf8', input: '' });
    assert.equal(serve.status, 2, serve.stderr);
    assert.match(serve.stderr, /audit\.record_arguments/);
  });
});
