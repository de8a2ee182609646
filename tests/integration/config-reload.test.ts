import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConfigResult, HangarConfig, ProviderConfig } from '../../src/application/config.js';
import { createHangar, type Hangar } from '../../src/composition-root.js';
import type { HangarEvent } from '../../src/domain/hangar-event.js';
import { hangarEventRegistry } from '../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemoryEventStore } from '../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { FakeRuntime, deferred, settle, textResult } from '../support/fake-runtime.js';
import { hangarConfig, subprocess } from '../support/hangar-config.js';
import { ManualClock, manualScheduler } from '../support/manual-clock.js';
import { rejection } from '../support/rejection.js';
import { silentLogger } from '../support/silent-logger.js';

/** A hangar over a fake runtime whose `reload` reads `next.current` (a config, or problems). */
const boot = async (first: HangarConfig, options: { manual?: boolean } = {}) => {
  const runtime = new FakeRuntime();
  runtime.tools = [{ name: 'echo', inputSchema: { type: 'object' } }];
  const store = new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry() });
  const next: { current: ConfigResult } = { current: { ok: true, config: first } };
  const clock = new ManualClock();
  const timing = options.manual === true ? { clock, scheduler: manualScheduler(clock) } : {};
  const hangar = await createHangar(first, { runtime, store, logger: silentLogger, closeStore: false, configSource: () => next.current, ...timing });
  return { runtime, store, next, hangar };
};

const config = (providers: Record<string, ProviderConfig>): HangarConfig => hangarConfig(':memory:', providers);
const call = (hangar: Hangar, provider: string, id: string) => hangar.app.invoke({ provider, tool: 'echo', arguments: {}, correlationId: id });
const types = async (store: InMemoryEventStore<HangarEvent>, stream: string) => (await store.readStream(stream)).map((e) => e.type);

