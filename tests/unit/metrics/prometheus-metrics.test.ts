import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InvokeTool } from '../../../src/application/commands/invoke-tool.js';
import type { ToolCallResult } from '../../../src/application/ports/provider-runtime.js';
import { RateLimiter } from '../../../src/application/rate-limiter.js';
import { createHangar } from '../../../src/composition-root.js';
import type { HangarEvent } from '../../../src/domain/hangar-event.js';
import { instanceId, providerId } from '../../../src/domain/shared/ids.js';
import { createPrometheusMetrics, type PrometheusMetrics } from '../../../src/infrastructure/metrics/prometheus-metrics.js';
import { hangarEventRegistry } from '../../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemoryEventStore } from '../../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { callFailure, deferred, FakeRuntime, settle, startFailure, textResult } from '../../support/fake-runtime.js';
import { circuitOpened, givenHangar, ranOnce, T0, type Given } from '../../support/given-hangar.js';
import { hangarConfig, subprocess } from '../../support/hangar-config.js';
import { ManualClock, manualScheduler } from '../../support/manual-clock.js';
import { rejection } from '../../support/rejection.js';
import { silentLogger } from '../../support/silent-logger.js';

const numbers = { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] };
const tools = [
  { name: 'add', description: 'Adds', inputSchema: numbers },
  { name: 'divide', description: 'Divides', inputSchema: numbers },
];
const call = (tool = 'add', provider = 'math'): InvokeTool => ({ provider, tool, arguments: { a: 1, b: 2 }, correlationId: 'c' });

/** The samples of a scrape, keyed `name{label="value",...}` with the labels in name order. */
const samples = (text: string): Map<string, number> => {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels = [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort();
    out.set(labels.length > 0 ? `${match[1]}{${labels.join(',')}}` : (match[1] as string), Number(match[3]));
  }
  return out;
};
const key = (name: string, labels: Record<string, string> = {}): string => {
  const parts = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  return parts.length > 0 ? `${name}{${parts.join(',')}}` : name;
};

/** A hangar of handler tests with metrics following its bus (subscribed after its catalog, as the composition root does). */
const givenMetrics = async (given: Given) => {
  const h = await givenHangar(given);
  const rateLimiter = new RateLimiter({ rps: 1, burst: 1 }, h.clock);
  const metrics = createPrometheusMetrics({ instance: instanceId(1), bus: h.bus, catalog: h.catalog, rateLimiter }, { processMetrics: false });
  const scrape = async (m: PrometheusMetrics = metrics) => samples(await m.render());
  const value = async (name: string, labels: Record<string, string> = {}) => (await scrape()).get(key(name, labels));
  return { ...h, metrics, rateLimiter, scrape, value };
};

