import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { instanceCommands, providerCommands } from '../../../src/application/aggregates.js';
import { ConcurrencyError, type EventStore } from '../../../src/application/ports/event-store.js';
import { ProviderCatalog } from '../../../src/application/projections/provider-catalog.projection.js';
import type { HangarEvent } from '../../../src/domain/hangar-event.js';
import { instanceId, providerId } from '../../../src/domain/shared/ids.js';
import { RxjsEventBus } from '../../../src/infrastructure/messaging/rxjs-event-bus.js';
import { hangarEventRegistry } from '../../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemoryEventLog, InMemoryEventStore } from '../../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { openSqliteEventStore } from '../../../src/infrastructure/persistence/sqlite/sqlite-event-store.js';
import { defaultSettings } from '../../support/hangar-config.js';
import { ManualClock } from '../../support/manual-clock.js';
import { commitsInWal } from '../../support/wal-commits.js';

const id = providerId('math');
const one = instanceId(1);
const registration = { mode: 'subprocess' as const, description: '', configDigest: 'd', settings: defaultSettings, predefinedTools: [] };
const register = { type: 'RegisterProvider', providerId: id, registration } as const;
const invocation = (n: number) =>
  ({ type: 'RecordInvocation', tool: 'add', correlationId: `c${n}`, durationMs: 1, outcome: 'success', argumentsDigest: 'a', resultSize: 1 }) as const;
const memoryStore = (log = new InMemoryEventLog()) => new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry(), log });
const deps = (store: EventStore<HangarEvent>) => ({ store, bus: new RxjsEventBus<HangarEvent>(), clock: new ManualClock() });

/**
 * Counts the stream reads, appends and conflicts a store sees, and the batches its appends arrive in: a
 * batch, as the stores draw it, starts at an append and ends at the next tick; each holds the
 * `stream@expectedVersion` of its appends.
 */
