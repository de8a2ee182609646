import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { InvocationFilter } from '../../src/application/ports/invocation-audit.js';
import type { HangarEvent } from '../../src/domain/hangar-event.js';
import type { ProviderId } from '../../src/domain/shared/ids.js';
import { hangarEventRegistry } from '../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemoryEventStore } from '../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { migrate, SCHEMA_VERSION } from '../../src/infrastructure/persistence/sqlite/migrations.js';
import { openSqliteEventStore, type SqliteEventStore } from '../../src/infrastructure/persistence/sqlite/sqlite-event-store.js';
import { invocationAuditContract } from './invocation-audit.contract.js';

const root = mkdtempSync(join(tmpdir(), 'hangar-sqlite-invocations-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => {
  const dir = join(root, `case-${++counter}`);
  mkdirSync(dir);
  return join(dir, 'events.db');
};
const open = (path: string, readonly = false): SqliteEventStore<HangarEvent> => openSqliteEventStore(path, { registry: hangarEventRegistry(), readonly });

// The same answers whether the read model has read every event, some of them, or none (each query then
// computes the calls past its checkpoint from the events themselves).
invocationAuditContract('SqliteEventStore, its read model caught up after each step', async () => {
  const store = open(freshPath());
  return { store, between: () => void store.catchUpInvocations(), cleanup: () => store.close() };
});
invocationAuditContract('SqliteEventStore, its read model caught up half-way', async () => {
  const store = open(freshPath());
  let steps = 0;
  return { store, between: () => void (steps++ === 0 && store.catchUpInvocations()), cleanup: () => store.close() };
});
invocationAuditContract('SqliteEventStore, before its read model read any event', async () => {
  const store = open(freshPath());
  return { store, between: () => undefined, cleanup: () => store.close() };
});

const call = (n: number, provider = 'math', extra: Record<string, unknown> = {}) => ({
  stream: `provider-${provider}@1`,
  event: {
    type: 'ToolInvoked',
    data: {
      tool: 'add',
      correlationId: `c-${n}`,
      durationMs: 1,
      outcome: n % 2 === 0 ? 'success' : 'tool_error',
      argumentsDigest: `d-${n}`,
      resultSize: 1,
      ...extra,
    },
  } as HangarEvent,
});
const time = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString();

/** Appends `count` calls, one per turn, alternating over two providers. */
const appendCalls = async (store: SqliteEventStore<HangarEvent>, count: number, from = 0): Promise<void> => {
  const versions = new Map<string, number>();
  for (const stream of ['provider-math@1', 'provider-fs@1']) versions.set(stream, (await store.readStream(stream)).length);
  for (let n = from; n < from + count; n++) {
    const { stream, event } = call(n, n % 2 === 0 ? 'math' : 'fs');
    const version = versions.get(stream) ?? 0;
    versions.set(stream, version + 1);
    await store.append(stream, [event], version, { occurredAt: time(n) });
  }
};

/** The model's rows and checkpoint, read with a connection of their own. */
const modelOf = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return {
      rows: db.prepare('SELECT count(*) FROM invocations').pluck().get() as number,
      checkpoint: db.prepare("SELECT position FROM read_models WHERE name = 'invocations'").pluck().get() as number,
    };
  } finally {
    db.close();
  }
};