describe('PrometheusMetrics', () => {
  it('counts tool calls by provider, tool and outcome: success, tool_error, or the lower-case error code', async () => {
    const h = await givenMetrics({ providers: { math: {} } });
    h.runtime.tools = tools;
    h.runtime.onCall(textResult('3'), { content: [], isError: true }, callFailure('TIMEOUT'), textResult('4'));
    await h.invoke(call());
    await h.invoke(call('divide'));
    await rejection(h.invoke(call()));
    await h.invoke(call());
    await rejection(h.invoke(call('nope')));
    const s = await h.scrape();
    const calls = (tool: string, outcome: string) => s.get(key('mcp_hangar_tool_calls_total', { provider: 'math', tool, outcome }));
    assert.equal(calls('add', 'success'), 2);
    assert.equal(calls('divide', 'tool_error'), 1);
    assert.equal(calls('add', 'timeout'), 1);
    assert.equal(calls('_unknown', 'tool_not_found'), 1, 'a tool the provider does not have is not a label value of its own');
    assert.equal(calls('nope', 'tool_not_found'), undefined);
    h.metrics.close();
  });

  it('observes call durations in seconds, from the events durationMs, every outcome included', async () => {
    const h = await givenMetrics({ providers: { math: {} }, history: { math: ranOnce(tools) } });
    h.runtime.tools = tools;
    const slow = (ms: number, reply: ToolCallResult | Error) => () => {
      h.clock.advance(ms);
      if (reply instanceof Error) throw reply;
      return reply;
    };
    h.runtime.onCall(slow(1500, textResult('3')), slow(2, textResult('3')), slow(40_000, callFailure('TIMEOUT')));
    await h.invoke(call());
    await h.invoke(call());
    await rejection(h.invoke(call()));
    const s = await h.scrape();
    const labels = { provider: 'math', tool: 'add' };
    assert.equal(s.get(key('mcp_hangar_tool_call_duration_seconds_count', labels)), 3);
    assert.equal(s.get(key('mcp_hangar_tool_call_duration_seconds_sum', labels)), 41.502);
    const bucket = (le: string) => s.get(key('mcp_hangar_tool_call_duration_seconds_bucket', { ...labels, le }));
    assert.equal(bucket('0.0005'), 0);
    assert.equal(bucket('0.0025'), 1);
    assert.equal(bucket('1'), 1);
    assert.equal(bucket('2.5'), 2);
    assert.equal(bucket('30'), 2);
    assert.equal(bucket('60'), 3);
    assert.equal(bucket('+Inf'), 3);
    h.metrics.close();
  });

  it('reports each provider state (1 for the current one) and counts starts, stops, crashes and failed starts', async () => {
    const h = await givenMetrics({ providers: { math: {}, files: {} } });
    h.runtime.tools = tools;
    const state = async (provider: string) => {
      const s = await h.scrape();
      const current = ['cold', 'initializing', 'ready', 'degraded', 'dead'].filter(
        (st) => s.get(key('mcp_hangar_provider_state', { provider, state: st })) === 1,
      );
      assert.equal(current.length, 1, `exactly one state of ${provider} is 1`);
      return current[0];
    };
    const lifecycle = async (name: string, provider = 'math') => (await h.scrape()).get(key(`mcp_hangar_provider_${name}_total`, { provider }));

    assert.equal(await state('math'), 'cold');
    assert.equal(await lifecycle('starts'), 0, 'a registered provider shows its counters at 0 before they move');
    assert.equal((await h.scrape()).get(key('mcp_hangar_provider_state', { provider: 'math', state: 'ready' })), 0);
    await h.start(providerId('math'), 'user_request');
    assert.equal(await state('math'), 'ready');
    await h.stop(providerId('math'), 'user_request');
    assert.equal(await state('math'), 'cold');
    await h.start(providerId('math'), 'user_request');
    await h.runtime.connection.exit({ exitCode: 9 });
    await settle();
    assert.equal(await state('math'), 'dead');
    h.runtime.onStart(startFailure('spawn ENOENT'));
    await rejection(h.start(providerId('files'), 'user_request'));
    assert.equal(await state('files'), 'cold');

    assert.equal(await lifecycle('starts'), 2);
    assert.equal(await lifecycle('stops'), 1);
    assert.equal(await lifecycle('crashes'), 1);
    assert.equal(await lifecycle('start_failures'), 0);
    assert.equal(await lifecycle('start_failures', 'files'), 1);
    assert.equal(await lifecycle('starts', 'files'), 0);
    h.metrics.close();
  });

  it('reports the circuit: 0 closed, 2 open, 1 half-open while the probe runs, 0 once it closes', async () => {
    const h = await givenMetrics({ providers: { math: { settings: { circuitBreaker: { failureThreshold: 2, resetTimeoutS: 30 } } } } });
    h.runtime.tools = tools;
    const circuit = () => h.value('mcp_hangar_circuit_state', { provider: 'math' });
    assert.equal(await circuit(), 0);
    h.runtime.onCall(callFailure('TIMEOUT'), callFailure('PROVIDER_CRASHED'));
    await rejection(h.invoke(call()));
    assert.equal(await circuit(), 0, 'one failure below the threshold leaves it closed');
    await rejection(h.invoke(call()));
    assert.equal(await circuit(), 2);
    h.clock.advance(30_000);
    const probe = deferred<ToolCallResult>();
    h.runtime.onCall(() => probe.promise);
    const probing = h.invoke(call());
    await h.runtime.whenCalls(3);
    assert.equal(await circuit(), 1);
    probe.resolve(textResult('3'));
    await probing;
    assert.equal(await circuit(), 0);
    assert.equal(await h.value('mcp_hangar_tool_calls_total', { provider: 'math', tool: 'add', outcome: 'provider_crashed' }), 1);
    h.metrics.close();
  });

  it('derives states at boot from the catalog, which was folded from the store before any event was published', async () => {
    const h = await givenMetrics({ providers: { math: {} }, history: { math: [...ranOnce(tools), circuitOpened(T0 + 30_000)] } });
    assert.equal(await h.value('mcp_hangar_circuit_state', { provider: 'math' }), 2);
    assert.equal(await h.value('mcp_hangar_provider_state', { provider: 'math', state: 'cold' }), 1);
    assert.equal(await h.value('mcp_hangar_provider_starts_total', { provider: 'math' }), 0, "counters count this process's events, not history");
    h.metrics.close();
  });

  it('counts the events published on the bus by type, open HTTP sessions, and rate-limited calls from the limiter', async () => {
    const h = await givenMetrics({ providers: { math: {} } });
    h.runtime.tools = tools;
    await h.invoke(call());
    const s = await h.scrape();
    for (const type of ['ProviderStartRequested', 'ProviderStarted', 'ToolsDiscovered', 'ToolInvoked'])
      assert.equal(s.get(key('mcp_hangar_events_appended_total', { type })), 1, type);
    assert.equal(s.get(key('mcp_hangar_events_appended_total', { type: 'ProviderRegistered' })), undefined, 'the history before it subscribed is not counted');

    assert.equal(await h.value('mcp_hangar_http_sessions_open'), 0);
    h.metrics.sessionOpened();
    h.metrics.sessionOpened();
    h.metrics.sessionClosed();
    assert.equal(await h.value('mcp_hangar_http_sessions_open'), 1);

    assert.equal(await h.value('mcp_hangar_rate_limited_total'), 0);
    h.rateLimiter.take('math.add');
    assert.throws(() => h.rateLimiter.take('math.add'));
    assert.throws(() => h.rateLimiter.take('math.add'));
    assert.equal(await h.value('mcp_hangar_rate_limited_total'), 2);
    assert.match(h.metrics.contentType, /^text\/plain; version=0\.0\.4/);
    h.metrics.close();
  });

  it('after N calls, holds exactly what the event store recorded since it subscribed', async () => {
    const h = await givenMetrics({ providers: { math: { settings: { circuitBreaker: { failureThreshold: 100, resetTimeoutS: 30 } } }, files: {} } });
    h.runtime.tools = tools;
    const since = await h.store.lastPosition();
    const replies = [textResult('ok'), { content: [], isError: true }, callFailure('TIMEOUT'), callFailure('CANCELLED')];
    const N = 40;
    for (let i = 0; i < N; i++) {
      h.runtime.onCall(() => {
        h.clock.advance(i * 7);
        const reply = replies[i % replies.length] as ToolCallResult | Error;
        if (reply instanceof Error) throw reply;
        return reply;
      });
      const provider = i % 3 === 0 ? 'files' : 'math';
      await h.invoke(call(i % 2 === 0 ? 'add' : 'divide', provider)).catch(() => undefined);
    }
    const stored = await h.store.readAll({ fromPosition: since + 1 });
    const s = await h.scrape();

    const byType = new Map<string, number>();
    for (const e of stored) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    for (const [type, n] of byType) assert.equal(s.get(key('mcp_hangar_events_appended_total', { type })), n, type);
    assert.equal(
      [...s].filter(([k]) => k.startsWith('mcp_hangar_events_appended_total{')).reduce((sum, [, v]) => sum + v, 0),
      stored.length,
    );

    const calls = new Map<string, number>();
    const durations = new Map<string, { count: number; sumMs: number }>();
    for (const e of stored) {
      if (e.type !== 'ToolInvoked' && e.type !== 'ToolInvocationFailed') continue;
      const provider = e.streamId.replace(/^provider-(.*)@1$/, '$1');
      const outcome = e.type === 'ToolInvoked' ? e.data.outcome : e.data.errorCode.toLowerCase();
      const k = key('mcp_hangar_tool_calls_total', { provider, tool: e.data.tool, outcome });
      calls.set(k, (calls.get(k) ?? 0) + 1);
      const d = key('mcp_hangar_tool_call_duration_seconds', { provider, tool: e.data.tool });
      const was = durations.get(d) ?? { count: 0, sumMs: 0 };
      durations.set(d, { count: was.count + 1, sumMs: was.sumMs + e.data.durationMs });
    }
    assert.equal(
      [...calls.values()].reduce((a, b) => a + b, 0),
      N,
    );
    assert.deepEqual(new Map([...s].filter(([k]) => k.startsWith('mcp_hangar_tool_calls_total{'))), calls);
    for (const [d, { count, sumMs }] of durations) {
      assert.equal(s.get(d.replace('seconds{', 'seconds_count{')), count);
      assert.ok(Math.abs((s.get(d.replace('seconds{', 'seconds_sum{')) ?? NaN) - sumMs / 1000) < 1e-9);
    }
    for (const provider of ['math', 'files']) {
      const started = stored.filter((e) => e.type === 'ProviderStarted' && e.streamId === `provider-${provider}@1`).length;
      assert.equal(s.get(key('mcp_hangar_provider_starts_total', { provider })), started);
    }
    h.metrics.close();
  });

  it('uses a registry of its own, never the global one, so that two hangars in one process do not collide', async () => {
    const a = await givenMetrics({ providers: { math: {} } });
    const b = await givenMetrics({ providers: { math: {} } });
    b.metrics.sessionOpened();
    assert.equal(await a.value('mcp_hangar_http_sessions_open'), 0);
    assert.equal(await b.value('mcp_hangar_http_sessions_open'), 1);
    const { register } = await import('prom-client');
    assert.equal(await register.getSingleMetric('mcp_hangar_http_sessions_open'), undefined);
    a.metrics.close();
    b.metrics.close();
  });
});