const observed = (store: EventStore<HangarEvent>) => {
  const seen = { reads: [] as { streamId: string; fromVersion: number | undefined }[], appends: 0, conflicts: 0, batches: [] as string[][] };
  let batch: string[] | undefined;
  const wrapped: EventStore<HangarEvent> = {
    append: (...args) => {
      seen.appends++;
      if (batch === undefined) {
        const opened: string[] = [];
        batch = opened;
        seen.batches.push(opened);
        process.nextTick(() => {
          if (batch === opened) batch = undefined;
        });
      }
      batch.push(`${args[0]}@${String(args[2])}`);
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
    streamIds: (prefix) => store.streamIds(prefix),
    prunes: () => store.prunes(),
    lastPosition: () => store.lastPosition(),
    verifyChain: (from) => store.verifyChain(from),
    hashAt: (position) => store.hashAt(position),
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

  it('hands the commands of one turn on one stream to the store in one batch, and resolves each with its own events, in order', async () => {
    const { store, seen } = observed(memoryStore());
    const handlerDeps = deps(store);
    const published: [number, string][] = [];
    handlerDeps.bus.subscribe((e) => published.push([e.streamVersion, e.type]));
    const providers = providerCommands(one, handlerDeps);
    await providers.execute(id, register);
    seen.batches.length = 0;
    // 16 calls that complete in one turn, each recording from a promise continuation of its own.
    const results = await Promise.all(Array.from({ length: 16 }, (_, n) => Promise.resolve().then(() => providers.execute(id, invocation(n)))));
    assert.deepEqual(seen.batches, [Array.from({ length: 16 }, (_, n) => `provider-math@1@${n + 1}`)], 'one batch, consecutive expected versions');
    assert.deepEqual(
      results.map(({ events }) => events.map((e) => [e.streamVersion, (e.data as { correlationId?: string }).correlationId])),
      Array.from({ length: 16 }, (_, n) => [[n + 2, `c${n}`]]),
    );
    assert.deepEqual(
      published.map(([version]) => version),
      Array.from({ length: 17 }, (_, n) => n + 1),
      'the bus sees every event once, in stream order',
    );
    assert.equal(seen.conflicts, 0);
  });

  it('commits the commands of one turn on one stream in one SQLite transaction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hangar-handler-'));
    const path = join(dir, 'events.db');
    const sqlite = openSqliteEventStore(path, { registry: hangarEventRegistry() });
    try {
      const providers = providerCommands(one, deps(sqlite));
      await providers.execute(id, register);
      const before = commitsInWal(path);
      const results = await Promise.all(Array.from({ length: 16 }, (_, n) => Promise.resolve().then(() => providers.execute(id, invocation(n)))));
      assert.equal(commitsInWal(path) - before, 1, '16 commands, one commit');
      assert.deepEqual(
        results.map(({ events }) => events[0]?.streamVersion),
        Array.from({ length: 16 }, (_, n) => n + 2),
      );
      assert.deepEqual(await sqlite.verifyChain(), { ok: true, count: 17 });
    } finally {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('after another writer moved the stream on under a pipeline, catches up and records every command exactly once', async () => {
    const log = new InMemoryEventLog();
    const ours = observed(memoryStore(log));
    const theirs = memoryStore(log);
    const handlerDeps = deps(ours.store);
    const published: number[] = [];
    handlerDeps.bus.subscribe((e) => published.push(e.streamVersion));
    const providers = providerCommands(one, handlerDeps);
    await providers.execute(id, register);
    await Promise.all([0, 1, 2].map((n) => providers.execute(id, invocation(n)))); // versions 2-4, one batch
    ours.seen.reads.length = 0;
    const pipeline = Array.from({ length: 8 }, (_, n) => providers.execute(id, invocation(10 + n))); // decided against version 4
    // Another writer appends one event before our batch is handed over: our first append then expects 4
    // against 5, and the second, expecting 5, would match by accident: it must fail with it.
    await theirs.append('provider-math@1', [{ type: 'ToolInvoked', data: { ...invocation(99), correlationId: 'theirs' } }] as never, 4, {
      occurredAt: new Date(0).toISOString(),
    });
    const results = await Promise.all(pipeline);
    assert.deepEqual(
      results.map(({ events }) => events.map((e) => e.streamVersion)),
      Array.from({ length: 8 }, (_, n) => [n + 6]),
    );
    assert.equal(ours.seen.conflicts, 8, 'the stale append, and every append decided after it in its batch');
    assert.deepEqual(ours.seen.reads, [{ streamId: 'provider-math@1', fromVersion: 5 }], 'one catch-up, from the last recorded version');
    const stream = await ours.store.readStream('provider-math@1');
    assert.deepEqual(
      stream.map((e) => e.streamVersion),
      Array.from({ length: 13 }, (_, n) => n + 1),
    );
    const ids = stream.slice(1).map((e) => (e.data as { correlationId?: string }).correlationId);
    assert.deepEqual(ids, ['c0', 'c1', 'c2', 'theirs', ...Array.from({ length: 8 }, (_, n) => `c${10 + n}`)], 'each recorded once');
    assert.deepEqual(published, [1, 2, 3, 4, ...Array.from({ length: 8 }, (_, n) => n + 6)], 'our events on the bus, in order (theirs is not ours to publish)');
  });

  it('rejects the commands a store failure hits; the others of the pipeline are decided again, and the next command reads the stream again', async () => {
    const memory = memoryStore();
    let failing = false;
    const { store, seen } = observed({
      ...memory,
      append: (...args) => (failing ? Promise.reject(new Error('disk full')) : memory.append(...args)),
      readStream: (streamId, options) => memory.readStream(streamId, options),
      readAll: (options) => memory.readAll(options),
      streamIds: (prefix) => memory.streamIds(prefix),
      prunes: () => memory.prunes(),
      lastPosition: () => memory.lastPosition(),
      verifyChain: (from) => memory.verifyChain(from),
      hashAt: (position) => memory.hashAt(position),
      close: () => memory.close(),
    });
    const providers = providerCommands(one, deps(store));
    await providers.execute(id, register);
    // A row the store cannot write (BigInt data) fails alone; the commands after it in its batch are decided again.
    const unwritable = { ...invocation(2), resultSize: 1n as unknown as number };
    const outcomes = await Promise.allSettled([invocation(0), invocation(1), unwritable, invocation(3), invocation(4)].map((c) => providers.execute(id, c)));
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value.events.map((e) => e.streamVersion) : (o.reason as Error).name)),
      [[2], [3], 'TypeError', [4], [5]],
    );
    assert.deepEqual(seen.reads.at(-1), { streamId: 'provider-math@1', fromVersion: 4 });
    // A failure of the whole batch (a COMMIT that fails) rejects every command of it.
    failing = true;
    const failed = await Promise.allSettled([5, 6, 7].map((n) => providers.execute(id, invocation(n))));
    assert.deepEqual(
      failed.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'recorded')),
      ['disk full', 'disk full', 'disk full'],
    );
    failing = false;
    const reads = seen.reads.length;
    const { events } = await providers.execute(id, invocation(8));
    assert.deepEqual(seen.reads.slice(reads), [{ streamId: 'provider-math@1', fromVersion: 1 }], 'the stream is read again');
    assert.deepEqual(
      events.map((e) => e.streamVersion),
      [6],
    );
    assert.deepEqual(await memory.verifyChain(), { ok: true, count: 6 });
  });

  it('answers a decision of nothing or a refusal made behind unrecorded commands only once they are recorded', async () => {
    const { store, seen } = observed(memoryStore());
    const providers = providerCommands(one, deps(store));
    const order: string[] = [];
    const note = (what: string) => (value: unknown) =>
      order.push(`${what}: ${Array.isArray((value as { events?: unknown }).events) ? 'done' : (value as { code?: string }).code}`);
    await Promise.all([
      providers.execute(id, register).then(note('register')),
      providers.execute(id, register).then(note('register again')), // nothing, against the registration not yet recorded
      providers.execute(id, { type: 'DeregisterProvider' }).then(note('deregister')),
      providers.execute(id, invocation(0)).then(note('record'), note('record')), // refused: deregistered, not yet recorded
    ]);
    assert.deepEqual(order, ['register: done', 'register again: done', 'deregister: done', 'record: PROVIDER_NOT_FOUND']);
    assert.deepEqual(seen.batches, [['provider-math@1@0', 'provider-math@1@1']], 'two appends, in one batch');
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
    seen.reads.length = 0; // the catalog's own boot read; what counts is what the handler reads
    const providers = providerCommands(one, { store, bus, clock: new ManualClock() });
    for (const entry of catalog.streams()) providers.seed(entry.streamId, entry.state, entry.streamVersion);
    const { events } = await providers.execute(id, { type: 'StopProvider', reason: 'hangar_restart' });
    assert.deepEqual(
      events.map((e) => [e.type, e.streamVersion]),
      [['ProviderStopped', 3]],
    );
    assert.deepEqual(seen.reads, [], 'the handler read no stream');
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
      streamIds: (prefix) => memory.streamIds(prefix),
      prunes: () => memory.prunes(),
      lastPosition: () => memory.lastPosition(),
      verifyChain: (from) => memory.verifyChain(from),
      hashAt: (position) => memory.hashAt(position),
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
