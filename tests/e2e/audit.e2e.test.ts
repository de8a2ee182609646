import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAULTY_SERVER, MATH_SERVER, UNLIMITED, connectHangar, errorOf, tempDirs, writeConfig, type CallResult, runCli } from '../support/hangar-harness.js';
import { connect, startHttp } from '../support/http-hangar.js';
import { readCsv } from '../support/csv.js';

/** A row of `audit --json` and of registry_audit's structuredContent. */
interface Row {
  position: number;
  occurred_at: string;
  provider: string;
  instance: string | null;
  tool: string;
  outcome: string;
  duration_ms: number;
  caller: string | null;
  correlation_id: string | null;
  arguments: { json: string; truncated: boolean; bytes: number } | null;
  arguments_digest: string | null;
}
interface Page {
  invocations: Row[];
  next_before: number | null;
}

const providers = `providers:
  math:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
  faulty:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
`;

describe('audit queries over a store written by real calls', { timeout: 180_000 }, () => {
  const dirs = tempDirs();
  let dir: string;
  let configPath: string;
  /** Every recorded call as registry_audit listed it once the calls were made, newest first. */
  let all: Row[];
  const positionsOf = (rows: readonly Row[]) => rows.map((r) => r.position);
  const audit = async (...args: string[]) => runCli('audit', ...args, '--config', configPath);
  const auditJson = async (...args: string[]): Promise<Page> => {
    const result = await audit(...args, '--json');
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as Page;
  };

  before(async () => {
    dir = dirs.make();
    configPath = writeConfig(dir, providers);
    const hangar = await connectHangar(configPath, UNLIMITED);
    try {
      const invoke = (provider: string, tool: string, args: Record<string, unknown> = {}) =>
        hangar.call('registry_invoke', { provider, tool, arguments: args });
      assert.deepEqual((await invoke('math', 'add', { a: 1, b: 2 })).structuredContent, { result: 3 });
      assert.equal((await invoke('math', 'divide', { a: 1, b: 0 })).isError, true, 'a tool error');
      assert.equal(errorOf(await invoke('math', 'nosuch')).code, 'TOOL_NOT_FOUND');
      assert.equal(errorOf(await invoke('faulty', 'crash')).code, 'PROVIDER_CRASHED');
      assert.deepEqual((await invoke('faulty', 'echo', { text: 'hi, "you"' })).structuredContent, { text: 'hi, "you"' });

      const listed = await hangar.call('registry_audit');
      assert.notEqual(listed.isError, true, JSON.stringify(listed.content));
      all = (listed.structuredContent as unknown as Page).invocations;
      assert.equal((listed.structuredContent as unknown as Page).next_before, null);
    } finally {
      await hangar.close();
    }
  });
  after(() => dirs.removeAll());

  it('registry_audit lists every call newest first: success, tool error, failures by error code', () => {
    assert.deepEqual(
      all.map((r) => [r.provider, r.tool, r.outcome]),
      [
        ['faulty', 'echo', 'success'],
        ['faulty', 'crash', 'provider_crashed'],
        ['math', 'nosuch', 'tool_not_found'],
        ['math', 'divide', 'tool_error'],
        ['math', 'add', 'success'],
      ],
    );
    for (const row of all) {
      assert.equal(row.instance, '1');
      assert.equal(row.caller, null, 'stdio has no caller');
      assert.match(row.correlation_id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-7/, 'a time-ordered correlation id');
      assert.equal(typeof row.duration_ms, 'number');
      assert.match(row.arguments_digest ?? '', /^[0-9a-f]{32}$/);
    }
    const positions = positionsOf(all);
    assert.deepEqual(
      positions,
      [...positions].sort((a, b) => b - a),
    );
  });

  it('registry_audit filters, pages, and refuses bad values and unknown providers over MCP', async () => {
    const hangar = await connectHangar(configPath, UNLIMITED);
    try {
      const rows = async (args: Record<string, unknown>) => {
        const result = await hangar.call('registry_audit', args);
        assert.notEqual(result.isError, true, JSON.stringify(result.content));
        return result.structuredContent as unknown as Page;
      };
      assert.deepEqual(positionsOf((await rows({ provider: 'math' })).invocations), positionsOf(all.filter((r) => r.provider === 'math')));
      assert.deepEqual(positionsOf((await rows({ outcome: 'failed' })).invocations), positionsOf(all.slice(1, 3)));
      const crash = all[1] as Row;
      assert.deepEqual(positionsOf((await rows({ correlation_id: crash.correlation_id })).invocations), [crash.position]);
      const first = await rows({ limit: 2 });
      assert.deepEqual([positionsOf(first.invocations), first.next_before], [positionsOf(all.slice(0, 2)), crash.position]);
      assert.deepEqual(positionsOf((await rows({ limit: 2, before: crash.position })).invocations), positionsOf(all.slice(2, 4)));
      const text = (await hangar.call('registry_audit', { limit: 2 })).content[0]?.text ?? '';
      assert.match(text, /^POSITION\s+TIME\s+PROVIDER\s+TOOL\s+OUTCOME/);
      assert.match(text, /faulty@1\s+crash\s+provider_crashed/);
      assert.match(text, /More calls match: pass before: \d+/);

      const badTime = await hangar.call('registry_audit', { since: 'yesterday' });
      assert.equal(badTime.isError, true);
      assert.equal(errorOf(badTime).code, 'INVALID_ARGUMENTS');
      assert.match(errorOf(badTime).message as string, /since: expected an ISO date or time/);
      assert.equal(errorOf(await hangar.call('registry_audit', { outcome: 'exploded' })).code, 'INVALID_ARGUMENTS');
      assert.equal(errorOf(await hangar.call('registry_audit', { before: 1 })).code, 'INVALID_ARGUMENTS', 'position 1 holds no call');
      const unknown = await hangar.call('registry_audit', { provider: 'mth' });
      assert.equal(errorOf(unknown).code, 'PROVIDER_NOT_FOUND');
      assert.match(errorOf(unknown).message as string, /did you mean 'math'/);
    } finally {
      await hangar.close();
    }
  });

  it('`mcp-hangar audit` prints the same calls as an aligned table, newest first', async () => {
    const result = await audit();
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 1 + all.length);
    assert.match(lines[0] as string, /^POSITION\s+TIME\s+PROVIDER\s+TOOL\s+OUTCOME\s+DURATION\s+CALLER\s+CORRELATION ID\s+ARGUMENTS$/);
    const timeColumn = (lines[0] as string).indexOf('TIME');
    lines.slice(1).forEach((line, i) => {
      const row = all[i] as Row;
      assert.ok(line.startsWith(`#${row.position} `), line);
      assert.equal(line.indexOf(row.occurred_at), timeColumn, 'columns aligned');
      assert.match(line, new RegExp(`${row.provider}@1\\s+${row.tool}\\s+${row.outcome}\\s+[\\d.]+ ms\\s+-\\s+${row.correlation_id}\\s+digest [0-9a-f]{12}$`));
    });
    assert.equal(result.stderr, '');
  });

  it('`mcp-hangar audit --json` is registry_audit’s structuredContent', async () => {
    assert.deepEqual(await auditJson(), { invocations: all, next_before: null });
  });

  it('`mcp-hangar audit` filters by each option', async () => {
    const expect = async (args: string[], rows: readonly Row[]) =>
      assert.deepEqual(positionsOf((await auditJson(...args)).invocations), positionsOf(rows), args.join(' '));
    const crash = all[1] as Row;
    const divide = all[3] as Row;
    await expect(
      ['--provider', 'math'],
      all.filter((r) => r.provider === 'math'),
    );
    await expect(
      ['--provider', 'faulty'],
      all.filter((r) => r.provider === 'faulty'),
    );
    await expect(['--tool', 'divide'], [divide]);
    await expect(
      ['--since', divide.occurred_at],
      all.filter((r) => r.occurred_at >= divide.occurred_at),
    );
    await expect(
      ['--until', divide.occurred_at],
      all.filter((r) => r.occurred_at < divide.occurred_at),
    );
    await expect(['--since', divide.occurred_at.slice(0, 10)], all);
    await expect(['--until', divide.occurred_at.slice(0, 10)], []);
    await expect(
      ['--outcome', 'success'],
      all.filter((r) => r.outcome === 'success'),
    );
    await expect(['--outcome', 'tool_error'], [divide]);
    await expect(['--outcome', 'PROVIDER_CRASHED'], [crash]);
    await expect(['--outcome', 'failed'], [crash, all[2] as Row]);
    await expect(['--correlation-id', crash.correlation_id as string], [crash]);
    await expect(['--caller', 'alice'], []);
    await expect(['--provider', 'math', '--outcome', 'failed'], [all[2] as Row]);

    const page = await audit('--limit', '2');
    assert.equal(page.code, 0, page.stderr);
    assert.equal(page.stdout.trimEnd().split('\n').length, 3);
    assert.match(page.stderr, new RegExp(`more calls match: add --before ${crash.position} for the next page`));
    await expect(['--limit', '2', '--before', String(crash.position)], all.slice(2, 4));
    await expect(['--limit', '2', '--before', String(divide.position)], all.slice(4));
    assert.equal((await auditJson('--limit', '2', '--before', String(divide.position))).next_before, null);
  });

  it('`mcp-hangar audit --csv` writes RFC 4180 CSV with every recorded field', async () => {
    const result = await audit('--csv');
    assert.equal(result.code, 0, result.stderr);
    const records = readCsv(result.stdout);
    assert.deepEqual(records[0], [
      'position',
      'occurred_at',
      'provider',
      'instance',
      'tool',
      'outcome',
      'duration_ms',
      'caller',
      'correlation_id',
      'arguments',
      'arguments_truncated',
      'arguments_bytes',
      'arguments_digest',
    ]);
    assert.deepEqual(
      records.slice(1),
      all.map((r) => [
        String(r.position),
        r.occurred_at,
        r.provider,
        r.instance ?? '',
        r.tool,
        r.outcome,
        String(r.duration_ms),
        r.caller ?? '',
        r.correlation_id ?? '',
        r.arguments?.json ?? '',
        r.arguments === null ? '' : String(r.arguments.truncated),
        r.arguments === null ? '' : String(r.arguments.bytes),
        r.arguments_digest ?? '',
      ]),
    );
    const none = await audit('--csv', '--tool', 'nothing-called-this');
    assert.deepEqual([none.code, readCsv(none.stdout).length], [0, 1], 'no match: the header alone');
  });

  it('`mcp-hangar audit` refuses bad values and unknown providers (exit 2), and says when nothing matches (exit 3)', async () => {
    const refused: readonly [string[], RegExp][] = [
      [['--since', 'yesterday'], /mcp-hangar audit: since 'yesterday' is not an ISO date or time/],
      [['--until', '2026-02-30'], /until '2026-02-30' is not an ISO date or time/],
      [['--since', '2026-03-08', '--until', '2026-03-07'], /must be later than since/],
      [['--outcome', 'exploded'], /unknown outcome 'exploded'; one of: success, tool_error, .*failed/],
      [['--limit', '20000'], /limit must be a whole number from 1 to 10000/],
      [['--limit', '0'], /expected a whole number ≥ 1/],
      [['--json', '--csv'], /give --json or --csv, not both/],
      [['--before', '1'], /no recorded tool call at position 1/],
      [['--provider', 'mth'], /mcp-hangar audit: unknown provider 'mth' — did you mean 'math'\?\nknown providers: faulty, math/],
      [['verfy'], /unknown command 'verfy' — did you mean 'verify'\?/],
    ];
    for (const [args, message] of refused) {
      const result = await audit(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stdout, '');
    }
    const nothing = await audit('--tool', 'nothing-called-this');
    assert.deepEqual([nothing.code, nothing.stderr.trim()], [3, 'no recorded tool calls match']);
    assert.deepEqual(await auditJson('--tool', 'nothing-called-this'), { invocations: [], next_before: null });
    const noStore = await runCli('audit', '--config', writeConfig(dirs.make(), providers));
    assert.equal(noStore.code, 1);
    assert.match(noStore.stderr, /no event store yet/);
    const verify = await audit('verify');
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /hash chain intact/);
  });

  it('records who called over HTTP, and filters by caller (registry_audit and the command line)', async () => {
    const httpConfig = writeConfig(
      dir,
      `${providers}http:\n  auth:\n    tokens: [{ name: alice, value: "\${ALICE_TOKEN}" }, { name: bob, value: "\${BOB_TOKEN}" }]\n`,
      'http.yaml',
    );
    const tokens = { ALICE_TOKEN: 'alice-token-0123456789', BOB_TOKEN: 'bob-token-9876543210ab' };
    const hangar = await startHttp(httpConfig, [], tokens);
    try {
      const as = async (token: string) => connect(hangar, 'streamable', { authorization: `Bearer ${token}` });
      const alice = await as(tokens.ALICE_TOKEN);
      const bob = await as(tokens.BOB_TOKEN);
      try {
        await alice.callTool({ name: 'registry_invoke', arguments: { provider: 'math', tool: 'add', arguments: { a: 2, b: 2 } } });
        await bob.callTool({ name: 'registry_invoke', arguments: { provider: 'math', tool: 'multiply', arguments: { a: 2, b: 3 } } });
        const mine = (await alice.callTool({ name: 'registry_audit', arguments: { caller: 'alice' } })) as CallResult;
        assert.deepEqual(
          (mine.structuredContent as unknown as Page).invocations.map((r) => [r.caller, r.tool]),
          [['alice', 'add']],
        );
      } finally {
        await alice.close();
        await bob.close();
      }
    } finally {
      await hangar.stop();
    }
    const bobs = await auditJson('--caller', 'bob');
    assert.deepEqual(
      bobs.invocations.map((r) => [r.caller, r.provider, r.tool, r.outcome]),
      [['bob', 'math', 'multiply', 'success']],
    );
    const text = await audit('--caller', 'alice');
    assert.match(text.stdout, /math@\d+\s+add\s+success\s+[\d.]+ ms\s+alice\s/);
  });
});
