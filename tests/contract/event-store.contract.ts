import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ConcurrencyError, type EventMetadata, type EventStore } from '../../src/application/ports/event-store.js';
import type { HangarEvent } from '../../src/domain/hangar-event.js';
import type { Event } from '../../src/domain/shared/event.js';
import { EventRegistry, type EventTypeSchema } from '../../src/infrastructure/persistence/event-registry.js';
import { hangarEventSchemas } from '../../src/infrastructure/persistence/hangar-event-schemas.js';

/** A test-only event whose data changed shape twice (schema versions 1, 2 and 3). */
export type GreetingSent = Event<'GreetingSent', unknown>;
/** What the stores under contract hold: every hangar event, and the test-only greeting. */
export type ContractEvent = HangarEvent | GreetingSent;
export type ContractStore = EventStore<ContractEvent>;

/** A store under test, over data that a second store can be opened on (as after a restart). */
export interface StoreUnderTest {
  readonly store: ContractStore;
  /** Opens another store over the same data, with `registry` (default: {@link contractRegistry}). */
  readonly reopen: (registry?: EventRegistry<ContractEvent>) => Promise<ContractStore>;
  /** Closes every store opened and removes what they wrote. */
  readonly cleanup: () => Promise<void>;
}

export type MakeStore = (registry?: EventRegistry<ContractEvent>) => Promise<StoreUnderTest>;

/** The frozen shapes of the test-only event `GreetingSent` at schema versions 1, 2 and 3. */
export const greetingFixture = JSON.parse(readFileSync(new URL('../../../tests/fixtures/events/greeting-sent.json', import.meta.url), 'utf8')) as {
  type: 'GreetingSent';
  v1: unknown;
  v2: unknown;
  v3: unknown;
};

const greetingV1 = z.object({ to: z.string(), text: z.string() });
const greetingV2 = z.object({ recipient: z.object({ name: z.string() }), text: z.string() });
const greetingV3 = greetingV2.extend({ channel: z.string() });

/** v1 → v2: `to` became `recipient.name`. */
const greetingV1toV2 = (data: unknown): unknown => {
  const { to, text } = greetingV1.parse(data);
  return { recipient: { name: to }, text };
};
/** v2 → v3: `channel` was added; old greetings went over stdio. */
const greetingV2toV3 = (data: unknown): unknown => ({ ...greetingV2.parse(data), channel: 'stdio' });

const greetingSchemas: readonly z.ZodType[] = [greetingV1, greetingV2, greetingV3];

/** GreetingSent as a build from one era of it would know it. */
const greeting = (version: 1 | 2 | 3): EventTypeSchema<unknown> => ({
  schema: greetingSchemas[version - 1] as z.ZodType,
  currentVersion: version,
  upcasters: { 1: greetingV1toV2, 2: greetingV2toV3 },
  olderSchemas: Object.fromEntries(greetingSchemas.slice(0, version - 1).map((schema, i) => [i + 1, schema])),
});

/** The hangar's registry plus GreetingSent at `version`: a registry as a build from each era would have it. */
export const contractRegistry = (version: 1 | 2 | 3 = 3): EventRegistry<ContractEvent> =>
  new EventRegistry<ContractEvent>({ ...hangarEventSchemas, GreetingSent: greeting(version) });

/** The same, except that it accepts anything as ToolInvoked data (to store what the real registry refuses). */
const laxRegistry = (): EventRegistry<ContractEvent> =>
  new EventRegistry<ContractEvent>({ ...hangarEventSchemas, GreetingSent: greeting(3), ToolInvoked: { schema: z.any() } });

/** ToolInvoked and ToolInvocationFailed data as stored before recorded arguments existed (a digest, never `arguments`). */
const beforeRecordedArguments = JSON.parse(
  readFileSync(new URL('../../../tests/fixtures/events/tool-calls-before-recorded-arguments.json', import.meta.url), 'utf8'),
) as { ToolInvoked: unknown; ToolInvocationFailed: unknown };

