import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instanceCommands, providerCommands, type ProviderCommands } from '../../../src/application/aggregates.js';
import { openInstance, registrationOf } from '../../../src/application/commands/open-instance.js';
import type { ProviderConfig } from '../../../src/application/config.js';
import type { ChainBreak } from '../../../src/application/ports/chain-anchors.js';
import { ProviderCatalog } from '../../../src/application/projections/provider-catalog.projection.js';
import type { HangarEvent } from '../../../src/domain/hangar-event.js';
import { instanceId, providerId, type ProviderId } from '../../../src/domain/shared/ids.js';
import { MemoryInstanceLeases } from '../../../src/infrastructure/instances/memory-instance-leases.js';
import { RxjsEventBus } from '../../../src/infrastructure/messaging/rxjs-event-bus.js';
import { hangarEventRegistry } from '../../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemoryEventStore } from '../../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { jsonHasher } from '../../support/fixed-ports.js';
import { iso, providerConfig, T0, type ProviderSpec } from '../../support/given-hangar.js';
import { ManualClock } from '../../support/manual-clock.js';
import { silentLogger } from '../../support/silent-logger.js';

/** One event store and its seats, shared by the hangars a test boots one after another. */
const givenStore = () => ({
  store: new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry() }),
  leases: new MemoryInstanceLeases(),
  clock: new ManualClock(),
});
type World = ReturnType<typeof givenStore>;

const configsOf = (providers: Record<string, ProviderSpec | ProviderConfig>): ReadonlyMap<ProviderId, ProviderConfig> =>
  new Map(Object.entries(providers).map(([id, spec]) => [providerId(id), 'launch' in spec ? spec : providerConfig(spec)]));

/**
 * Boots a hangar as the composition root does: claims the lowest free seat, folds the store into a new
 * catalog, and opens the instance. Returns the seat, its provider commands and what the boot recorded
 * (stream, type, data). Releasing the lease without anything else is a hangar that died.
 */
const boot = async (world: World, providers: Record<string, ProviderSpec | ProviderConfig>, pid = 100, acceptedBreaks: readonly ChainBreak[] = []) => {
  const { store, leases, clock } = world;
  const lease = await leases.claim();
  const bus = new RxjsEventBus<HangarEvent>();
  const catalog = new ProviderCatalog(lease.instance);
  await catalog.start(store, bus);
  const deps = { store, bus, clock };
  const own = providerCommands(lease.instance, deps);
  const open = openInstance({
    catalog,
    handlers: { instances: instanceCommands(deps), providersOf: (instance) => (instance === lease.instance ? own : providerCommands(instance, deps)) },
    leases,
    support: { hasher: jsonHasher, logger: silentLogger },
  });
  const before = await store.lastPosition();
  await open(lease, { pid, host: 'box', version: '0.1.0' }, configsOf(providers), acceptedBreaks);
  const recorded = (await store.readAll({ fromPosition: before + 1 })).map((e) => [e.streamId, e.type, e.data]);
  return { lease, catalog, providers: own, recorded };
};

/** Puts a provider in a state through its commands, as the handlers would have. */
const bring = async (providers: ProviderCommands, id: string, to: 'ready' | 'initializing' | 'degraded' | 'dead') => {
  const pid = providerId(id);
  await providers.execute(pid, { type: 'RequestStart', reason: 'invoke', nowMs: T0 });
  if (to === 'initializing') return;
  if (to === 'degraded') {
    const failed = { message: 'spawn ENOENT', exitCode: null, signal: null, stderrTail: '', hint: '', nowMs: T0, jitter: 0.5 };
    await providers.execute(pid, { type: 'RecordStartFailed', ...failed });
    return;
  }
  await providers.execute(pid, {
    type: 'RecordStarted',
    pid: 7,
    protocolVersion: null,
    serverInfo: null,
    startupMs: 1,
    tools: [],
    toolsDigest: 'none',
    toolsCount: 0,
  });
  if (to === 'dead') await providers.execute(pid, { type: 'RecordCrash', exitCode: 1, signal: null, stderrTail: '', inFlightCalls: 0 });
};

const died = { reason: 'died' };
const restarted = { reason: 'hangar_restart' };
const started = (pid: number) => ({ pid, host: 'box', version: '0.1.0' });

