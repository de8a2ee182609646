import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { instanceCommands, providerCommands } from '../../../src/application/aggregates.js';
import { ConcurrencyError, type EventStore } from '../../../src/application/ports/event-store.js';
import { ProviderCatalog } from '../../../src/application/projections/provider-catalog.projection.js';
import type { HangarEvent } from '../../../src/domain/hangar-event.js';
import { instanceId, providerId } from '../../../src/domain/shared/ids.js';
import { RxjsEventBus } from '../../../src/infrastructure/messaging/rxjs-event-bus.js';
import { hangarEventRegistry } from '../../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemoryEventLog, InMemoryEventStore } from '../../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { defaultSettings } from '../../support/hangar-config.js';
import { ManualClock } from '../../support/manual-clock.js';

const id = providerId('math');
const one = instanceId(1);
const registration = { mode: 'subprocess' as const, description: '', configDigest: 'd', settings: defaultSettings, predefinedTools: [] };
const register = { type: 'RegisterProvider', providerId: id, registration } as const;
const invocation = (n: number) =>
  ({ type: 'RecordInvocation', tool: 'add', correlationId: `c${n}`, durationMs: 1, outcome: 'success', argumentsDigest: 'a', resultSize: 1 }) as const;
const memoryStore = (log = new InMemoryEventLog()) => new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry(), log });
const deps = (store: EventStore<HangarEvent>) => ({ store, bus: new RxjsEventBus<HangarEvent>(), clock: new ManualClock() });

/** Counts the stream reads, appends and conflicts a store sees. */
const observed = (store: EventStore<HangarEvent>) => {
  const seen = { reads: [] as { streamId: string; fromVersion: number | undefined }[], appends: 0, conflicts: 0 };
  const wrapped: EventStore<HangarEvent> = {
    append: (...args) => {
      seen.appends++;
      return store.append(...args).catch((e: unknown) => {
        if (e instanceof ConcurrencyError) seen.conflicts++;
        throw e;
      });
    },
    readStream: (streamId, options) => {
      seen.reads.push({ streamId, fromVersion: options?.fromVersion });
      return store.readStream(streamId, options);
    },
    readAll: (options) => store.readAll(options),
    lastPosition: () => store.lastPosition(),
    verifyChain: () => store.verifyChain(),
    close: () => store.close(),
  };
  return { store: wrapped, seen };
};

describe('CommandHandler', () => {
  it('serialises concurrent commands on one stream, so that none of them conflicts', async () => {
    const { store, seen } = observed(memoryStore());
    const providers = providerCommands(one, deps(store));
    await providers.execute(id, register);
    await Promise.all(Array.from({ length: 20 }, (_, n) => providers.execute(id, invocation(n))));
    const events = await store.readStream('provider-math@1');
    assert.deepEqual(
      events.map((e) => e.streamVersion),
      Array.from({ length: 21 }, (_, n) => n + 1),
    );
    assert.equal(seen.conflicts, 0);
  });

  it('records nothing and appends nothing when the decider decides nothing', async () => {
    const { store, seen } = observed(memoryStore());
    const providers = providerCommands(one, deps(store));
    await providers.execute(id, register);
    const { events, state } = await providers.execute(id, register);
    assert.deepEqual(events, []);
    assert.equal(state.status, 'cold');
    assert.equal(seen.appends, 1);
  });

  it('takes the state a projection folded at boot instead of reading the stream again', async () => {
    const memory = memoryStore();
    const first = providerCommands(one, deps(memory));
    await first.execute(id, register);
    await first.execute(id, { type: 'RequestStart', reason: 'invoke', nowMs: 0 });

    const { store, seen } = observed(memory);
    const bus = new RxjsEventBus<HangarEvent>();
    const catalog = new ProviderCatalog(one);
    await catalog.start(store, bus);
    const providers = providerCommands(one, { store, bus, clock: new ManualClock() });
    for (const entry of catalog.streams()) providers.seed(entry.streamId, entry.state, entry.streamVersion);
    const { events } = await providers.execute(id, { type: 'StopProvider', reason: 'hangar_restart' });
    assert.deepEqual(
      events.map((e) => [e.type, e.streamVersion]),
      [['ProviderStopped', 3]],
    );
    assert.deepEqual(seen.reads, [], 'no stream was read');
    assert.equal(seen.conflicts, 0, 'the seeded version was right');
  });

  it('after another writer moved the stream on, reads only the events it missed and decides again', async () => {
    const log = new InMemoryEventLog();
    const ours = observed(memoryStore(log));
    const providers = providerCommands(one, deps(ours.store));
    const theirs = providerCommands(one, deps(memoryStore(log)));
    await providers.execute(id, register);
    await theirs.execute(id, { type: 'RequestStart', reason: 'invoke', nowMs: 0 }); // behind our back
    const { events, state } = await providers.execute(id, { type: 'RequestStart', reason: 'invoke', nowMs: 0 });
    assert.deepEqual(events, [], 'decided again against the state the other writer left: a start is under way already');
    assert.equal(state.status, 'initializing');
    assert.equal(ours.seen.conflicts, 1);
    assert.deepEqual(ours.seen.reads.at(-1), { streamId: 'provider-math@1', fromVersion: 2 }, 'caught up from where it was');
    assert.equal(await ours.store.lastPosition(), 2, 'nothing was recorded twice');
  });

  it('reports a conflict that outlives its retries as CONCURRENCY_CONFLICT and records nothing', async () => {
    const memory = memoryStore();
    const contested: EventStore<HangarEvent> = {
      ...memory,
      append: async (streamId, _events, expected) => {
        throw new ConcurrencyError(streamId, typeof expected === 'number' ? expected : 0, 99);
      },
      readStream: (streamId, options) => memory.readStream(streamId, options),
      readAll: (options) => memory.readAll(options),
      lastPosition: () => memory.lastPosition(),
      verifyChain: () => memory.verifyChain(),
      close: () => memory.close(),
    };
    const providers = providerCommands(one, deps(contested));
    await assert.rejects(providers.execute(id, register), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'CONCURRENCY_CONFLICT');
      assert.match(String((e as Error).message), /provider-math@1/);
      return true;
    });
    assert.equal(await memory.lastPosition(), 0);
  });

  it("refuses a stream that holds another aggregate's event, naming its position", async () => {
    const memory = memoryStore();
    await memory.append('provider-math@1', [{ type: 'InstanceStarted', data: { pid: 1, host: 'h', version: '1' } }], 0, {
      occurredAt: new Date(0).toISOString(),
    });
    const providers = providerCommands(one, deps(memory));
    await assert.rejects(providers.execute(id, register), /provider-math@1 holds InstanceStarted at position 1/);
  });

  it('runs a second aggregate, the instance, the same way', async () => {
    const memory = memoryStore();
    const instances = instanceCommands(deps(memory));
    await instances.execute(one, { type: 'StartInstance', pid: 10, host: 'h', version: '1' });
    const { events } = await instances.execute(one, { type: 'StartInstance', pid: 11, host: 'h', version: '1' });
    assert.deepEqual(
      events.map((e) => [e.streamId, e.type, e.streamVersion]),
      [
        ['instance-1', 'InstanceStopped', 2],
        ['instance-1', 'InstanceStarted', 3],
      ],
    );
  });
});
