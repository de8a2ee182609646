import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventMetadata, EventStore } from '../../src/application/ports/event-store.js';
import { UnknownInvocationCursor, type InvocationAudit, type InvocationFilter, type InvocationRecord } from '../../src/application/ports/invocation-audit.js';
import type { HangarEvent } from '../../src/domain/hangar-event.js';
import type { ProviderId } from '../../src/domain/shared/ids.js';

/** A store that answers audit queries, as both adapters are. */
export type AuditedStore = EventStore<HangarEvent> & InvocationAudit;

/** An audit store under test; `between` runs after each seeding step (a SQLite store may read its model there). */
export interface AuditUnderTest {
  readonly store: AuditedStore;
  readonly between: () => Promise<void> | void;
  readonly cleanup: () => Promise<void>;
}

const at = (ms: number): string => new Date(Date.UTC(2026, 2, 7, 12, 0, 0) + ms).toISOString();
const meta = (ms: number, extra: Partial<EventMetadata> = {}): EventMetadata => ({ occurredAt: at(ms), ...extra });

const ARGUMENTS = { json: '{"query":"a, \\"quoted\\" word","token":"[REDACTED]"}', truncated: false, bytes: 47 };
const invoked = (tool: string, correlationId: string, outcome: 'success' | 'tool_error', extra: Record<string, unknown> = {}): HangarEvent =>
  ({
    type: 'ToolInvoked',
    data: { tool, correlationId, durationMs: 2.5, outcome, argumentsDigest: `digest-${correlationId}`, resultSize: 10, ...extra },
  }) as HangarEvent;
const failed = (tool: string, correlationId: string, errorCode: string): HangarEvent =>
  ({
    type: 'ToolInvocationFailed',
    data: { tool, correlationId, durationMs: 30000, errorCode, message: `${errorCode} on purpose`, argumentsDigest: `digest-${correlationId}` },
  }) as HangarEvent;

/**
 * Seeds the same history in every store: calls on three providers (one in a stream from before instances),
 * two instances, every kind of outcome, two calls of one millisecond, a call recorded after a later one
 * (its time is earlier than its position says), and events that are not calls. Positions:
 * 1 started (math@1) · 2 add success, alice, arguments recorded · 3 divide tool_error · 4 read TIMEOUT (fs,
 * bob; same millisecond as 3) · 5 add TOOL_NOT_FOUND (math@2, alice) · 6 add success (legacy `old`; the
 * correlation id of 2) · 7 instance started · 8 write success (fs; time before 2's).
 */
const seed = async ({ store, between }: AuditUnderTest): Promise<void> => {
  await store.append(
    'provider-math@1',
    [{ type: 'ProviderStarted', data: { pid: 42, protocolVersion: '2025-06-18', serverInfo: { name: 'math', version: '1' }, startupMs: 5 } }],
    0,
    meta(0),
  );
  await store.append('provider-math@1', [invoked('add', 'c-1', 'success', { arguments: ARGUMENTS })], 1, meta(1000, { caller: 'alice', correlationId: 'c-1' }));
  await store.append('provider-math@1', [invoked('divide', 'c-2', 'tool_error')], 2, meta(2000, { correlationId: 'c-2' }));
  await between();
  await store.append('provider-fs@1', [failed('read', 'c-3', 'TIMEOUT')], 0, meta(2000, { caller: 'bob', correlationId: 'c-3' }));
  await store.append('provider-math@2', [failed('add', 'c-4', 'TOOL_NOT_FOUND')], 0, meta(3000, { caller: 'alice', correlationId: 'c-4' }));
  await store.append('provider-old', [invoked('add', 'c-1', 'success')], 0, meta(4000));
  await store.append('instance-1', [{ type: 'InstanceStarted', data: { pid: 1, host: 'h', version: '0' } } as HangarEvent], 0, meta(4500));
  await between();
  await store.append('provider-fs@1', [invoked('write', 'c-5', 'success')], 1, meta(500));
  await between();
};

const positions = async (store: InvocationAudit, filter: Partial<InvocationFilter>): Promise<number[]> =>
  (await store.invocations({ limit: 100, ...filter })).invocations.map((r) => r.position);

