import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderCatalog } from '../../../src/application/projections/provider-catalog.projection.js';
import { ProviderRepository } from '../../../src/application/provider-repository.js';
import type { EventStore } from '../../../src/application/ports/event-store.js';
import { providerId } from '../../../src/domain/shared/ids.js';
import { RxjsEventBus } from '../../../src/infrastructure/messaging/rxjs-event-bus.js';
import { InMemoryEventStore } from '../../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { defaultSettings } from '../../support/hangar-config.js';
import { ManualClock } from '../../support/manual-clock.js';

const id = providerId('math');
const registration = { mode: 'subprocess' as const, description: '', configDigest: 'd', settings: defaultSettings, predefinedTools: [] };

/** Counts the stream reads and conflicts a store sees. */
const observed = (store: EventStore) => {
  const seen = { reads: 0, conflicts: 0 };
  const wrapped: EventStore = {
    append: (...args) =>
      store.append(...args).catch((e: unknown) => {
        seen.conflicts++;
        throw e;
      }),
    readStream: (...args) => {
      seen.reads++;
      return store.readStream(...args);
    },
    readAll: (...args) => store.readAll(...args),
    lastPosition: () => store.lastPosition(),
    verifyChain: () => store.verifyChain(),
    close: () => store.close(),
  };
  return { store: wrapped, seen };
};

describe('ProviderRepository', () => {
  it('serialises concurrent commands on one provider without conflicts', async () => {
    const { store, seen } = observed(new InMemoryEventStore());
    const repository = new ProviderRepository(store, new RxjsEventBus(), new ManualClock());
    await repository.execute(id, { type: 'RegisterProvider', providerId: id, registration });
    const invocation = (n: number) =>
      ({ type: 'RecordInvocation', tool: 'add', correlationId: `c${n}`, durationMs: 1, outcome: 'success', argumentsDigest: 'a', resultSize: 1 }) as const;
    await Promise.all(Array.from({ length: 20 }, (_, n) => repository.execute(id, invocation(n))));
    const events = await store.readStream('provider-math');
    assert.deepEqual(
      events.map((e) => e.streamVersion),
      Array.from({ length: 21 }, (_, n) => n + 1),
    );
    assert.equal(seen.conflicts, 0);
  });

  it('takes the state the catalog folded at boot instead of reading the stream again', async () => {
    const memory = new InMemoryEventStore();
    const first = new ProviderRepository(memory, new RxjsEventBus(), new ManualClock());
    await first.execute(id, { type: 'RegisterProvider', providerId: id, registration });
    await first.execute(id, { type: 'RequestStart', reason: 'invoke', nowMs: 0 });

    const { store, seen } = observed(memory);
    const bus = new RxjsEventBus();
    const catalog = new ProviderCatalog();
    await catalog.start(store, bus);
    const repository = new ProviderRepository(store, bus, new ManualClock());
    for (const stream of catalog.streams()) repository.seed(stream.id, stream.state, stream.version);
    const { events } = await repository.execute(id, { type: 'StopProvider', reason: 'hangar_restart' });
    assert.deepEqual(
      events.map((e) => [e.type, e.streamVersion]),
      [['ProviderStopped', 3]],
    );
    assert.equal(seen.reads, 0, 'no stream was read');
    assert.equal(seen.conflicts, 0, 'the seeded version was right');
  });
});
