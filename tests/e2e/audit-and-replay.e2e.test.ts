import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FAULTY_SERVER, MATH_SERVER, UNLIMITED, connectHangar, errorOf, tempDir, writeConfig, runCli } from '../support/hangar-harness.js';

const faulty = (id: string, settings: string, env = '') => `
  ${id}:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    idle_ttl_s: 0
${settings}${env ? `    env: { ${env} }\n` : ''}`;

type Event = { type: string; position: number; occurred_at: string; data: Record<string, unknown> };

/**
 * A store produced by real calls through the built hangar: a provider that answers, crashes mid-call and
 * times out until its circuit opens (`story`), one whose starts fail until it is degraded (`broken`), and
 * the math example. Each test reads it with the command line, as an operator would after the fact.
 */
describe('audit and replay of a store recorded by real calls', { timeout: 180_000 }, () => {
  const dir = tempDir('hangar-audit-');
  let config: string;
  let store: string;
  let events: Event[];
  const at = (type: string, nth = 0): Event => {
    const found = events.filter((e) => e.type === type)[nth];
    assert.ok(found, `no ${type} #${nth} in ${events.map((e) => e.type).join(', ')}`);
    return found;
  };

  before(async () => {
    store = join(dir.path, 'data', 'hangar.db');
    config = writeConfig(
      dir.path,
      `event_store: { path: ${JSON.stringify(store)} }
audit: { record_arguments: full }
providers:${faulty('story', '    timeout_s: 5\n    circuit_breaker: { failure_threshold: 2, reset_timeout_s: 60 }\n')}${faulty(
        'broken',
        '    max_consecutive_failures: 2\n',
        'FAULTY_EXIT: "1"',
      )}
  math:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
`,
    );
    const hangar = await connectHangar(config, UNLIMITED);
    try {
      const invoke = (provider: string, tool: string, args: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
        hangar.call('registry_invoke', { provider, tool, arguments: args, ...extra });
      for (let i = 0; i < 5; i++) assert.equal((await invoke('math', 'add', { a: i, b: 1 })).isError, undefined);
      assert.deepEqual((await invoke('story', 'echo', { text: 'hello', api_key: 'sk-should-not-be-recorded' })).structuredContent, { text: 'hello' });
      assert.equal(errorOf(await invoke('story', 'crash')).code, 'PROVIDER_CRASHED');
      // The crash and a timeout are two transport failures in a row: the circuit opens.
      assert.equal(errorOf(await invoke('story', 'hang', {}, { timeout: 0.2 })).code, 'TIMEOUT');
      assert.equal(errorOf(await invoke('story', 'echo', { text: 'refused' })).code, 'CIRCUIT_OPEN');
      for (let i = 0; i < 2; i++) assert.match(errorOf(await invoke('broken', 'echo', { text: 'x' })).code, /PROVIDER_START_FAILED|PROVIDER_DEGRADED/);
      assert.equal(errorOf(await invoke('broken', 'echo', { text: 'x' })).code, 'PROVIDER_DEGRADED');
      events = ((await hangar.call('registry_history', { provider: 'story', limit: 1000 })).structuredContent as { events: Event[] }).events;
    } finally {
      await hangar.close();
    }
  });
  after(() => dir.remove());

  it('leaves a snapshot of each of its streams at shutdown, so the next boot reads only what came after', () => {
    const db = new Database(store, { readonly: true });
    try {
      const rows = db.prepare('SELECT stream_id AS streamId, max(stream_version) AS version FROM snapshots GROUP BY stream_id ORDER BY stream_id').all();
      const versions = db.prepare('SELECT stream_id AS streamId, max(stream_version) AS version FROM events GROUP BY stream_id').all() as {
        streamId: string;
        version: number;
      }[];
      const newest = Object.fromEntries(versions.map((r) => [r.streamId, r.version]));
      assert.deepEqual(
        rows,
        ['provider-broken@1', 'provider-math@1', 'provider-story@1'].map((streamId) => ({ streamId, version: newest[streamId] })),
      );
    } finally {
      db.close();
    }
  });

  it('history prints the newest events, and replay rebuilds the state at the moment the circuit opened', async () => {
    const history = await runCli('history', 'story', '--limit', '3', '--config', config);
    assert.equal(history.code, 0, history.stderr);
    const lines = history.stdout.trim().split('\n').slice(1);
    assert.equal(lines.length, 3);
    assert.match(lines[2] ?? '', /ProviderStopped/, 'the newest last');

    const opened = at('CircuitOpened');
    const replay = await runCli('replay', 'story', '--at', String(opened.position), '--config', config);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /circuit\s+open \(2 failures, probe at /);
    assert.match(replay.stdout, /3 invocations, 0 tool errors, 2 failed; 2 starts, 1 crashes/);
    assert.match(replay.stdout, /last error\s+TIMEOUT/);

    type Replayed = { state: { status: string; counters: { crashes: number }; last_error: { code: string } | null }; pruned: unknown };
    const replayed = async (point: string) => JSON.parse((await runCli('replay', 'story', '--at', point, '--json', '--config', config)).stdout) as Replayed;
    const crashed = at('ProviderCrashed');
    const json = await replayed(String(crashed.position));
    assert.deepEqual([json.state.status, json.state.counters.crashes, json.pruned], ['dead', 1, null]);
    // A time point takes every event that occurred by then: the restart requested in the crash's millisecond too.
    const lastByThen = events.filter((e) => e.occurred_at <= crashed.occurred_at).at(-1) as Event;
    assert.deepEqual(await replayed(crashed.occurred_at), await replayed(String(lastByThen.position)));

    const window = await runCli('replay', 'story', '--from', String(at('ProviderCrashed').position), '--to', String(opened.position), '--config', config);
    assert.equal(window.code, 0, window.stderr);
    assert.match(window.stdout, /ProviderCrashed .*\n\s+status: ready → dead/);
    assert.match(window.stdout, /CircuitOpened .*\n\s+circuit: closed → open/);

    const paged = await runCli('replay', 'story', '--from', '1', '--to', String(opened.position), '--limit', '2', '--config', config);
    assert.equal(paged.code, 0, paged.stderr);
    assert.match(paged.stdout, /— 2 events\n/);
    assert.match(paged.stdout, /go on from position \d+/);
  });

  it('replay shows a degraded provider with its failures and retry time', async () => {
    const replay = JSON.parse((await runCli('replay', 'broken', '--at', new Date().toISOString(), '--json', '--config', config)).stdout) as {
      state: { status: string; consecutive_failures: number; retry_at: string | null; last_error: { code: string } };
    };
    assert.equal(replay.state.status, 'degraded');
    assert.equal(replay.state.consecutive_failures, 2);
    assert.ok(replay.state.retry_at !== null);
    assert.equal(replay.state.last_error.code, 'PROVIDER_START_FAILED');
  });

  it('prunes the calls an export holds: refused without one, then the chain still verifies, replay says what was pruned, and counters stay', async () => {
    const point = String(at('CircuitOpened').position);
    const stateNow = async () =>
      JSON.parse((await runCli('replay', 'story', '--at', String(Number.MAX_SAFE_INTEGER), '--json', '--config', config)).stdout) as {
        state: Record<string, unknown>;
        pruned: unknown;
      };
    const before = await stateNow();

    const refused = await runCli('audit', 'prune', '--before', point, '--config', config);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(refused.stderr, /refused, nothing removed: no export holds every event from position 1 through \d+/);
    assert.match(refused.stderr, /mcp-hangar audit export --before/);

    const file = join(dir.path, 'before-circuit.jsonl');
    const exported = await runCli('audit', 'export', '--before', point, '--out', file, '--config', config);
    assert.equal(exported.code, 0, exported.stderr);
    const pruned = await runCli('audit', 'prune', '--before', point, '--config', config);
    assert.equal(pruned.code, 0, pruned.stderr);
    const count = Number(/pruned (\d+) tool-call events at or before position (\d+)/.exec(pruned.stdout)?.[1]);
    assert.ok(count >= 5, pruned.stdout);

    const verify = await runCli('audit', 'verify', '--config', config);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.equal((await runCli('audit', 'verify', '--file', file)).code, 0);

    const db = new Database(store, { readonly: true });
    try {
      const left = db
        .prepare("SELECT count(*) FROM events WHERE position < ? AND type IN ('ToolInvoked', 'ToolInvocationFailed')")
        .pluck()
        .get(Number(point)) as number;
      const lifecycle = db.prepare("SELECT count(*) FROM events WHERE position < ? AND type = 'ProviderStarted'").pluck().get(Number(point)) as number;
      assert.ok(left <= 3, `${left} calls left before the point: the newest of a stream or an anchored one only`);
      assert.ok(lifecycle >= 2, 'lifecycle events stay');
    } finally {
      db.close();
    }

    assert.deepEqual(await stateNow(), before, 'the state after the pruned range is exact (folded from the snapshot the prune saved)');
    const early = JSON.parse((await runCli('replay', 'story', '--at', String(at('ProviderCrashed').position), '--json', '--config', config)).stdout) as {
      pruned: { through_position: number; export_path: string } | null;
    };
    assert.equal(early.pruned?.export_path, file);
    const history = await runCli('history', 'story', '--config', config);
    assert.match(history.stdout, /\nnote: the tool calls up to #\d+ were pruned from the store \(their export: .*before-circuit\.jsonl\)\n?$/);
    assert.doesNotMatch(history.stdout, /ToolInvoked {2}/, 'the pruned call is gone from the timeline');
    const text = await runCli('replay', 'story', '--at', String(at('ProviderCrashed').position), '--config', config);
    assert.match(text.stdout, /were pruned from the store \(their export: .*before-circuit\.jsonl\)/);

    const hangar = await connectHangar(config, UNLIMITED);
    try {
      const details = (await hangar.call('registry_details', { provider: 'math' })).structuredContent as { counters: Record<string, number> };
      assert.equal(details.counters['invocations'], 5, 'the calls pruned still count: the boot folds from snapshots');
      assert.equal((await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 1, b: 1 } })).isError, undefined);
    } finally {
      await hangar.close();
    }

    const later = join(dir.path, 'after-circuit.jsonl');
    const second = await runCli('audit', 'export', '--before', new Date().toISOString(), '--out', later, '--config', config);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stdout,
      new RegExp(`positions ${Number(/at or before position (\d+)/.exec(pruned.stdout)?.[1]) + 1}\\.\\.`),
      'the next export starts where the prune ended',
    );
    assert.equal((await runCli('audit', 'verify', '--file', later)).code, 0);
    const again = await runCli('audit', 'prune', '--before', new Date().toISOString(), '--config', config);
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await runCli('audit', 'verify', '--config', config)).code, 0);
  });

  it('prunes while a hangar serves from the same store: its calls go on, and the chain verifies after', async () => {
    const live = tempDir('hangar-prune-live-');
    try {
      const liveStore = join(live.path, 'data', 'hangar.db');
      const liveConfig = writeConfig(
        live.path,
        `event_store: { path: ${JSON.stringify(liveStore)} }\nproviders:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n`,
      );
      const hangar = await connectHangar(liveConfig, UNLIMITED);
      try {
        const add = (a: number) => hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a, b: 1 } });
        for (let i = 0; i < 40; i++) assert.equal((await add(i)).isError, undefined);
        const point = new Date().toISOString();
        assert.equal((await add(100)).isError, undefined);
        const file = join(live.path, 'calls.jsonl');
        assert.equal((await runCli('audit', 'export', '--before', point, '--out', file, '--config', liveConfig)).code, 0);
        // Calls keep coming while the prune runs.
        const during = Promise.all(Array.from({ length: 20 }, (_, i) => add(200 + i)));
        const pruned = await runCli('audit', 'prune', '--before', point, '--config', liveConfig);
        assert.equal(pruned.code, 0, pruned.stderr);
        assert.ok((await during).every((r) => r.isError === undefined));
        assert.equal((await add(300)).isError, undefined);
        const details = (await hangar.call('registry_details', { provider: 'math' })).structuredContent as { counters: Record<string, number> };
        assert.equal(details.counters['invocations'], 62, 'the serving hangar still counts every call');
      } finally {
        await hangar.close();
      }
      const verify = await runCli('audit', 'verify', '--config', liveConfig);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /pruned: \d+ tool-call events/);
    } finally {
      live.remove();
    }
  });
});