/** Registers the cases every InvocationAudit adapter must pass. */
export function invocationAuditContract(name: string, make: () => Promise<AuditUnderTest>): void {
  const seeded = async (test: (store: AuditedStore) => Promise<void>) => {
    const sut = await make();
    try {
      await seed(sut);
      await test(sut.store);
    } finally {
      await sut.cleanup();
    }
  };

  describe(`${name} (InvocationAudit contract)`, () => {
    it('answers nothing on an empty store', async () => {
      const sut = await make();
      try {
        assert.deepEqual(await sut.store.invocations({ limit: 10 }), { invocations: [], nextBefore: null });
      } finally {
        await sut.cleanup();
      }
    });

    it('lists every recorded call newest first, by time then position; other events are not calls', () =>
      seeded(async (store) => {
        const page = await store.invocations({ limit: 100 });
        assert.deepEqual(
          page.invocations.map((r) => r.position),
          [6, 5, 4, 3, 2, 8],
        );
        assert.equal(page.nextBefore, null);
      }));

    it('gives each call its provider, instance, tool, outcome, duration, caller, correlation id and the arguments as recorded', () =>
      seeded(async (store) => {
        const byPosition = new Map((await store.invocations({ limit: 100 })).invocations.map((r) => [r.position, r]));
        const expected: InvocationRecord = {
          position: 2,
          occurredAt: at(1000),
          provider: 'math' as ProviderId,
          instance: '1' as InvocationRecord['instance'],
          tool: 'add',
          outcome: 'success',
          durationMs: 2.5,
          caller: 'alice',
          correlationId: 'c-1',
          arguments: ARGUMENTS,
          argumentsDigest: 'digest-c-1',
        };
        assert.deepEqual(byPosition.get(2), expected);
        assert.deepEqual(byPosition.get(5), {
          position: 5,
          occurredAt: at(3000),
          provider: 'math',
          instance: '2',
          tool: 'add',
          outcome: 'tool_not_found',
          durationMs: 30000,
          caller: 'alice',
          correlationId: 'c-4',
          arguments: null,
          argumentsDigest: 'digest-c-4',
        });
        const legacy = byPosition.get(6);
        assert.deepEqual([legacy?.provider, legacy?.instance, legacy?.caller, legacy?.arguments], ['old', null, null, null]);
        assert.equal(byPosition.get(3)?.outcome, 'tool_error');
        assert.equal(byPosition.get(4)?.outcome, 'timeout');
      }));

    const cases: readonly [string, Partial<InvocationFilter>, number[]][] = [
      ['a provider', { provider: 'math' as ProviderId }, [5, 3, 2]],
      ['a provider over instances', { provider: 'fs' as ProviderId }, [4, 8]],
      ['a provider of the streams before instances', { provider: 'old' as ProviderId }, [6]],
      ['a provider with no calls', { provider: 'nobody' as ProviderId }, []],
      ['a tool', { tool: 'add' }, [6, 5, 2]],
      ['since (inclusive)', { since: at(2000) }, [6, 5, 4, 3]],
      ['until (exclusive)', { until: at(2000) }, [2, 8]],
      ['a time range', { since: at(2000), until: at(3000) }, [4, 3]],
      ['success', { outcome: 'success' }, [6, 2, 8]],
      ['tool_error', { outcome: 'tool_error' }, [3]],
      ['an error code', { outcome: 'timeout' }, [4]],
      ['failed: every call without a result', { outcome: 'failed' }, [5, 4]],
      ['a correlation id', { correlationId: 'c-1' }, [6, 2]],
      ['a caller', { caller: 'alice' }, [5, 2]],
      ['another caller', { caller: 'bob' }, [4]],
      ['filters together', { provider: 'math' as ProviderId, outcome: 'failed' }, [5]],
      ['filters that exclude each other', { provider: 'fs' as ProviderId, caller: 'alice' }, []],
    ];
    for (const [what, filter, expected] of cases) {
      it(`filters by ${what}`, () => seeded(async (store) => assert.deepEqual(await positions(store, filter), expected)));
    }

    it('pages with the cursor it returns, without a gap or a repeat, and says when the last page is reached', () =>
      seeded(async (store) => {
        const first = await store.invocations({ limit: 2 });
        assert.deepEqual([first.invocations.map((r) => r.position), first.nextBefore], [[6, 5], 5]);
        const second = await store.invocations({ limit: 2, before: 5 });
        assert.deepEqual([second.invocations.map((r) => r.position), second.nextBefore], [[4, 3], 3]);
        const third = await store.invocations({ limit: 2, before: 3 });
        assert.deepEqual([third.invocations.map((r) => r.position), third.nextBefore], [[2, 8], null]);
        // With a filter, the cursor goes on within it.
        const math = await store.invocations({ limit: 1, provider: 'math' as ProviderId });
        assert.deepEqual([math.invocations.map((r) => r.position), math.nextBefore], [[5], 5]);
        assert.deepEqual(await positions(store, { provider: 'math' as ProviderId, before: 5 }), [3, 2]);
        assert.deepEqual(await positions(store, { before: 8 }), []);
      }));

    it('refuses a cursor that names no call', () =>
      seeded(async (store) => {
        for (const position of [7, 1, 99]) {
          await assert.rejects(store.invocations({ limit: 10, before: position }), (error: unknown) => {
            assert.ok(error instanceof UnknownInvocationCursor, String(error));
            assert.equal(error.position, position);
            return true;
          });
        }
      }));
  });
}