/** A registry of a build that never heard of GreetingSent. */
const registryWithout = (): EventRegistry<ContractEvent> => new EventRegistry<ContractEvent>({ ...hangarEventSchemas, GreetingSent: { schema: z.never() } });

export const at = (second: number): string => new Date(Date.UTC(2025, 0, 1, 12, 0, second)).toISOString();
const meta = (second = 0, extra: Partial<EventMetadata> = {}): EventMetadata => ({ occurredAt: at(second), ...extra });
export const invoked = (tool: string, n = 0): ContractEvent => ({
  type: 'ToolInvoked',
  data: { tool, correlationId: `c-${n}`, durationMs: 1.5, outcome: 'success', argumentsDigest: `sha256:${n}`, resultSize: 42 },
});
const started: ContractEvent = {
  type: 'ProviderStarted',
  data: { pid: 42, protocolVersion: '2025-06-18', serverInfo: { name: 'math', version: '1.0.0' }, startupMs: 120 },
};
const stopped: ContractEvent = { type: 'ProviderStopped', data: { reason: 'idle' } };

/** Registers the cases every EventStore adapter must pass. */
export function eventStoreContract(name: string, makeStore: MakeStore): void {
  const withStore = async (test: (sut: StoreUnderTest) => Promise<void>, registry?: EventRegistry<ContractEvent>) => {
    const sut = await makeStore(registry);
    try {
      await test(sut);
    } finally {
      await sut.cleanup();
    }
  };

  describe(`${name} (EventStore contract)`, () => {
    it('returns appended events with positions, versions and hashes, and reads them back identical', () =>
      withStore(async ({ store }) => {
        const stored = await store.append('provider-math', [started, invoked('add')], 0, meta(1, { correlationId: 'c-1' }));
        assert.deepEqual(
          stored.map((e) => [e.position, e.streamId, e.streamVersion, e.type, e.schemaVersion]),
          [
            [1, 'provider-math', 1, 'ProviderStarted', 1],
            [2, 'provider-math', 2, 'ToolInvoked', 1],
          ],
        );
        assert.deepEqual(stored[1]?.data, invoked('add').data);
        for (const e of stored) assert.match(e.hash, /^[0-9a-f]{64}$/);
        assert.notEqual(stored[0]?.hash, stored[1]?.hash);
        assert.deepEqual(await store.readStream('provider-math'), stored);
        assert.deepEqual(await store.readStream('provider-unknown'), []);
      }));

    it('numbers each stream from 1 and orders all events by global position', () =>
      withStore(async ({ store }) => {
        await store.append('provider-a', [started, invoked('x', 1)], 0, meta(1));
        await store.append('provider-b', [started], 0, meta(2));
        await store.append('provider-a', [invoked('x', 2)], 2, meta(3));
        const all = await store.readAll();
        assert.deepEqual(
          all.map((e) => [e.position, e.streamId, e.streamVersion]),
          [
            [1, 'provider-a', 1],
            [2, 'provider-a', 2],
            [3, 'provider-b', 1],
            [4, 'provider-a', 3],
          ],
        );
        assert.deepEqual(
          (await store.readStream('provider-a')).map((e) => e.position),
          [1, 2, 4],
        );
      }));

    it('accepts expectedVersion 0 for a new stream only', () =>
      withStore(async ({ store }) => {
        await store.append('provider-a', [started], 0, meta());
        await assert.rejects(store.append('provider-a', [stopped], 0, meta()), (e: unknown) => {
          assert.ok(e instanceof ConcurrencyError);
          assert.deepEqual([e.streamId, e.expectedVersion, e.actualVersion], ['provider-a', 0, 1]);
          return true;
        });
      }));

    it('rejects a stale or future expectedVersion with ConcurrencyError and writes nothing', () =>
      withStore(async ({ store }) => {
        await store.append('provider-a', [started, invoked('x')], 0, meta());
        for (const expected of [1, 3]) {
          await assert.rejects(store.append('provider-a', [stopped, stopped], expected, meta()), (e: unknown) => {
            assert.ok(e instanceof ConcurrencyError);
            assert.equal(e.actualVersion, 2);
            return true;
          });
        }
        assert.equal(await store.lastPosition(), 2);
        assert.deepEqual(
          (await store.readStream('provider-a')).map((e) => e.type),
          ['ProviderStarted', 'ToolInvoked'],
        );
        const next = await store.append('provider-a', [stopped], 2, meta());
        assert.deepEqual([next[0]?.position, next[0]?.streamVersion], [3, 3]);
      }));

    it("appends at whatever version the stream is with 'any'", () =>
      withStore(async ({ store }) => {
        await store.append('provider-a', [started], 'any', meta());
        await store.append('provider-a', [invoked('x'), stopped], 'any', meta());
        assert.deepEqual(
          (await store.readStream('provider-a')).map((e) => e.streamVersion),
          [1, 2, 3],
        );
        assert.deepEqual(await store.append('provider-a', [], 3, meta()), [], 'an empty append writes nothing');
        assert.equal(await store.lastPosition(), 3);
      }));

    it('filters readStream by fromVersion, toPosition, since, types and limit', () =>
      withStore(async ({ store }) => {
        // provider-a: v1 started@10 (p1), v2 x@11 (p2), v3 y@12 (p4), v4 stopped@13 (p5), v5 z@14 (p6); p3 is provider-b
        await store.append('provider-a', [started], 0, meta(10));
        await store.append('provider-a', [invoked('x')], 1, meta(11));
        await store.append('provider-b', [started], 0, meta(11));
        await store.append('provider-a', [invoked('y')], 2, meta(12));
        await store.append('provider-a', [stopped], 3, meta(13));
        await store.append('provider-a', [invoked('z')], 4, meta(14));
        const versions = async (options: Parameters<ContractStore['readStream']>[1]) =>
          (await store.readStream('provider-a', options)).map((e) => e.streamVersion);
        assert.deepEqual(await versions({ fromVersion: 3 }), [3, 4, 5]);
        assert.deepEqual(await versions({ toPosition: 4 }), [1, 2, 3]);
        assert.deepEqual(await versions({ since: at(12) }), [3, 4, 5]);
        assert.deepEqual(await versions({ since: '2025-01-01T12:00:12Z' }), [3, 4, 5], 'since in another ISO form');
        assert.deepEqual(await versions({ types: ['ToolInvoked'] }), [2, 3, 5]);
        assert.deepEqual(await versions({ types: ['ProviderStarted', 'ProviderStopped'] }), [1, 4]);
        assert.deepEqual(await versions({ types: [] }), []);
        assert.deepEqual(await versions({ limit: 2 }), [1, 2]);
        assert.deepEqual(await versions({ limit: 0 }), []);
        assert.deepEqual(await versions({ fromVersion: 2, toPosition: 5, types: ['ToolInvoked', 'ProviderStopped'], limit: 2 }), [2, 3]);
        assert.deepEqual(await versions({ since: at(11), types: ['ToolInvoked'], limit: 1 }), [2]);
      }));

    it('filters readAll by fromPosition, types and limit', () =>
      withStore(async ({ store }) => {
        await store.append('provider-a', [started, invoked('x')], 0, meta());
        await store.append('provider-b', [started, invoked('y'), stopped], 0, meta());
        const positions = async (options: Parameters<ContractStore['readAll']>[0]) => (await store.readAll(options)).map((e) => e.position);
        assert.deepEqual(await positions({}), [1, 2, 3, 4, 5]);
        assert.deepEqual(await positions({ fromPosition: 3 }), [3, 4, 5]);
        assert.deepEqual(await positions({ fromPosition: 6 }), []);
        assert.deepEqual(await positions({ types: ['ProviderStarted'] }), [1, 3]);
        assert.deepEqual(await positions({ types: ['ToolInvoked'] }), [2, 4]);
        assert.deepEqual(await positions({ types: ['ProviderStarted', 'ProviderStopped'], fromPosition: 2 }), [3, 5]);
        assert.deepEqual(await positions({ limit: 2, fromPosition: 2 }), [2, 3]);
        assert.deepEqual(await positions({ types: ['ToolInvoked', 'ProviderStopped'], limit: 2 }), [2, 4]);
      }));

    it('reports the last position, 0 when empty', () =>
      withStore(async ({ store }) => {
        assert.equal(await store.lastPosition(), 0);
        await store.append('provider-a', [started, invoked('x')], 0, meta());
        await store.append('provider-b', [started], 0, meta());
        assert.equal(await store.lastPosition(), 3);
      }));

    it('verifies an intact chain, empty or not', () =>
      withStore(async ({ store }) => {
        assert.deepEqual(await store.verifyChain(), { ok: true, count: 0 });
        await store.append('provider-a', [started, invoked('x')], 0, meta());
        await store.append('provider-b', [started], 0, meta());
        assert.deepEqual(await store.verifyChain(), { ok: true, count: 3 });
      }));

    it('verifies from an anchor to the head, and names the anchor when the store no longer holds it', () =>
      withStore(async ({ store }) => {
        await store.append('provider-a', [started, invoked('x', 1), invoked('x', 2)], 0, meta());
        await store.append('provider-b', [started, invoked('y', 3)], 0, meta());
        const hash = async (position: number) => (await store.hashAt(position)) ?? assert.fail(`no row ${position}`);
        assert.equal(await store.hashAt(6), undefined);
        assert.equal(await store.hashAt(0), undefined);
        assert.deepEqual(await store.verifyChain({ position: 2, hash: await hash(2) }), { ok: true, count: 3 });
        assert.deepEqual(await store.verifyChain({ position: 5, hash: await hash(5) }), { ok: true, count: 0 }, 'an anchor at the head');
        assert.deepEqual(await store.verifyChain({ position: 0, hash: '0'.repeat(64) }), { ok: true, count: 5 }, 'the genesis is the whole chain');
        const past = await store.verifyChain({ position: 9, hash: await hash(5) });
        assert.deepEqual(past.ok ? undefined : [past.position, past.count], [9, 0]);
        assert.match(past.ok ? '' : past.reason, /row 9 is missing: the store ends at position 5/);
        const replaced = await store.verifyChain({ position: 3, hash: 'a'.repeat(64) });
        assert.deepEqual(replaced.ok ? undefined : [replaced.position, replaced.count], [3, 0]);
        assert.match(replaced.ok ? '' : replaced.reason, /row 3 holds the hash [0-9a-f]{12}…, not aaaaaaaaaaaa… \(replaced\)/);
      }));

    it('round-trips metadata: occurredAt, correlationId, causationId, caller; absent ids stay absent', () =>
      withStore(async ({ store }) => {
        const appended = [
          ...(await store.append('provider-a', [started], 0, meta(5, { correlationId: 'corr-1', causationId: 'cause-1', caller: 'ci-bot' }))),
          ...(await store.append('provider-a', [stopped], 1, { occurredAt: at(6), correlationId: undefined })),
        ];
        const read = await store.readStream('provider-a');
        assert.deepEqual(read[0]?.metadata, { occurredAt: at(5), correlationId: 'corr-1', causationId: 'cause-1', caller: 'ci-bot' });
        assert.deepEqual(read[1]?.metadata, { occurredAt: at(6) });
        assert.deepEqual(appended, read, 'append returns what a read returns');
      }));

    it('upcasts events of an old schema version on read, step by step, as the frozen fixture says', () =>
      withStore(async ({ store, reopen }) => {
        assert.deepEqual(greetingV1toV2(greetingFixture.v1), greetingFixture.v2);
        assert.deepEqual(greetingV2toV3(greetingFixture.v2), greetingFixture.v3);
        const [old] = await store.append('stream-greetings', [{ type: 'GreetingSent', data: greetingFixture.v1 }], 0, meta());
        assert.equal(old?.schemaVersion, 1);
        const v2Store = await reopen(contractRegistry(2));
        await v2Store.append('stream-greetings', [{ type: 'GreetingSent', data: greetingFixture.v2 }], 1, meta());
        const current = await reopen(contractRegistry(3));
        const [fresh] = await current.append('stream-greetings', [{ type: 'GreetingSent', data: greetingFixture.v3 }], 2, meta());
        assert.equal(fresh?.schemaVersion, 3);
        const read = await current.readStream('stream-greetings');
        assert.deepEqual(
          read.map((e) => [e.schemaVersion, e.data]),
          [
            [3, greetingFixture.v3],
            [3, greetingFixture.v3],
            [3, greetingFixture.v3],
          ],
        );
        assert.equal(read[0]?.hash, old?.hash, 'upcasting does not touch the stored row');
        assert.deepEqual(
          (await current.readAll({ types: ['GreetingSent'] })).map((e) => e.schemaVersion),
          [3, 3, 3],
        );
        assert.deepEqual(await current.verifyChain(), { ok: true, count: 3 });
        await assert.rejects(v2Store.readStream('stream-greetings'), /newer/, 'a build that knows only v2 refuses v3 data');
      }, contractRegistry(1)));

    it('writes a multi-event append all or nothing', () =>
      withStore(async ({ store }) => {
        const poisoned = { type: 'ToolInvoked', data: { tool: 'x', resultSize: 1n } } as unknown as ContractEvent;
        await assert.rejects(store.append('provider-a', [started, invoked('x'), poisoned], 0, meta()), TypeError);
        assert.equal(await store.lastPosition(), 0);
        assert.deepEqual(await store.readAll(), []);
        const [a, b] = await Promise.all([
          store.append('provider-a', [started, invoked('x', 1), invoked('x', 2)], 0, meta(1, { correlationId: 'a' })),
          store.append('provider-b', [started, stopped], 0, meta(2, { correlationId: 'b' })),
        ]);
        const runs = [a, b].map((events) => events?.map((e) => e.position) ?? []);
        for (const run of runs)
          assert.deepEqual(
            run,
            run.map((_, i) => (run[0] ?? 0) + i),
            'an append takes consecutive positions',
          );
        assert.deepEqual(
          (await store.readStream('provider-a')).map((e) => [e.streamVersion, e.metadata.correlationId]),
          [
            [1, 'a'],
            [2, 'a'],
            [3, 'a'],
          ],
        );
        assert.deepEqual(await store.verifyChain(), { ok: true, count: 5 });
      }));

    it('keeps one chain and one version order for two stores over the same data', () =>
      withStore(async ({ store, reopen }) => {
        const other = await reopen();
        await store.append('provider-a', [started], 0, meta());
        await other.append('provider-a', [invoked('x')], 1, meta());
        await assert.rejects(store.append('provider-a', [stopped], 1, meta()), ConcurrencyError);
        await store.append('provider-b', [started], 0, meta());
        await other.append('provider-b', [stopped], 1, meta());
        await store.append('provider-a', [stopped], 2, meta());
        assert.deepEqual(
          (await other.readAll()).map((e) => [e.position, e.streamId, e.streamVersion]),
          [
            [1, 'provider-a', 1],
            [2, 'provider-a', 2],
            [3, 'provider-b', 1],
            [4, 'provider-b', 2],
            [5, 'provider-a', 3],
          ],
        );
        assert.deepEqual(await store.verifyChain(), { ok: true, count: 5 });
      }));

    it('filters readAll by stream prefix and time', () =>
      withStore(async ({ store }) => {
        await store.append('provider-a@1', [started], 0, meta(1));
        await store.append('provider-ab@1', [started], 0, meta(2));
        await store.append('provider-a@2', [started, stopped], 0, meta(3));
        await store.append('instance-1', [{ type: 'InstanceStarted', data: { pid: 1, host: 'h', version: '1' } }], 0, meta(4));
        const positions = async (options: Parameters<ContractStore['readAll']>[0]) => (await store.readAll(options)).map((e) => e.position);
        assert.deepEqual(await positions({ streamPrefix: 'provider-a@' }), [1, 3, 4]);
        assert.deepEqual(await positions({ streamPrefix: 'provider-a@', since: at(3) }), [3, 4]);
        assert.deepEqual(await positions({ streamPrefix: 'provider-a@', types: ['ProviderStopped'] }), [4]);
        assert.deepEqual(await positions({ streamPrefix: 'provider-' }), [1, 2, 3, 4]);
        assert.deepEqual(await positions({ since: at(4) }), [5]);
      }));

    it('reads backward (newest first), up to a time and a position, and lists the streams of a prefix', () =>
      withStore(async ({ store }) => {
        await store.append('provider-a@1', [started], 0, meta(1));
        await store.append('provider-ab@1', [started], 0, meta(2));
        await store.append('provider-a@2', [started, stopped], 0, meta(3));
        await store.append('provider-a@1', [invoked('x')], 1, meta(4));
        const positions = async (options: Parameters<ContractStore['readAll']>[0]) => (await store.readAll(options)).map((e) => e.position);
        const versions = async (options: Parameters<ContractStore['readStream']>[1]) =>
          (await store.readStream('provider-a@1', options)).map((e) => e.streamVersion);
        assert.deepEqual(await positions({ streamPrefix: 'provider-a@', backward: true }), [5, 4, 3, 1]);
        assert.deepEqual(await positions({ streamPrefix: 'provider-a@', backward: true, limit: 2 }), [5, 4], 'the newest two');
        assert.deepEqual(await positions({ until: at(3) }), [1, 2, 3, 4]);
        assert.deepEqual(await positions({ toPosition: 2 }), [1, 2]);
        assert.deepEqual(await positions({ fromPosition: 2, toPosition: 4, backward: true }), [4, 3, 2]);
        assert.deepEqual(await versions({ backward: true }), [2, 1]);
        assert.deepEqual(await versions({ backward: true, limit: 1 }), [2]);
        assert.deepEqual(await versions({ until: at(1) }), [1]);
        assert.deepEqual(await store.streamIds('provider-a@'), ['provider-a@1', 'provider-a@2']);
        assert.deepEqual(await store.streamIds('provider-'), ['provider-a@1', 'provider-a@2', 'provider-ab@1']);
        assert.deepEqual(await store.streamIds('provider-z@'), []);
      }));

    it('returns a read larger than a page whole and in order, forward and backward, with limits across pages', () =>
      withStore(async ({ store }) => {
        const n = 4500;
        const appends: Promise<unknown>[] = [];
        for (let i = 0; i < n; i++) appends.push(store.append('provider-a@1', [invoked(`t${i}`)], i, meta(i % 50)));
        await Promise.all(appends);
        const forward = (await store.readStream('provider-a@1')).map((e) => e.streamVersion);
        assert.equal(forward.length, n);
        assert.ok(forward.every((v, i) => v === i + 1));
        const backward = (await store.readAll({ backward: true, limit: 4100 })).map((e) => e.position);
        assert.equal(backward.length, 4100);
        assert.ok(backward.every((p, i) => p === n - i));
        const filtered = await store.readStream('provider-a@1', { fromVersion: 10, limit: 2001 });
        assert.deepEqual([filtered[0]?.streamVersion, filtered.at(-1)?.streamVersion, filtered.length], [10, 2010, 2001]);
      }));

    it('rejects a stored event that fails its schema, naming its position, instead of returning it', () =>
      withStore(async ({ store, reopen }) => {
        await store.append('provider-a', [started, invoked('fine')], 0, meta());
        const lax = await reopen(laxRegistry());
        await lax.append('provider-a', [{ type: 'ToolInvoked', data: { tool: 'broken', outcome: 'maybe' } } as unknown as ContractEvent], 2, meta());
        const strict = await reopen();
        await assert.rejects(strict.readStream('provider-a'), /position 3\b.*ToolInvoked.*does not match its schema/s);
        await assert.rejects(strict.readAll(), /position 3\b/);
        assert.deepEqual(
          (await strict.readStream('provider-a', { toPosition: 2 })).map((e) => e.type),
          ['ProviderStarted', 'ToolInvoked'],
          'the events before it read as usual',
        );
      }));

    it('reads tool calls stored before recorded arguments (a digest only), and those recorded under each audit mode', () =>
      withStore(async ({ store, reopen }) => {
        // Written as an older build wrote them: the lax registry checks nothing, so the rows hold exactly the frozen data.
        const older = await reopen(laxRegistry());
        const old = [
          { type: 'ToolInvoked', data: beforeRecordedArguments.ToolInvoked },
          { type: 'ToolInvocationFailed', data: beforeRecordedArguments.ToolInvocationFailed },
        ] as unknown as ContractEvent[];
        await older.append('provider-a', old, 0, meta(1));
        const base = { tool: 'add', correlationId: 'c', durationMs: 1, outcome: 'success', resultSize: 10 } as const;
        const recorded = { json: '{"a":1,"token":"[REDACTED]"}', truncated: false, bytes: 28 };
        const now: ContractEvent[] = [
          { type: 'ToolInvoked', data: { ...base, argumentsDigest: 'd-full', arguments: recorded } },
          { type: 'ToolInvoked', data: base },
          { type: 'ToolInvocationFailed', data: { tool: 'add', correlationId: 'c', durationMs: 1, errorCode: 'TIMEOUT', message: 'm', arguments: recorded } },
        ];
        await store.append('provider-a', now, 2, meta(2));
        const current = await reopen();
        assert.deepEqual(
          (await current.readStream('provider-a')).map((e) => [e.type, e.schemaVersion, e.data]),
          [
            ['ToolInvoked', 1, beforeRecordedArguments.ToolInvoked],
            ['ToolInvocationFailed', 1, beforeRecordedArguments.ToolInvocationFailed],
            ...now.map((e) => [e.type, 1, e.data]),
          ],
        );
        assert.deepEqual(await current.verifyChain(), { ok: true, count: 5 });
      }));

    it('refuses recorded arguments of the wrong shape', () =>
      withStore(async ({ store, reopen }) => {
        const lax = await reopen(laxRegistry());
        const bad = { ...(invoked('add').data as object), arguments: { json: 1, truncated: 'no' } };
        await lax.append('provider-a', [{ type: 'ToolInvoked', data: bad } as unknown as ContractEvent], 0, meta());
        await assert.rejects(store.readStream('provider-a'), /position 1\b.*ToolInvoked.*does not match its schema/s);
      }));

    it('rejects a stored event of a type the build does not know, naming its position', () =>
      withStore(async ({ store, reopen }) => {
        await store.append('provider-a', [started], 0, meta());
        await store.append('stream-greetings', [{ type: 'GreetingSent', data: greetingFixture.v3 }], 0, meta());
        const older = await reopen(registryWithout());
        await assert.rejects(older.readAll(), /position 2\b.*GreetingSent/s);
      }));

    it('commits appends issued in one turn, to several streams and to one stream at consecutive versions', () =>
      withStore(async ({ store }) => {
        const appends = [
          store.append('provider-a', [started], 0, meta(1, { correlationId: 'a1' })),
          store.append('provider-b', [started, invoked('y', 1)], 0, meta(2)),
          store.append('provider-a', [invoked('x', 1)], 1, meta(3)),
          store.append('provider-a', [invoked('x', 2), stopped], 2, meta(4)),
          store.append('provider-b', [stopped], 2, meta(5)),
        ];
        const stored = await Promise.all(appends);
        assert.deepEqual(
          stored.map((events) => events.map((e) => [e.position, e.streamId, e.streamVersion])),
          [
            [[1, 'provider-a', 1]],
            [
              [2, 'provider-b', 1],
              [3, 'provider-b', 2],
            ],
            [[4, 'provider-a', 2]],
            [
              [5, 'provider-a', 3],
              [6, 'provider-a', 4],
            ],
            [[7, 'provider-b', 3]],
          ],
          'positions in the order the appends were made, gap-free',
        );
        assert.deepEqual(await store.readAll(), stored.flat(), 'a read returns what the appends returned');
        assert.equal(await store.lastPosition(), 7);
        assert.deepEqual(await store.verifyChain(), { ok: true, count: 7 });
      }));

    it('fails a conflicting append of a turn and the later appends to its stream, and commits the others', () =>
      withStore(async ({ store }) => {
        await store.append('provider-a', [started], 0, meta());
        const outcomes = await Promise.allSettled([
          store.append('provider-a', [invoked('x', 1)], 1, meta()), // commits: provider-a at 2
          store.append('provider-a', [invoked('x', 2)], 1, meta()), // stale
          store.append('provider-b', [started], 0, meta()),
          store.append('provider-a', [invoked('x', 3)], 2, meta()), // decided after the stale one: its version matches, yet it fails
          store.append('provider-a', [stopped], 3, meta()),
          store.append('provider-a', [invoked('x', 4)], 'any', meta()), // no expected version: not decided against anything
          store.append('provider-b', [stopped], 1, meta()),
        ]);
        assert.deepEqual(
          outcomes.map((o) => o.status),
          ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled'],
        );
        const conflicts = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
        for (const e of conflicts) assert.ok(e instanceof ConcurrencyError, `ConcurrencyError, got ${String(e)}`);
        assert.deepEqual(
          conflicts.map((e) => [(e as ConcurrencyError).expectedVersion, (e as ConcurrencyError).actualVersion]),
          [
            [1, 2],
            [2, 2],
            [3, 2],
          ],
        );
        assert.deepEqual(
          (await store.readAll()).map((e) => [e.position, e.streamId, e.streamVersion, e.type]),
          [
            [1, 'provider-a', 1, 'ProviderStarted'],
            [2, 'provider-a', 2, 'ToolInvoked'],
            [3, 'provider-b', 1, 'ProviderStarted'],
            [4, 'provider-a', 3, 'ToolInvoked'],
            [5, 'provider-b', 2, 'ProviderStopped'],
          ],
        );
        assert.deepEqual(await store.verifyChain(), { ok: true, count: 5 });
        const [next] = await store.append('provider-a', [stopped], 3, meta());
        assert.deepEqual([next?.position, next?.streamVersion], [6, 4], 'the next turn decides afresh');
      }));

    it('rolls back only the append of a turn whose row cannot be written, with no gap in positions', () =>
      withStore(async ({ store }) => {
        const poisoned = { type: 'ToolInvoked', data: { tool: 'x', resultSize: 1n } } as unknown as ContractEvent;
        const outcomes = await Promise.allSettled([
          store.append('provider-a', [started], 0, meta()),
          store.append('provider-b', [started, poisoned], 0, meta()),
          store.append('provider-b', [started], 0, meta()),
          store.append('provider-c', [started, stopped], 0, meta()),
        ]);
        assert.deepEqual(
          outcomes.map((o) => (o.status === 'fulfilled' ? o.value.map((e) => e.position) : (o.reason as Error).name)),
          [[1], 'TypeError', 'ConcurrencyError', [2, 3]],
        );
        assert.deepEqual(await store.readStream('provider-b'), []);
        assert.deepEqual(await store.verifyChain(), { ok: true, count: 3 });
        const [next] = await store.append('provider-b', [started], 0, meta());
        assert.equal(next?.position, 4);
      }));

    it('rejects calls once closed', () =>
      withStore(async ({ store }) => {
        await store.close();
        await assert.rejects(store.readAll(), /closed/);
        await assert.rejects(store.append('provider-a', [started], 0, meta()), /closed/);
      }));
  });
}