describe('Hangar.metrics (composition root)', () => {
  const boot = (metrics: boolean) => {
    const clock = new ManualClock();
    const runtime = new FakeRuntime(clock);
    runtime.tools = tools;
    return createHangar(hangarConfig('/nonexistent/unused.db', { math: subprocess(['fake']) }), {
      clock,
      scheduler: manualScheduler(clock),
      logger: silentLogger,
      runtime,
      store: new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry() }),
      metrics,
    });
  };

  it('is built only when asked for, follows the bus from before the instance opened, and includes the process metrics', async () => {
    const plain = await boot(false);
    assert.equal(plain.metrics, undefined);
    await plain.shutdown();

    const hangar = await boot(true);
    try {
      const metrics = hangar.metrics;
      assert.ok(metrics);
      await hangar.app.invoke(call());
      const s = samples(await metrics.render());
      assert.equal(s.get(key('mcp_hangar_events_appended_total', { type: 'InstanceStarted' })), 1);
      assert.equal(s.get(key('mcp_hangar_events_appended_total', { type: 'ProviderRegistered' })), 1);
      assert.equal(s.get(key('mcp_hangar_tool_calls_total', { provider: 'math', tool: 'add', outcome: 'success' })), 1);
      assert.equal(s.get(key('mcp_hangar_provider_state', { provider: 'math', state: 'ready' })), 1);
      assert.ok(s.has('mcp_hangar_process_resident_memory_bytes') || s.has('mcp_hangar_process_cpu_user_seconds_total'));
      const events = await hangar.store.readAll();
      assert.equal(
        [...s].filter(([k]) => k.startsWith('mcp_hangar_events_appended_total{')).reduce((sum, [, v]) => sum + v, 0),
        events.length,
        'a fresh store: every event in it was committed by this process',
      );
    } finally {
      await hangar.shutdown();
    }
  });
});