describe('config reload (fake runtime)', () => {
  it('restarts a provider whose launch changed only after its call in flight finished, with the new launch', async () => {
    const { runtime, store, next, hangar } = await boot(config({ a: subprocess(['old']), b: subprocess(['b']) }));
    try {
      const answer = deferred<void>();
      runtime.onCall(async () => {
        await answer.promise;
        return textResult('done');
      });
      const inFlight = call(hangar, 'a', 'c1');
      await call(hangar, 'b', 'c2');
      await runtime.whenCalls(2);
      next.current = { ok: true, config: config({ a: subprocess(['new']), b: subprocess(['b']) }) };
      const reloading = hangar.reload();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(runtime.starts.length, 2, 'nothing restarted while the call runs');
      assert.equal(runtime.connections[0]?.stops, 0);
      answer.resolve();
      assert.deepEqual((await inFlight).content, [{ type: 'text', text: 'done' }]);
      const outcome = await reloading;
      assert.deepEqual(outcome, { status: 'applied', added: [], removed: [], changed: ['a'], restarted: ['a'], notApplied: [] });
      assert.deepEqual(
        runtime.starts.map((s) => [s.provider, s.launch.command]),
        [
          ['a', ['old']],
          ['b', ['b']],
          ['a', ['new']],
        ],
      );
      assert.equal(runtime.connections[1]?.stops, 0, 'b, unchanged, keeps its process');
      assert.deepEqual((await types(store, 'provider-a@1')).slice(-5), [
        'ProviderConfigChanged',
        'ToolInvoked',
        'ProviderStopped',
        'ProviderStartRequested',
        'ProviderStarted',
      ]);
    } finally {
      await hangar.shutdown();
    }
  });

  it('applies a setting change without a restart, and says which sections wait for a restart', async () => {
    const { runtime, next, hangar } = await boot(config({ a: subprocess(['a']) }));
    try {
      await call(hangar, 'a', 'c1');
      const changed = config({ a: subprocess(['a'], { timeoutS: 5 }) });
      next.current = { ok: true, config: { ...changed, limits: { ...changed.limits, maxResultBytes: 1024 } } };
      const outcome = await hangar.reload();
      assert.deepEqual(outcome, { status: 'applied', added: [], removed: [], changed: ['a'], restarted: [], notApplied: ['limits'] });
      assert.equal(runtime.starts.length, 1);
      assert.equal(hangar.app.details('a').settings.timeoutS, 5);
      await call(hangar, 'a', 'c2');
      assert.equal(runtime.calls.at(-1)?.options.timeoutMs, 5000);
    } finally {
      await hangar.shutdown();
    }
  });

  it('applies audit settings to the calls after the reload, without a restart', async () => {
    const { runtime, store, next, hangar } = await boot(config({ a: subprocess(['a']) }));
    const recorded = async () => (await store.readStream('provider-a@1')).flatMap((e) => (e.type === 'ToolInvoked' ? [e.data.arguments] : []));
    try {
      const args = { q: 'x', token: 'tk-secret-value' };
      await hangar.app.invoke({ provider: 'a', tool: 'echo', arguments: args, correlationId: 'c1' });
      const before = config({ a: subprocess(['a']) });
      next.current = { ok: true, config: { ...before, audit: { ...before.audit, recordArguments: 'full', maxArgumentBytes: 64 } } };
      const outcome = await hangar.reload();
      assert.deepEqual(outcome, { status: 'applied', added: [], removed: [], changed: [], restarted: [], notApplied: [] });
      await hangar.app.invoke({ provider: 'a', tool: 'echo', arguments: args, correlationId: 'c2' });
      assert.deepEqual(await recorded(), [undefined, { json: '{"q":"x","token":"[REDACTED]"}', truncated: false, bytes: 30 }]);
      assert.equal(runtime.starts.length, 1);
    } finally {
      await hangar.shutdown();
    }
  });

  it('stops a removed provider at its timeout when a call never ends, then deregisters it', async () => {
    const { runtime, store, next, hangar } = await boot(config({ a: subprocess(['a'], { timeoutS: 2 }), b: subprocess(['b']) }), { manual: true });
    try {
      runtime.onCall(() => new Promise(() => undefined));
      const hanging = call(hangar, 'a', 'c1');
      await runtime.whenCalls(1);
      next.current = { ok: true, config: config({ b: subprocess(['b']) }) };
      const outcome = await hangar.reload();
      assert.deepEqual(outcome, { status: 'applied', added: [], removed: ['a'], changed: [], restarted: [], notApplied: [] });
      assert.equal((await rejection(hanging)).code, 'PROVIDER_UNAVAILABLE');
      // The call cut off at the bound is recorded before the provider is deregistered.
      assert.deepEqual((await types(store, 'provider-a@1')).slice(-3), ['ProviderStopped', 'ToolInvocationFailed', 'ProviderDeregistered']);
      assert.deepEqual(
        hangar.app.list().map((p) => p.id),
        ['b'],
      );
    } finally {
      await hangar.shutdown();
    }
  });

  it('refuses a config with problems: records ConfigReloadRejected and keeps the running configuration', async () => {
    const { store, next, hangar } = await boot(config({ a: subprocess(['a']) }));
    try {
      next.current = {
        ok: false,
        sourcePath: '/x/hangar.yaml',
        problems: [{ path: 'providers.a.timeout_s', line: 4, column: 16, message: 'expected a number' }],
      };
      assert.deepEqual(await hangar.reload(), { status: 'rejected', problems: 1 });
      const rejected = (await store.readStream('instance-1')).find((e) => e.type === 'ConfigReloadRejected');
      assert.deepEqual(rejected?.data, { sourcePath: '/x/hangar.yaml', problems: [{ path: 'providers.a.timeout_s', line: 4, message: 'expected a number' }] });
      await settle();
      assert.deepEqual(
        hangar.app.list().map((p) => p.id),
        ['a'],
      );
      await call(hangar, 'a', 'c1');
    } finally {
      await hangar.shutdown();
    }
  });
});
