import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { providerCommands } from '../../../src/application/aggregates.js';
import type { EventStore } from '../../../src/application/ports/event-store.js';
import { ProviderCatalog } from '../../../src/application/projections/provider-catalog.projection.js';
import type { HangarEvent } from '../../../src/domain/hangar-event.js';
import type { ProviderEvent } from '../../../src/domain/provider/events.js';
import { instanceId, providerId } from '../../../src/domain/shared/ids.js';
import { RxjsEventBus } from '../../../src/infrastructure/messaging/rxjs-event-bus.js';
import { hangarEventRegistry } from '../../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemoryEventStore } from '../../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { deferred } from '../../support/fake-runtime.js';
import { iso, startEvents, T0 } from '../../support/given-hangar.js';
import { defaultSettings } from '../../support/hangar-config.js';
import { ManualClock } from '../../support/manual-clock.js';
import { thrown } from '../../support/rejection.js';

const one = instanceId(1);
const registration = { mode: 'subprocess' as const, description: '', configDigest: 'd', settings: defaultSettings, predefinedTools: [] };
const registered = (id: string): ProviderEvent => ({ type: 'ProviderRegistered', data: { providerId: providerId(id), ...registration } });
const stopped: ProviderEvent = { type: 'ProviderStopped', data: { reason: 'idle' } };
const crashed: ProviderEvent = { type: 'ProviderCrashed', data: { exitCode: 1, signal: null, stderrTail: '', inFlightCalls: 0 } };
const invoked = (outcome: 'success' | 'tool_error'): ProviderEvent => ({
  type: 'ToolInvoked',
  data: { tool: 'add', correlationId: 'c', durationMs: 1, outcome, argumentsDigest: 'a', resultSize: 1 },
});
const failedCall: ProviderEvent = {
  type: 'ToolInvocationFailed',
  data: { tool: 'add', correlationId: 'c', durationMs: 1, errorCode: 'TIMEOUT', message: 'timed out', argumentsDigest: 'a' },
};
const failedStart: ProviderEvent = {
  type: 'ProviderStartFailed',
  data: { message: 'x', exitCode: 1, signal: null, stderrTail: '', hint: '', consecutiveFailures: 1 },
};

/** An in-memory store and a bus, and a way to record events at a given time (ms after T0). */
const givenStore = () => {
  const store = new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry() });
  const bus = new RxjsEventBus<HangarEvent>();
  const record = (streamId: string, events: readonly HangarEvent[], atMs = 0) => store.append(streamId, events, 'any', { occurredAt: iso(T0 + atMs) });
  const boot = async (instance = one) => {
    const catalog = new ProviderCatalog(instance);
    await catalog.start(store, bus);
    return catalog;
  };
  return { store, bus, record, boot };
};

/** Four providers over two instances and a stream from before instances existed. */
const givenTwoInstances = async () => {
  const given = givenStore();
  await given.record('instance-1', [{ type: 'InstanceStarted', data: { pid: 10, host: 'h', version: '1' } }]);
  await given.record('provider-math@1', [registered('math'), ...startEvents([])]);
  await given.record('provider-files@1', [registered('files')]);
  await given.record('provider-math@2', [registered('math')]);
  await given.record('provider-web@2', [registered('web')]);
  await given.record('provider-legacy', [registered('legacy')]);
  return given;
};