describe('SqliteEventStore: the invocations read model', () => {
  it('is filled by an upgrade from the events an older store holds (migration with backfill)', async () => {
    // An older store: only the first migration, holding real rows (hash-chained) written by the in-memory store.
    const memory = new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry() });
    await memory.append('provider-math', [call(0).event, call(1).event], 0, { occurredAt: time(0), correlationId: 'c-0' });
    await memory.append('provider-math@1', [call(2).event], 0, { occurredAt: time(2), caller: 'alice' });
    await memory.append(
      'provider-fs@1',
      [
        {
          type: 'ToolInvocationFailed',
          data: { tool: 'read', correlationId: 'c-3', durationMs: 5, errorCode: 'PROVIDER_CRASHED', message: 'exit 3', argumentsDigest: 'd-3' },
        },
      ],
      0,
      { occurredAt: time(3) },
    );
    await memory.append('instance-1', [{ type: 'InstanceStopped', data: { reason: 'shutdown' } } as HangarEvent], 0, { occurredAt: time(4) });
    const path = freshPath();
    const db = new Database(path);
    migrate(db, 1);
    const insert = db.prepare(
      'INSERT INTO events (position, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const r of memory.log.rows) insert.run(r.position, r.streamId, r.streamVersion, r.type, r.schemaVersion, r.data, r.metadata, r.occurredAt, r.hash);
    assert.equal(db.pragma('user_version', { simple: true }), 1);
    assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'invocations'").pluck().get(), 0);
    db.close();
    assert.throws(() => open(path, true), /schema version 1.*open it for writing once to migrate/, 'read-only opens do not migrate');

    const store = open(path);
    try {
      assert.deepEqual(modelOf(path), { rows: 4, checkpoint: 5 }, 'every call read, up to the last event');
      assert.deepEqual(await store.verifyChain(), { ok: true, count: 5 });
      const expected = await memory.invocations({ limit: 10 });
      assert.deepEqual(await store.invocations({ limit: 10 }), expected);
      assert.deepEqual(
        expected.invocations.map((r) => [r.position, r.provider, r.instance, r.outcome, r.caller]),
        [
          [4, 'fs', '1', 'provider_crashed', null],
          [3, 'math', '1', 'success', 'alice'],
          [2, 'math', null, 'tool_error', null],
          [1, 'math', null, 'success', null],
        ],
      );
    } finally {
      await store.close();
    }
    const raw = new Database(path, { readonly: true });
    assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    raw.close();
  });

  it('reads new events into the table in batches off the append path, and whatever is left when the store closes', async () => {
    const path = freshPath();
    const store = open(path);
    await appendCalls(store, 10);
    assert.deepEqual(modelOf(path), { rows: 0, checkpoint: 0 }, 'a few calls wait for the idle batch');
    assert.equal((await store.invocations({ limit: 100 })).invocations.length, 10, 'queries see them meanwhile');
    await appendCalls(store, 300, 10);
    await nextTurn();
    await nextTurn();
    const batched = modelOf(path);
    assert.ok(batched.rows >= 256 && batched.checkpoint === batched.rows, `a batch ran in a later turn: ${JSON.stringify(batched)}`);
    await appendCalls(store, 5, 310);
    await store.close();
    assert.deepEqual(modelOf(path), { rows: 315, checkpoint: 315 }, 'close reads the rest');
  });

  it('answers a read-only connection (the command line) from the table and the events it has not read', async () => {
    const path = freshPath();
    const writer = open(path);
    try {
      await appendCalls(writer, 4);
      writer.catchUpInvocations();
      await appendCalls(writer, 3, 4);
      const reader = open(path, true);
      try {
        assert.deepEqual(modelOf(path), { rows: 4, checkpoint: 4 });
        const page = await reader.invocations({ limit: 100 });
        assert.deepEqual(
          page.invocations.map((r) => r.position),
          [7, 6, 5, 4, 3, 2, 1],
        );
        assert.deepEqual(await reader.invocations({ limit: 100 }), await writer.invocations({ limit: 100 }));
      } finally {
        await reader.close();
      }
    } finally {
      await writer.close();
    }
  });

  it('loses the row of a deleted event (retention deletes old calls)', async () => {
    const path = freshPath();
    const store = open(path);
    await appendCalls(store, 4);
    store.catchUpInvocations();
    await store.close();
    const db = new Database(path);
    db.prepare('DELETE FROM events WHERE position <= 2').run();
    db.close();
    assert.deepEqual(modelOf(path).rows, 2);
    const again = open(path, true);
    try {
      assert.deepEqual(
        (await again.invocations({ limit: 10 })).invocations.map((r) => r.position),
        [4, 3],
      );
    } finally {
      await again.close();
    }
  });

  it('skips an event whose data is no longer JSON text (altered) instead of failing every query', async () => {
    const path = freshPath();
    const store = open(path);
    await appendCalls(store, 3);
    await store.close();
    const db = new Database(path);
    // Not read into the model yet: close read it. Alter one and let a new writer's batch read the rest.
    db.prepare("UPDATE read_models SET position = 0 WHERE name = 'invocations'").run();
    db.prepare('DELETE FROM invocations').run();
    db.prepare("UPDATE events SET data = 'not json' WHERE position = 2").run();
    db.close();
    const reader = open(path, true);
    try {
      assert.deepEqual(
        (await reader.invocations({ limit: 10 })).invocations.map((r) => r.position),
        [3, 1],
      );
    } finally {
      await reader.close();
    }
    const writer = open(path);
    writer.catchUpInvocations();
    await writer.close();
    assert.deepEqual(modelOf(path), { rows: 2, checkpoint: 3 });
  });

  it('reads a provider-and-day query in index order and stops at the limit (no sort of the matches)', async () => {
    const path = freshPath();
    const store = open(path);
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      const plan = (where: string) =>
        (
          db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM invocations WHERE ${where} ORDER BY occurred_ms DESC, position DESC LIMIT 100`).all() as {
            detail: string;
          }[]
        )
          .map((r) => r.detail)
          .join('; ');
      const filters: readonly [string, RegExp][] = [
        [
          "provider = 'p' AND occurred_ms >= 1 AND occurred_ms < 2",
          /USING INDEX invocations_by_provider \(provider=\? AND occurred_ms>\? AND occurred_ms<\?\)/,
        ],
        ['occurred_ms >= 1 AND occurred_ms < 2', /USING INDEX invocations_by_time/],
        ["caller = 'alice'", /USING INDEX invocations_by_caller \(caller=\?\)/],
        ["tool = 'add' AND occurred_ms >= 1", /USING INDEX invocations_by_tool \(tool=\? AND occurred_ms>\?\)/],
        ["provider = 'p' AND occurred_ms <= 1 AND (occurred_ms < 1 OR position < 5)", /USING INDEX invocations_by_provider \(provider=\? AND occurred_ms<\?\)/],
      ];
      for (const [where, index] of filters) {
        const detail = plan(where);
        assert.match(detail, index, where);
        assert.doesNotMatch(detail, /TEMP B-TREE/, `${where}: ${detail}`);
      }
      assert.match(plan("correlation_id = 'c'"), /USING INDEX invocations_by_correlation/);
      // The outcomes other than success (rare) have a partial index of their own; the query repeats its condition.
      for (const where of ["outcome <> 'success' AND outcome <> 'tool_error'", "outcome <> 'success' AND outcome = 'timeout'"]) {
        assert.match(plan(where), /USING INDEX invocations_not_success/, where);
        assert.doesNotMatch(plan(where), /TEMP B-TREE/, where);
      }
    } finally {
      db.close();
    }
  });

  it('pages through many calls of one provider and day in order', async () => {
    const path = freshPath();
    const store = open(path);
    try {
      await appendCalls(store, 40);
      store.catchUpInvocations();
      await appendCalls(store, 10, 40);
      const filter: InvocationFilter = { provider: 'math' as ProviderId, since: time(0), until: time(48), limit: 7 };
      const seen: number[] = [];
      let before: number | undefined;
      for (;;) {
        const page = await store.invocations({ ...filter, ...(before === undefined ? {} : { before }) });
        seen.push(...page.invocations.map((r) => r.position));
        if (page.nextBefore === null) break;
        before = page.nextBefore;
      }
      // math calls are the even n (positions n + 1), n < 48
      assert.deepEqual(
        seen,
        Array.from({ length: 24 }, (_, i) => 47 - 2 * i),
      );
    } finally {
      await store.close();
    }
  });
});
