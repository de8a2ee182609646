import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  FAULTY_SERVER,
  connectHangar,
  errorOf,
  eventually,
  tempDir,
  writeConfig,
  type CallResult,
  type ConnectedHangar,
  UNLIMITED,
} from '../support/hangar-harness.js';

const faulty = (id: string, extra = '', env = '') => `
  ${id}:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    idle_ttl_s: 0
${extra.includes('timeout_s') ? '' : '    timeout_s: 5\n'}${env ? `    env: { ${env} }\n` : ''}${extra}`;

type History = { events: { type: string; data: Record<string, unknown> }[] };
type Details = {
  state: string;
  process: { pid: number; in_flight: number; diagnostics: { stderrTail: string; skippedStdoutLines: number } } | null;
  counters: Record<string, number>;
};

/** A provider that exits with code 1 at start and is degraded after its second failed start. */
const exits1 = (id: string) => faulty(id, '    max_consecutive_failures: 2\n', 'FAULTY_EXIT: "1"');

describe('resilience: faults in providers never take the hangar down', { timeout: 120_000 }, () => {
  const dir = tempDir();
  let hangar: ConnectedHangar;
  // One provider id per test: no test sees the calls, crashes or states of another.
  before(async () => {
    const config = writeConfig(
      dir.path,
      `retry: { max_attempts: 3, initial_delay_ms: 20, max_delay_ms: 100, jitter: 0.1 }
providers:${faulty('crasher')}${faulty('hanger')}${faulty('noisy', '', 'FAULTY_BANNER: "1"')}${faulty('flood', '', 'FAULTY_STDERR_BYTES: "1000000"')}${exits1(
        'exits1',
      )}${faulty('mute', '    timeout_s: 1\n', 'FAULTY_HANG_INIT: "1"')}${faulty('fragile', '    circuit_breaker: { failure_threshold: 2, reset_timeout_s: 0.5 }\n')}${faulty(
        'slowpoke',
      )}${faulty('cancellable')}${faulty('crashy')}
`,
    );
    hangar = await connectHangar(config, UNLIMITED);
  });
  after(async () => {
    await hangar?.close();
    dir.remove();
  });

  const invoke = (provider: string, tool: string, args: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
    hangar.call('registry_invoke', { provider, tool, arguments: args, ...extra });
  const details = async (provider: string) => (await hangar.call('registry_details', { provider })).structuredContent as unknown as Details;
  const history = async (provider: string, types?: string[]) =>
    ((await hangar.call('registry_history', { provider, limit: 1000, ...(types ? { types } : {}) })).structuredContent as unknown as History).events;
  const timed = async <T>(work: Promise<T>): Promise<[T, number]> => {
    const t = Date.now();
    const value = await work;
    return [value, Date.now() - t];
  };

  it('fails every in-flight call at once when the provider crashes, records it, and restarts on the next call', async () => {
    await invoke('crasher', 'echo', { text: 'warm up' });
    const before = await details('crasher');
    const [[hung, crashed], ms] = await timed(Promise.all([invoke('crasher', 'hang'), invoke('crasher', 'crash')]));
    assert.ok(ms < 3000, `crash reported after ${ms} ms, not at the 5 s timeout`);
    for (const result of [hung, crashed]) {
      assert.equal(errorOf(result).code, 'PROVIDER_CRASHED');
      assert.equal(errorOf(result)['exit_code'], 3);
    }
    assert.match(String(errorOf(crashed)['stderr_tail']), /crashing on purpose/);
    await eventually(async () => (await history('crasher', ['ProviderCrashed'])).length === 1);
    const [crash] = await history('crasher', ['ProviderCrashed']);
    assert.equal(crash?.data['exitCode'], 3);
    assert.equal(crash?.data['inFlightCalls'], 2, 'both calls the crash cut off are counted');
    const again = await invoke('crasher', 'echo', { text: 'back' });
    assert.deepEqual(again.structuredContent, { text: 'back' });
    assert.notEqual((await details('crasher')).process?.pid, before.process?.pid);
  });

  it('times out a hanging call near its timeout, cancels it at the provider, and keeps the provider', async () => {
    await invoke('hanger', 'echo', { text: 'x' });
    const pid = (await details('hanger')).process?.pid;
    assert.equal(typeof pid, 'number');
    const [result, ms] = await timed(invoke('hanger', 'hang', {}, { timeout: 0.5 }));
    assert.equal(errorOf(result).code, 'TIMEOUT');
    assert.ok(ms >= 450 && ms < 2000, `timed out after ${ms} ms`);
    await eventually(async () => /hang cancelled/.test((await details('hanger')).process?.diagnostics.stderrTail ?? ''));
    assert.equal((await details('hanger')).process?.pid, pid, 'the provider was not killed');
    assert.deepEqual((await invoke('hanger', 'echo', { text: 'still here' })).structuredContent, { text: 'still here' });
  });

  it('skips and counts lines on stdout that are not protocol messages', async () => {
    for (let i = 0; i < 3; i++) assert.deepEqual((await invoke('noisy', 'echo', { text: `n${i}` })).structuredContent, { text: `n${i}` });
    const d = await details('noisy');
    assert.ok((d.process?.diagnostics.skippedStdoutLines ?? 0) >= 5, `skipped ${d.process?.diagnostics.skippedStdoutLines}`);
  });

  it('keeps serving a provider that floods stderr', async () => {
    assert.deepEqual((await invoke('flood', 'echo', { text: 'ok' })).structuredContent, { text: 'ok' });
    await eventually(async () => /stderr flood done/.test((await details('flood')).process?.diagnostics.stderrTail ?? ''));
  });

  it('reports a start that exits with code 1 with its stderr and a hint, then degrades it with a backoff', async () => {
    const first = await invoke('exits1', 'echo', { text: 'x' });
    assert.equal(errorOf(first).code, 'PROVIDER_START_FAILED');
    assert.equal(errorOf(first)['exit_code'], 1);
    assert.match(String(errorOf(first)['stderr_tail']), /cannot open \.\/missing\.db/);
    assert.ok(errorOf(first).hints.length > 0);
    const second = await invoke('exits1', 'echo', { text: 'x' });
    assert.equal(errorOf(second).code, 'PROVIDER_START_FAILED');
    const [third, ms] = await timed(invoke('exits1', 'echo', { text: 'x' }));
    assert.equal(errorOf(third).code, 'PROVIDER_DEGRADED');
    assert.ok(ms < 200, 'refused at once, without a spawn');
    const wait = Number(errorOf(third)['retry_after_ms']);
    assert.ok(wait > 1000 && wait <= 4800, `retry after ${wait} ms (2^2 s ±20 %)`);
    const types = (await history('exits1')).map((e) => e.type);
    assert.deepEqual(
      types.filter((t) => t.startsWith('Provider')),
      ['ProviderRegistered', 'ProviderStartRequested', 'ProviderStartFailed', 'ProviderStartRequested', 'ProviderStartFailed', 'ProviderDegraded'],
    );
  });

  it('gives up on a provider that never answers initialize within its timeout', async () => {
    const [result, ms] = await timed(invoke('mute', 'echo', { text: 'x' }));
    assert.equal(errorOf(result).code, 'PROVIDER_START_FAILED');
    assert.match(errorOf(result).hints.join(' '), /initialize/);
    assert.ok(ms >= 900 && ms < 4000, `failed after ${ms} ms`);
  });

  it('opens the circuit after consecutive timeouts, refuses at once, and closes after a successful probe', async () => {
    for (let i = 0; i < 2; i++) assert.equal(errorOf(await invoke('fragile', 'hang', {}, { timeout: 0.2 })).code, 'TIMEOUT');
    const [refused, ms] = await timed(invoke('fragile', 'echo', { text: 'x' }));
    assert.equal(errorOf(refused).code, 'CIRCUIT_OPEN');
    assert.ok(ms < 200);
    assert.ok(Number(errorOf(refused)['retry_after_ms']) <= 500);
    await new Promise((r) => setTimeout(r, 550));
    assert.deepEqual((await invoke('fragile', 'echo', { text: 'probe' })).structuredContent, { text: 'probe' });
    const circuit = (await history('fragile')).map((e) => e.type).filter((t) => t.startsWith('Circuit'));
    assert.deepEqual(circuit, ['CircuitOpened', 'CircuitHalfOpened', 'CircuitClosed']);
    const toolError = await invoke('fragile', 'echo', { text: 1 });
    assert.equal(errorOf(toolError).code, 'INVALID_ARGUMENTS', 'refused by the hangar, not counted by the breaker');
  });

  it('retries transient failures with registry_invoke_ex and reports every attempt', async () => {
    const ok = await hangar.call('registry_invoke_ex', { provider: 'crashy', tool: 'echo', arguments: { text: 'fine' }, correlation_id: 'trace-001' });
    assert.deepEqual(ok.structuredContent, { text: 'fine' });
    const meta = ok['_retry_metadata'] as { correlation_id: string; attempts: number; retries: unknown[]; total_time_ms: number };
    assert.equal(meta.correlation_id, 'trace-001');
    assert.equal(meta.attempts, 1);
    assert.deepEqual(meta.retries, []);
    const failed = await hangar.call('registry_invoke_ex', { provider: 'crashy', tool: 'crash', max_retries: 5, correlation_id: 'trace-002' });
    assert.equal(failed.isError, true);
    const sc = failed.structuredContent as {
      error: { code: string };
      final_error_reason: string;
      recovery_hints: string[];
      _retry_metadata: { attempts: number; retries: { error_code: string; delay_ms: number }[] };
    };
    assert.equal(sc.error.code, 'PROVIDER_CRASHED');
    assert.match(sc.final_error_reason, /PROVIDER_CRASHED/);
    assert.ok(sc.recovery_hints.length > 0);
    assert.equal(sc._retry_metadata.attempts, 3, 'retry.max_attempts caps the attempts');
    assert.deepEqual(
      sc._retry_metadata.retries.map((r) => r.error_code),
      ['PROVIDER_CRASHED', 'PROVIDER_CRASHED'],
    );
    const correlated = (await history('crashy', ['ToolInvocationFailed'])).filter((e) => e.data['correlationId'] === 'trace-002');
    assert.equal(correlated.length, 3);
    const notRetried = await hangar.call('registry_invoke_ex', { provider: 'crashy', tool: 'echo', arguments: { wrong: true } });
    assert.equal((notRetried.structuredContent as { _retry_metadata: { attempts: number } })._retry_metadata.attempts, 1);
  });

  it('streams stages and the provider progress with registry_invoke_stream, strictly increasing and never above total', async () => {
    const updates: { progress: number; total?: number | undefined; message?: string | undefined }[] = [];
    const result = (await hangar.client.callTool(
      { name: 'registry_invoke_stream', arguments: { provider: 'slowpoke', tool: 'slow', arguments: { ms: 300, steps: 3 } } },
      undefined,
      { onprogress: (p) => void updates.push(p) },
    )) as CallResult;
    assert.equal(result.isError, undefined);
    const stages = updates.map((u) => /^\[(\w+)\]/.exec(u.message ?? '')?.[1]);
    assert.deepEqual(stages, ['cold_start', 'launching', 'ready', 'executing', 'executing', 'executing', 'executing', 'complete']);
    assert.match(updates[4]?.message ?? '', /step 1/);
    for (let i = 1; i < updates.length; i++) assert.ok((updates[i]?.progress ?? 0) > (updates[i - 1]?.progress ?? 0), 'strictly increasing');
    for (const u of updates) assert.ok(u.total !== undefined && u.progress <= u.total);
    assert.equal(updates.at(-1)?.progress, updates.at(-1)?.total);

    const relayed: { progress: number; total?: number | undefined; message?: string | undefined }[] = [];
    await hangar.client.callTool({ name: 'registry_invoke', arguments: { provider: 'slowpoke', tool: 'slow', arguments: { ms: 150, steps: 3 } } }, undefined, {
      onprogress: (p) => void relayed.push(p),
    });
    assert.deepEqual(relayed, [
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
  });

  it("cancels the provider's call when the client cancels", async () => {
    // Warm first and cancel only once the provider runs the call: a cancel that arrives during the cold
    // start never reaches the provider (the call is dropped before it is sent).
    await hangar.call('registry_warm', { providers: 'cancellable' });
    const controller = new AbortController();
    const call = hangar.client.callTool({ name: 'registry_invoke', arguments: { provider: 'cancellable', tool: 'hang' } }, undefined, {
      signal: controller.signal,
    });
    await eventually(async () => /hang started/.test((await details('cancellable')).process?.diagnostics.stderrTail ?? ''));
    controller.abort('user pressed stop');
    // The SDK client rejects an aborted request at once with an McpError carrying the abort reason.
    await assert.rejects(call, (error: unknown) => {
      assert.ok(error instanceof McpError, `not an McpError: ${String(error)}`);
      assert.equal(error.code, ErrorCode.RequestTimeout);
      assert.equal(error.message, 'MCP error -32001: user pressed stop');
      return true;
    });
    await eventually(async () => /hang cancelled \(user pressed stop\)/.test((await details('cancellable')).process?.diagnostics.stderrTail ?? ''));
    await eventually(async () => (await history('cancellable', ['ToolInvocationFailed'])).some((e) => e.data['errorCode'] === 'CANCELLED'));
    assert.deepEqual(
      (await history('cancellable', ['ToolInvocationFailed', 'ToolInvoked'])).map((e) => [e.type, e.data['tool'], e.data['errorCode']]),
      [['ToolInvocationFailed', 'hang', 'CANCELLED']],
    );
    assert.equal((await details('cancellable')).process?.in_flight, 0);
  });
});

describe('registry-wide warm-up, health and status', { timeout: 60_000 }, () => {
  it('warms providers, and derives health and the status dashboard from their states', async () => {
    // Health and status cover the whole registry, so this test has a hangar of its own, arranged here:
    // `faulty` running, `crashy` cold, `exits1` degraded after two failed starts.
    const dir = tempDir();
    const hangar = await connectHangar(writeConfig(dir.path, `providers:${faulty('faulty')}${faulty('crashy')}${exits1('exits1')}`));
    try {
      const invoke = (provider: string) => hangar.call('registry_invoke', { provider, tool: 'echo', arguments: { text: 'warm' } });
      assert.deepEqual((await invoke('faulty')).structuredContent, { text: 'warm' });
      assert.equal(errorOf(await invoke('exits1')).code, 'PROVIDER_START_FAILED');
      assert.equal(errorOf(await invoke('exits1')).code, 'PROVIDER_START_FAILED');

      const warm = (await hangar.call('registry_warm', { providers: 'faulty, mute2, crashy' })).structuredContent as {
        warmed: string[];
        already_warm: string[];
        failed: { id: string; code: string }[];
      };
      assert.deepEqual(warm.warmed, ['crashy']);
      assert.deepEqual(warm.already_warm, ['faulty']);
      assert.deepEqual(
        warm.failed.map((f) => [f.id, f.code]),
        [['mute2', 'PROVIDER_NOT_FOUND']],
      );
      const health = (await hangar.call('registry_health')).structuredContent as {
        status: string;
        unhealthy_providers: string[];
        by_state: Record<string, number>;
      };
      assert.equal(health.status, 'degraded');
      assert.deepEqual(health.unhealthy_providers, ['exits1']);
      assert.deepEqual(health.by_state, { cold: 0, initializing: 0, ready: 2, degraded: 1, dead: 0 });
      const status = (await hangar.call('registry_status')).content[0]?.text ?? '';
      assert.match(status, /✅ faulty\s+ready\s+last: \d+s ago/);
      assert.match(status, /✅ crashy\s+ready/);
      assert.match(status, /⚠️ exits1\s+degraded/);
    } finally {
      await hangar.close();
      dir.remove();
    }
  });
});

describe('rate limit', () => {
  const dir = tempDir();
  after(() => dir.remove());

  it('with the default settings serves 100 sequential calls to one tool, and holds a runaway burst back', async () => {
    const config = writeConfig(dir.path, `providers:${faulty('defaults')}`, 'defaults.yaml');
    const hangar = await connectHangar(config);
    try {
      const call = () => hangar.call('registry_invoke', { provider: 'defaults', tool: 'echo', arguments: { text: 'x' } });
      const sequential: CallResult[] = [];
      for (let i = 0; i < 100; i++) sequential.push(await call());
      assert.deepEqual(
        sequential.filter((r) => r.isError === true).map((r) => errorOf(r).code),
        [],
        'no call of an ordinary run is refused',
      );
      const runaway = await Promise.all(Array.from({ length: 400 }, call));
      const refused = runaway.filter((r) => r.isError === true).map((r) => errorOf(r).code);
      assert.ok(refused.length > 0 && refused.every((code) => code === 'RATE_LIMITED'), `refused: ${refused.length}`);
    } finally {
      await hangar.close();
    }
  });

  it('refuses calls above the token bucket with RATE_LIMITED and the time to wait', async () => {
    const config = writeConfig(dir.path, `providers:${faulty('faulty')}`);
    const hangar = await connectHangar(config, { MCP_RATE_LIMIT_RPS: '1', MCP_RATE_LIMIT_BURST: '2' });
    try {
      // Warm first (its own bucket), then send the three calls together: a cold start takes long enough
      // for a bucket of 1 call/s to refill, and this test must not depend on the machine's speed.
      await hangar.call('registry_warm', { providers: 'faulty' });
      const results = await Promise.all(
        Array.from({ length: 3 }, () => hangar.call('registry_invoke', { provider: 'faulty', tool: 'echo', arguments: { text: 'x' } })),
      );
      const limited = results.filter((r) => r.isError === true);
      assert.equal(limited.length, 1, 'burst 2: two calls pass, the third is refused');
      assert.equal(errorOf(limited[0] as CallResult).code, 'RATE_LIMITED');
      assert.ok(Number(errorOf(limited[0] as CallResult)['retry_after_ms']) > 0);
      assert.equal(
        (await hangar.call('registry_invoke', { provider: 'faulty', tool: 'hang', arguments: {}, timeout: 0.1 })).isError,
        true,
        'another tool has its own bucket',
      );
      const health = (await hangar.call('registry_health')).structuredContent as { rate_limit: { limited: number } };
      assert.equal(health.rate_limit.limited, 1);
    } finally {
      await hangar.close();
    }
  });
});
