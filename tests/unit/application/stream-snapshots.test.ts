import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventStore } from '../../../src/application/ports/event-store.js';
import { ENTRY_SNAPSHOT_VERSION, ProviderCatalog, SNAPSHOT_EVERY } from '../../../src/application/projections/provider-catalog.projection.js';
import { replayProvider, type ReplayPoint } from '../../../src/application/queries/provider-replay.js';
import type { HangarEvent } from '../../../src/domain/hangar-event.js';
import type { ProviderEvent } from '../../../src/domain/provider/events.js';
import { instanceId, providerId } from '../../../src/domain/shared/ids.js';
import { RxjsEventBus } from '../../../src/infrastructure/messaging/rxjs-event-bus.js';
import { hangarEventRegistry } from '../../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemoryEventStore } from '../../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { InMemorySnapshotStore } from '../../../src/infrastructure/persistence/memory/in-memory-snapshot-store.js';
import { defaultSettings } from '../../support/hangar-config.js';

const one = instanceId(1);
const math = providerId('math');
const at = (second: number): string => new Date(Date.UTC(2026, 0, 1) + second * 1000).toISOString();
const registered: ProviderEvent = {
  type: 'ProviderRegistered',
  data: { providerId: math, mode: 'subprocess', description: '', configDigest: 'd', settings: defaultSettings, predefinedTools: [] },
};
const started: ProviderEvent = { type: 'ProviderStarted', data: { pid: 7, protocolVersion: null, serverInfo: null, startupMs: 1 } };
const call = (i: number): ProviderEvent =>
  i % 7 === 3
    ? {
        type: 'ToolInvocationFailed',
        data: { tool: 'add', correlationId: `c${i}`, durationMs: 1, errorCode: 'TIMEOUT', message: 'slow', argumentsDigest: 'a' },
      }
    : {
        type: 'ToolInvoked',
        data: { tool: 'add', correlationId: `c${i}`, durationMs: 1, outcome: i % 5 === 0 ? 'tool_error' : 'success', argumentsDigest: 'a', resultSize: 1 },
      };

/** A store whose reads are counted (events returned by readStream), over `events` of provider math in instance 1, one a second. */
const givenHistory = async (count: number) => {
  const memory = new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry() });
  const events: ProviderEvent[] = [registered, started];
  for (let i = 0; events.length < count; i++)
    events.push(i === 1500 ? { type: 'ProviderCrashed', data: { exitCode: 1, signal: null, stderrTail: '', inFlightCalls: 0 } } : call(i));
  await Promise.all(events.map((e, i) => memory.append('provider-math@1', [e], i, { occurredAt: at(i) })));
  await memory.append('provider-web@2', [{ ...registered, data: { ...registered.data, providerId: providerId('web') } }], 0, { occurredAt: at(0) });
  const read = { events: 0 };
  const store: EventStore<HangarEvent> = {
    ...memory,
    append: (...args) => memory.append(...args),
    readStream: async (...args) => {
      const got = await memory.readStream(...args);
      read.events += got.length;
      return got;
    },
    readAll: (options) => memory.readAll(options),
    streamIds: (prefix) => memory.streamIds(prefix),
    prunes: () => memory.prunes(),
    hashAt: (position) => memory.hashAt(position),
    lastPosition: () => memory.lastPosition(),
    verifyChain: () => memory.verifyChain(),
    close: () => memory.close(),
  };
  return { store, memory, read };
};

const boot = async (store: EventStore<HangarEvent>, snapshots?: InMemorySnapshotStore) => {
  const catalog = new ProviderCatalog(one);
  const bus = new RxjsEventBus<HangarEvent>();
  await catalog.start(store, bus, snapshots ? await snapshots.latestOfEach(ENTRY_SNAPSHOT_VERSION) : new Map());
  return { catalog, bus };
};