describe('openInstance', () => {
  it('records the first run of a seat and registers every configured provider', async () => {
    const world = givenStore();
    const math = providerConfig({ tools: [{ name: 'add' }] });
    const { lease, recorded } = await boot(world, { math, files: {} });
    assert.equal(lease.instance, '1');
    assert.deepEqual(recorded, [
      ['instance-1', 'InstanceStarted', started(100)],
      ['provider-math@1', 'ProviderRegistered', { providerId: 'math', ...registrationOf(math, jsonHasher) }],
      ['provider-files@1', 'ProviderRegistered', { providerId: 'files', ...registrationOf(providerConfig(), jsonHasher) }],
    ]);
  });

  it('records nothing for providers whose config did not change since the last run', async () => {
    const world = givenStore();
    const first = await boot(world, { math: {} });
    await first.lease.release();
    const { recorded } = await boot(world, { math: {} }, 101);
    assert.deepEqual(
      recorded.map(([stream, type]) => [stream, type]),
      [
        ['instance-1', 'InstanceStopped'],
        ['instance-1', 'InstanceStarted'],
      ],
    );
  });

  it('records each break of the hash chain it was told to serve on, right after InstanceStarted', async () => {
    const world = givenStore();
    const breaks = [
      { position: 4, reason: 'row 4 is missing (deleted)' },
      { position: 9, reason: 'hash does not match the row content and the previous hash (row or hash altered)' },
    ];
    const { recorded } = await boot(world, { math: {} }, 100, breaks);
    assert.deepEqual(
      recorded.slice(0, 4).map(([stream, type, data]) => [stream, type, data]),
      [
        ['instance-1', 'InstanceStarted', started(100)],
        ['instance-1', 'ChainBreakAccepted', breaks[0]],
        ['instance-1', 'ChainBreakAccepted', breaks[1]],
        ['provider-math@1', 'ProviderRegistered', { providerId: 'math', ...registrationOf(providerConfig(), jsonHasher) }],
      ],
    );
  });

  describe('a seat whose hangar died', () => {
    const fiveProviders = { ready: {}, starting: {}, degraded: { settings: { maxConsecutiveFailures: 1 } }, cold: {}, dead: {} };
    const givenDeadSeat = async () => {
      const world = givenStore();
      const first = await boot(world, fiveProviders);
      await bring(first.providers, 'ready', 'ready');
      await bring(first.providers, 'starting', 'initializing');
      await bring(first.providers, 'degraded', 'degraded');
      await bring(first.providers, 'dead', 'dead');
      await first.lease.release(); // no shutdown: the hangar died
      return world;
    };

    it('records that the earlier run died, then this run, and closes only what was ready or starting', async () => {
      const world = await givenDeadSeat();
      const { lease, recorded } = await boot(world, fiveProviders, 101);
      assert.equal(lease.instance, '1');
      assert.deepEqual(recorded, [
        ['instance-1', 'InstanceStopped', died],
        ['instance-1', 'InstanceStarted', started(101)],
        ['provider-ready@1', 'ProviderStopped', restarted],
        ['provider-starting@1', 'ProviderStopped', restarted],
      ]);
    });

    it('leaves a degraded provider its failure count and retry time, and a dead one dead', async () => {
      const world = await givenDeadSeat();
      const { catalog } = await boot(world, fiveProviders, 101);
      const degraded = catalog.get('degraded')?.state;
      assert.equal(degraded?.status, 'degraded');
      assert.equal(degraded?.consecutiveFailures, 1);
      assert.equal(degraded?.status === 'degraded' && degraded.retryAt, iso(T0 + 2000));
      assert.equal(catalog.get('dead')?.state.status, 'dead');
    });

    it('deregisters providers removed from the config and records config changes', async () => {
      const world = await givenDeadSeat();
      const changed = providerConfig({ settings: { timeoutS: 5 } });
      const { recorded } = await boot(world, { ready: changed, degraded: fiveProviders.degraded, added: {} }, 101);
      assert.deepEqual(recorded.slice(4), [
        ['provider-ready@1', 'ProviderConfigChanged', { providerId: 'ready', ...registrationOf(changed, jsonHasher) }],
        ['provider-added@1', 'ProviderRegistered', { providerId: 'added', ...registrationOf(providerConfig(), jsonHasher) }],
        ['provider-cold@1', 'ProviderDeregistered', { reason: 'removed_from_config' }],
        ['provider-dead@1', 'ProviderDeregistered', { reason: 'removed_from_config' }],
        ['provider-starting@1', 'ProviderDeregistered', { reason: 'removed_from_config' }],
      ]);
    });
  });

  describe('the seats of other hangars', () => {
    it('closes a dead seat it does not take, when no live hangar holds it, and gives the seat back', async () => {
      const world = givenStore();
      const first = await boot(world, { math: {} }, 100);
      const second = await boot(world, { math: {} }, 200);
      await bring(second.providers, 'math', 'ready');
      await first.lease.release();
      await second.lease.release();
      const third = await boot(world, { math: {} }, 300);
      assert.equal(third.lease.instance, '1');
      assert.deepEqual(third.recorded, [
        ['instance-1', 'InstanceStopped', died],
        ['instance-1', 'InstanceStarted', started(300)],
        ['instance-2', 'InstanceStopped', died],
        ['provider-math@2', 'ProviderStopped', restarted],
      ]);
      assert.notEqual(await world.leases.tryClaim(instanceId(2)), null, 'seat 2 is free again');
    });

    it('never touches the providers of a seat a live hangar holds', async () => {
      const world = givenStore();
      const first = await boot(world, { math: {} }, 100);
      const second = await boot(world, { math: {} }, 200);
      await bring(second.providers, 'math', 'ready');
      await first.lease.release();
      const third = await boot(world, { math: {} }, 300);
      assert.equal(third.lease.instance, '1');
      assert.deepEqual(
        third.recorded.filter(([stream]) => stream === 'instance-2' || stream === 'provider-math@2'),
        [],
      );
      assert.equal(await world.leases.tryClaim(instanceId(2)), null, 'seat 2 is still held by its hangar');
    });
  });
});