describe('ProviderCatalog', () => {
  describe('whose providers it answers for', () => {
    it("lists and gets its own instance's registered providers only, in id order", async () => {
      const catalog = await (await givenTwoInstances()).boot();
      assert.deepEqual(
        catalog.list().map((e) => e.streamId),
        ['provider-files@1', 'provider-math@1'],
      );
      assert.equal(catalog.get('math')?.streamId, 'provider-math@1');
      assert.equal(catalog.get('web'), undefined);
      assert.equal(catalog.get('legacy'), undefined);
    });

    it("shows every provider stream in streams(): other instances' and legacy ones too", async () => {
      const catalog = await (await givenTwoInstances()).boot();
      assert.deepEqual(
        catalog.streams().map((e) => [e.streamId, e.id, e.instance]),
        [
          ['provider-files@1', 'files', '1'],
          ['provider-legacy', 'legacy', null],
          ['provider-math@1', 'math', '1'],
          ['provider-math@2', 'math', '2'],
          ['provider-web@2', 'web', '2'],
        ],
      );
    });

    it('folds each stream on its own: one provider in two instances has two states', async () => {
      const catalog = await (await givenTwoInstances()).boot();
      const statuses = new Map(catalog.streams().map((e) => [e.streamId, e.state.status]));
      assert.equal(statuses.get('provider-math@1'), 'ready');
      assert.equal(statuses.get('provider-math@2'), 'cold');
    });

    it('folds the instance streams', async () => {
      const catalog = await (await givenTwoInstances()).boot();
      assert.deepEqual(catalog.instances(), [{ instance: '1', state: { status: 'running', pid: 10, host: 'h', version: '1' }, streamVersion: 1 }]);
    });

    it("refuses another instance's provider with PROVIDER_NOT_FOUND, suggesting only its own", async () => {
      const catalog = await (await givenTwoInstances()).boot();
      const typo = thrown(() => catalog.require('mth'));
      assert.equal(typo.code, 'PROVIDER_NOT_FOUND');
      assert.equal(typo.details.suggestion, 'math');
      const elsewhere = thrown(() => catalog.require('web'));
      assert.equal(elsewhere.code, 'PROVIDER_NOT_FOUND');
      assert.equal(elsewhere.message, "unknown provider 'web'");
      assert.equal(elsewhere.details.suggestion, undefined);
    });

    it('forgets a deregistered provider in get and list, and keeps its stream', async () => {
      const given = await givenTwoInstances();
      await given.record('provider-files@1', [{ type: 'ProviderDeregistered', data: { reason: 'removed_from_config' } }]);
      const catalog = await given.boot();
      assert.equal(catalog.get('files'), undefined);
      assert.deepEqual(
        catalog.list().map((e) => e.id),
        ['math'],
      );
      assert.equal(catalog.streams().find((e) => e.streamId === 'provider-files@1')?.state.status, 'unregistered');
    });

    it('lists what is registered and deregistered after it last answered, and every state as it is now', async () => {
      const given = await givenTwoInstances();
      const catalog = await given.boot();
      assert.deepEqual(
        catalog.list().map((e) => e.id),
        ['files', 'math'],
      );
      const providers = providerCommands(one, { store: given.store, bus: given.bus, clock: new ManualClock() });
      await providers.execute(providerId('alpha'), { type: 'RegisterProvider', providerId: providerId('alpha'), registration });
      await providers.execute(providerId('files'), { type: 'DeregisterProvider' });
      await providers.execute(providerId('alpha'), { type: 'RequestStart', reason: 'invoke', nowMs: T0 });
      assert.deepEqual(
        catalog.list().map((e) => [e.id, e.state.status]),
        [
          ['alpha', 'initializing'],
          ['math', 'ready'],
        ],
      );
      await providers.execute(providerId('files'), { type: 'RegisterProvider', providerId: providerId('files'), registration });
      assert.deepEqual(
        catalog.list().map((e) => e.id),
        ['alpha', 'files', 'math'],
      );
    });
  });

  describe('what it adds from the envelopes', () => {
    it('counts starts, start failures, crashes, stops, invocations, tool errors and failed invocations', async () => {
      const given = givenStore();
      const started = startEvents([]).slice(0, 2);
      await given.record('provider-math@1', [registered('math'), ...started, invoked('success'), invoked('tool_error'), failedCall, crashed]);
      await given.record('provider-math@1', [startEvents([])[0] as ProviderEvent, failedStart, ...started, stopped]);
      const catalog = await given.boot();
      assert.deepEqual(catalog.get('math')?.counters, {
        starts: 2,
        startFailures: 1,
        crashes: 1,
        stops: 1,
        invocations: 2,
        toolErrors: 1,
        invocationFailures: 1,
      });
    });

    it('takes startedAt, lastUsedAt and lastEventAt from the times the events occurred', async () => {
      const given = givenStore();
      await given.record('provider-math@1', [registered('math')], 0);
      await given.record('provider-math@1', startEvents([]).slice(0, 2), 1000);
      await given.record('provider-math@1', [invoked('success')], 2000);
      await given.record('provider-math@1', [failedCall], 3000);
      const catalog = await given.boot();
      assert.deepEqual(pick(catalog.get('math')), { startedAt: iso(T0 + 1000), lastUsedAt: iso(T0 + 3000), lastEventAt: iso(T0 + 3000) });
      await given.record('provider-math@1', [stopped], 4000);
      const later = await given.boot();
      assert.deepEqual(pick(later.get('math')), { startedAt: null, lastUsedAt: iso(T0 + 3000), lastEventAt: iso(T0 + 4000) });
    });

    it('clears startedAt when the provider crashes', async () => {
      const given = givenStore();
      await given.record('provider-math@1', [registered('math'), ...startEvents([]).slice(0, 2), crashed]);
      assert.equal((await given.boot()).get('math')?.startedAt, null);
    });

    it('keeps the stream version and position of the last event folded', async () => {
      const given = await givenTwoInstances();
      const catalog = await given.boot();
      assert.deepEqual([catalog.get('math')?.streamVersion, catalog.get('math')?.lastPosition], [4, 5]);
    });
  });

  describe('boot and bus', () => {
    it('follows the bus after its boot read', async () => {
      const given = givenStore();
      await given.record('provider-math@1', [registered('math')]);
      const catalog = await given.boot();
      const providers = providerCommands(one, { store: given.store, bus: given.bus, clock: new ManualClock() });
      await providers.execute(providerId('math'), { type: 'RequestStart', reason: 'invoke', nowMs: T0 });
      assert.equal(catalog.get('math')?.state.status, 'initializing');
      assert.equal(catalog.get('math')?.lastPosition, 2);
    });

    it('ignores an event it has folded already, so that the boot read and the bus may overlap', async () => {
      const given = givenStore();
      const stored = await given.record('provider-math@1', [registered('math'), ...startEvents([]).slice(0, 2), invoked('success')]);
      const catalog = await given.boot();
      given.bus.publish(stored);
      catalog.apply(stored[3] as (typeof stored)[number]);
      assert.equal(catalog.get('math')?.counters.starts, 1);
      assert.equal(catalog.get('math')?.counters.invocations, 1);
    });

    it('folds the events its boot read returns even when the bus delivered a newer one while it read', async () => {
      const given = givenStore();
      await given.record('provider-math@1', [registered('math')]);
      const gate = deferred();
      const slowReads: EventStore<HangarEvent> = {
        append: (...args) => given.store.append(...args),
        readStream: async (...args) => {
          const events = await given.store.readStream(...args);
          await gate.promise;
          return events;
        },
        readAll: (options) => given.store.readAll(options),
        streamIds: (prefix) => given.store.streamIds(prefix),
        prunes: () => given.store.prunes(),
        lastPosition: () => given.store.lastPosition(),
        verifyChain: (from) => given.store.verifyChain(from),
        hashAt: (position) => given.store.hashAt(position),
        close: () => given.store.close(),
      };
      const catalog = new ProviderCatalog(one);
      const booting = catalog.start(slowReads, given.bus);
      const providers = providerCommands(one, { store: given.store, bus: given.bus, clock: new ManualClock() });
      await providers.execute(providerId('files'), { type: 'RegisterProvider', providerId: providerId('files'), registration });
      gate.resolve();
      await booting;
      assert.deepEqual(
        catalog.list().map((e) => e.id),
        ['files', 'math'],
      );
    });
  });
});

const pick = (entry: { startedAt: string | null; lastUsedAt: string | null; lastEventAt: string } | undefined) =>
  entry && { startedAt: entry.startedAt, lastUsedAt: entry.lastUsedAt, lastEventAt: entry.lastEventAt };