describe('stream snapshots', () => {
  it('are taken every SNAPSHOT_EVERY events of a stream while the store is folded at boot', async () => {
    const { store } = await givenHistory(2500);
    const { catalog } = await boot(store);
    assert.deepEqual(
      catalog.takeDue().map((s) => [s.streamId, s.streamVersion]),
      [
        ['provider-math@1', SNAPSHOT_EVERY],
        ['provider-math@1', 2 * SNAPSHOT_EVERY],
      ],
    );
    assert.deepEqual(catalog.takeDue(), [], 'handed over once');
    assert.deepEqual(
      catalog.takeDue({ all: true }).map((s) => [s.streamId, s.streamVersion]),
      [['provider-math@1', 2500]],
      'at shutdown: the newest state of its own streams',
    );
  });

  it('make a boot read only the events after them, and fold to exactly the state a full fold gives', async () => {
    const { store, memory, read } = await givenHistory(2500);
    const snapshots = new InMemorySnapshotStore();
    const first = await boot(store);
    await snapshots.save(ENTRY_SNAPSHOT_VERSION, first.catalog.takeDue());
    for (let i = 0; i < 30; i++) await memory.append('provider-math@1', [call(10_000 + i)], 'any', { occurredAt: at(3000 + i) });

    read.events = 0;
    const fromSnapshots = await boot(store, snapshots);
    assert.equal(read.events, 500 + 30 + 1, 'the 530 events after the newest snapshot of math, and the whole (one-event) web stream');
    const full = await boot(memory);
    assert.deepEqual(fromSnapshots.catalog.streams(), full.catalog.streams());
    assert.equal(fromSnapshots.catalog.get('math')?.counters.invocations, full.catalog.get('math')?.counters.invocations);
  });

  it('of another version of the fold are never used', async () => {
    const { store, memory } = await givenHistory(1200);
    const snapshots = new InMemorySnapshotStore();
    await snapshots.save('catalog-0/provider-0', [
      { streamId: 'provider-math@1', streamVersion: 1100, position: 1100, occurredAt: at(1100), data: { bogus: true } },
    ]);
    const { catalog } = await boot(store, snapshots);
    const full = await boot(memory);
    assert.deepEqual(catalog.streams(), full.catalog.streams());
    assert.equal(await snapshots.discardOtherVersions(ENTRY_SNAPSHOT_VERSION), 1);
  });

  it("after boot are taken of this instance's streams only: another live hangar writes its own", async () => {
    const { store } = await givenHistory(10);
    const { catalog, bus } = await boot(store);
    catalog.takeDue();
    const publish = async (streamId: string, from: number) => {
      for (let v = from; v < from + SNAPSHOT_EVERY; v++) {
        bus.publish([
          { ...call(v), position: 100_000 + v, streamId, streamVersion: v + 1, schemaVersion: 1, metadata: { occurredAt: at(v) }, hash: 'h' },
        ] as never);
      }
    };
    await publish('provider-web@2', 1);
    assert.deepEqual(catalog.takeDue(), []);
    await publish('provider-math@1', 10);
    assert.deepEqual(
      catalog.takeDue().map((s) => [s.streamId, s.streamVersion]),
      [['provider-math@1', SNAPSHOT_EVERY]],
    );
  });

  it('give replay the same state as a fold from the first event, reading only the events after the nearest one', async () => {
    const { store, read } = await givenHistory(2500);
    const snapshots = new InMemorySnapshotStore();
    const { catalog } = await boot(store);
    await snapshots.save(ENTRY_SNAPSHOT_VERSION, catalog.takeDue());
    const withSnapshots = replayProvider(store, snapshots);
    const without = replayProvider(store);
    const points: ReplayPoint[] = [
      { position: 5 },
      { position: 999 },
      { position: 1000 },
      { position: 1001 },
      { position: 1502 },
      { position: 2222 },
      { at: at(1700) },
      { at: at(99_999) },
    ];
    for (const point of points) {
      read.events = 0;
      const fast = await withSnapshots.at({ provider: math, point });
      const fastReads = read.events;
      assert.deepEqual(fast, await without.at({ provider: math, point }), JSON.stringify(point));
      assert.ok(fastReads <= SNAPSHOT_EVERY + 2, `${JSON.stringify(point)}: read ${fastReads} events`);
    }
    const window = { provider: math, from: { position: 1495 } as ReplayPoint, to: { position: 1510 } as ReplayPoint };
    assert.deepEqual(await withSnapshots.window(window), await without.window(window));
    assert.equal((await withSnapshots.window(window)).steps.length, 16);
  });

  it('a replayed window is cut at its step limit and says where to go on', async () => {
    const { store } = await givenHistory(50);
    const result = await replayProvider(store).window({ provider: math, from: { position: 1 }, to: { position: 50 }, limit: 20 });
    assert.equal(result.steps.length, 20);
    assert.deepEqual(result.more, { from: 21 });
    const rest = await replayProvider(store).window({ provider: math, from: { position: 21 }, to: { position: 50 }, limit: 100 });
    assert.equal(rest.steps.length, 30);
    assert.equal(rest.more, null);
    assert.deepEqual(rest.before, result.state, 'the next page starts where the last one ended');
  });
});
