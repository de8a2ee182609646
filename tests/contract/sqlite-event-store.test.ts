import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { EventRegistry } from '../../src/infrastructure/persistence/event-registry.js';
import { hashEventRow } from '../../src/infrastructure/persistence/hash-chain.js';
import { SCHEMA_VERSION } from '../../src/infrastructure/persistence/sqlite/migrations.js';
import { openSqliteEventStore, type SqliteEventStoreOptions } from '../../src/infrastructure/persistence/sqlite/sqlite-event-store.js';
import { StoreUnusable } from '../../src/infrastructure/persistence/sqlite/store-problems.js';
import { commitsInWal } from '../support/wal-commits.js';
import { at, contractRegistry, eventStoreContract, greetingFixture, invoked, type ContractEvent, type ContractStore } from './event-store.contract.js';

const root = mkdtempSync(join(tmpdir(), 'hangar-sqlite-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => join(root, `case-${++counter}`, 'events.db');

eventStoreContract('SqliteEventStore', async (registry?: EventRegistry<ContractEvent>) => {
  const path = freshPath();
  const stores: ContractStore[] = [];
  const open = (r: EventRegistry<ContractEvent> = contractRegistry()) => {
    const store = openSqliteEventStore(path, { registry: r });
    stores.push(store);
    return store;
  };
  return {
    store: open(registry),
    reopen: async (r?: EventRegistry<ContractEvent>) => open(r),
    cleanup: async () => {
      for (const store of stores) await store.close();
      rmSync(join(path, '..'), { recursive: true, force: true });
    },
  };
});

/** Opens a store, runs `test`, closes it (also on failure). */
const using = async <T>(path: string, options: Partial<SqliteEventStoreOptions<ContractEvent>>, test: (store: ContractStore) => Promise<T>): Promise<T> => {
  const store = openSqliteEventStore(path, { registry: contractRegistry(), ...options });
  try {
    return await test(store);
  } finally {
    await store.close();
  }
};

/** A store file with five events over two streams, closed. */
const seeded = async (): Promise<string> => {
  const path = freshPath();
  await using(path, {}, async (store) => {
    await store.append('provider-math', [invoked('add', 1), invoked('add', 2)], 0, { occurredAt: at(1) });
    await store.append('provider-fs', [invoked('read', 3)], 0, { occurredAt: at(2), correlationId: 'c-3' });
    await store.append('provider-math', [invoked('sub', 4), invoked('mul', 5)], 2, { occurredAt: at(3) });
  });
  return path;
};

const tamper = (path: string, sql: string, ...params: unknown[]) => {
  const db = new Database(path);
  try {
    assert.equal(db.prepare(sql).run(...params).changes, 1, `tampering statement changed one row: ${sql}`);
  } finally {
    db.close();
  }
};

describe('SqliteEventStore (file)', () => {
  it('commits the appends of one turn in one transaction, and appends awaited one by one in one each', async () => {
    const path = freshPath();
    await using(path, {}, async (store) => {
      const before = commitsInWal(path);
      const turn = await Promise.all(
        Array.from({ length: 16 }, (_, n) =>
          store.append(n % 2 === 0 ? 'provider-a' : 'provider-b', [invoked('x', n)], Math.floor(n / 2), { occurredAt: at(1) }),
        ),
      );
      assert.deepEqual(
        turn.map((events) => events[0]?.position),
        Array.from({ length: 16 }, (_, n) => n + 1),
      );
      const afterTurn = commitsInWal(path);
      assert.equal(afterTurn - before, 1, '16 appends of one turn, one commit');
      for (let n = 0; n < 4; n++) await store.append('provider-a', [invoked('y', n)], 8 + n, { occurredAt: at(2) });
      assert.equal(commitsInWal(path) - afterTurn, 4, 'each awaited append is a commit of its own');
      assert.deepEqual(await store.verifyChain(), { ok: true, count: 20 });
    });
  });

  it('commits the appends issued by the continuations of one turn together', async () => {
    const path = freshPath();
    await using(path, {}, async (store) => {
      const before = commitsInWal(path);
      await null; // from here on this test runs as a promise continuation, as a handler after an await does
      const first = store.append('provider-a', [invoked('x', 0)], 0, { occurredAt: at(1) });
      // Continuations that run in this turn: chained, and nested in another microtask.
      const chained = Promise.resolve()
        .then(() => undefined)
        .then(() => store.append('provider-a', [invoked('x', 1)], 1, { occurredAt: at(1) }));
      const nested = new Promise((resolve) =>
        queueMicrotask(() => queueMicrotask(() => resolve(store.append('provider-b', [invoked('x', 2)], 0, { occurredAt: at(1) })))),
      );
      await Promise.all([first, chained, nested]);
      assert.equal(commitsInWal(path) - before, 1, 'one commit for the appends of the continuations of one turn');
      assert.deepEqual(await store.verifyChain(), { ok: true, count: 3 });
    });
  });

  it('fails every append of a batch with one error when its transaction cannot start, and recovers after', async () => {
    const path = freshPath();
    await using(path, { busyTimeoutMs: 0 }, async (store) => {
      await store.append('provider-a', [invoked('x', 0)], 0, { occurredAt: at(1) });
      const other = new Database(path);
      try {
        other.prepare('BEGIN IMMEDIATE').run(); // holds the write lock
        other
          .prepare(
            "INSERT INTO events (position, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, hash) VALUES (2, 'x', 1, 't', 1, '{}', '{}', '', '')",
          )
          .run();
        const outcomes = await Promise.allSettled([
          store.append('provider-a', [invoked('x', 1)], 1, { occurredAt: at(1) }),
          store.append('provider-b', [invoked('x', 2)], 0, { occurredAt: at(1) }),
        ]);
        const [a, b] = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error) : undefined));
        assert.ok(a instanceof StoreUnusable, `StoreUnusable, got ${String(a)}`);
        assert.match(a.message, /locked|busy/i);
        assert.equal(b, a, 'the same error for every append of the batch');
        other.prepare('ROLLBACK').run();
      } finally {
        other.close();
      }
      const [next] = await store.append('provider-a', [invoked('x', 3)], 1, { occurredAt: at(2) });
      assert.equal(next?.position, 2);
      assert.deepEqual(await store.verifyChain(), { ok: true, count: 2 });
    });
  });

  it('commits appends still waiting for their batch when closed, and refuses appends after close', async () => {
    const path = freshPath();
    const store = openSqliteEventStore(path, { registry: contractRegistry() });
    const pending = store.append('provider-a', [invoked('x', 1)], 0, { occurredAt: at(1) });
    const closing = store.close();
    await assert.rejects(store.append('provider-a', [invoked('x', 2)], 1, { occurredAt: at(1) }), /closed/);
    assert.equal((await pending)[0]?.position, 1);
    await closing;
    await using(path, {}, async (reopened) => assert.equal(await reopened.lastPosition(), 1));
  });

  it('reads only committed data while appends wait for their batch', async () => {
    const path = freshPath();
    await using(path, {}, async (store) => {
      const pending = store.append('provider-a', [invoked('x', 1)], 0, { occurredAt: at(1) });
      assert.equal(await store.lastPosition(), 0);
      await pending;
      assert.equal(await store.lastPosition(), 1);
    });
  });

  it('creates the parent folder, keeps events across close and reopen, and folds the WAL back on close', async () => {
    const path = await seeded();
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close checkpoints and removes the WAL');
    await using(path, {}, async (store) => {
      assert.equal(await store.lastPosition(), 5);
      assert.deepEqual(
        (await store.readStream('provider-math')).map((e) => (e.data as { tool: string }).tool),
        ['add', 'add', 'sub', 'mul'],
      );
      const [next] = await store.append('provider-math', [invoked('div', 6)], 4, { occurredAt: at(4) });
      assert.deepEqual([next?.position, next?.streamVersion], [6, 5]);
      assert.deepEqual(await store.verifyChain(), { ok: true, count: 6 });
    });
  });

  it('runs in WAL mode at the current schema version', async () => {
    const path = freshPath();
    await using(path, {}, async () => {
      const db = new Database(path, { readonly: true });
      try {
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      } finally {
        db.close();
      }
    });
  });

  it('refuses a file written by a newer schema', async () => {
    const path = await seeded();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    assert.throws(() => openSqliteEventStore(path, { registry: contractRegistry() }), /schema version 99/);
  });

  const cases: readonly [string, string, readonly unknown[], number, RegExp][] = [
    ['a row whose data was altered', 'UPDATE events SET data = replace(data, \'"add"\', \'"sub"\') WHERE position = ?', [2], 2, /hash/],
    ['a deleted row', 'DELETE FROM events WHERE position = ?', [3], 3, /missing/],
    ['a deleted first row', 'DELETE FROM events WHERE position = ?', [1], 1, /missing/],
    ['an altered hash', 'UPDATE events SET hash = ? WHERE position = 4', ['f'.repeat(64)], 4, /hash/],
    ['altered metadata', 'UPDATE events SET metadata = ? WHERE position = 3', ['{"correlationId":"forged"}'], 3, /hash/],
    ['an altered occurred_at', 'UPDATE events SET occurred_at = ? WHERE position = 5', [at(59)], 5, /hash/],
    ['a moved stream version', 'UPDATE events SET stream_version = 9 WHERE position = ?', [5], 5, /hash/],
    ['a mistyped column', "UPDATE events SET data = x'7b7d' WHERE position = ?", [2], 2, /column/],
  ];
  for (const [what, sql, params, position, reason] of cases) {
    it(`names the position of ${what} in verifyChain`, async () => {
      const path = await seeded();
      tamper(path, sql, ...params);
      await using(path, {}, async (store) => {
        const result = await store.verifyChain();
        if (result.ok) assert.fail(`verifyChain missed ${what}`);
        assert.equal(result.position, position);
        assert.match(result.reason, reason);
        assert.equal(result.count, position - 1);
      });
    });
  }

  const anchorAt = (path: string, position: number) => {
    const db = new Database(path, { readonly: true });
    try {
      return { position, hash: db.prepare('SELECT hash FROM events WHERE position = ?').pluck().get(position) as string };
    } finally {
      db.close();
    }
  };
  const partialCases: readonly [string, string, number, RegExp, number][] = [
    ['a row altered after the anchor', 'UPDATE events SET data = replace(data, \'"sub"\', \'"add"\') WHERE position = 4', 4, /hash does not match/, 1],
    ['a row deleted after the anchor', 'DELETE FROM events WHERE position = 4', 4, /row 4 is missing \(deleted\)/, 1],
    ['the anchored row deleted', 'DELETE FROM events WHERE position = 2', 2, /row 2 is missing \(deleted\)/, 0],
    [
      'the newest rows deleted, anchor included (truncation)',
      'DELETE FROM events WHERE position >= 2',
      2,
      /row 2 is missing: the store ends at position 1 \(its newest/,
      0,
    ],
  ];
  for (const [what, sql, position, reason, count] of partialCases) {
    it(`verifying from an anchor finds ${what}`, async () => {
      const path = await seeded();
      const anchor = anchorAt(path, 2);
      const db = new Database(path);
      db.exec(sql);
      db.close();
      await using(path, { readonly: true }, async (store) => {
        const result = await store.verifyChain(anchor);
        if (result.ok) assert.fail(`missed ${what}`);
        assert.deepEqual([result.position, result.count], [position, count]);
        assert.match(result.reason, reason);
      });
    });
  }

  it('names the row a break was found at, to verify on past it', async () => {
    const path = await seeded();
    tamper(path, 'DELETE FROM events WHERE position = ?', 2);
    tamper(path, 'UPDATE events SET data = replace(data, \'"sub"\', \'"div"\') WHERE position = ?', 4);
    await using(path, { readonly: true }, async (store) => {
      const first = await store.verifyChain();
      assert.deepEqual(first.ok ? undefined : [first.position, first.resumeAt], [2, { position: 3, hash: await store.hashAt(3) }]);
      const second = await store.verifyChain(first.ok ? undefined : first.resumeAt);
      assert.deepEqual(second.ok ? undefined : [second.position, second.count, second.resumeAt], [4, 0, { position: 4, hash: await store.hashAt(4) }]);
      assert.deepEqual(await store.verifyChain(second.ok ? undefined : second.resumeAt), { ok: true, count: 1 });
    });
  });

  it('refuses to read a row whose column has the wrong type, naming its position', async () => {
    const path = await seeded();
    tamper(path, "UPDATE events SET data = x'7b7d' WHERE position = ?", 2);
    await using(path, {}, async (store) => {
      await assert.rejects(store.readStream('provider-math'), /position 2: data is not text/);
    });
  });

  it('catches a forged row whose own hash was recomputed, at the next row', async () => {
    const path = await seeded();
    const db = new Database(path);
    const row = db
      .prepare(
        'SELECT position, stream_id AS streamId, stream_version AS streamVersion, type, schema_version AS schemaVersion, data, metadata, occurred_at AS occurredAt FROM events WHERE position = 2',
      )
      .get() as Parameters<typeof hashEventRow>[1];
    const previous = db.prepare('SELECT hash FROM events WHERE position = 1').pluck().get() as string;
    const forged = { ...row, data: row.data.replace('"add"', '"rm"') };
    db.prepare('UPDATE events SET data = ?, hash = ? WHERE position = 2').run(forged.data, hashEventRow(previous, forged));
    db.close();
    await using(path, {}, async (store) => {
      const result = await store.verifyChain();
      assert.deepEqual(result.ok ? undefined : [result.position, result.count], [3, 2]);
    });
  });

  it('reads a stored schema-version-1 row (frozen fixture) upcast to the current version 3', async () => {
    const path = freshPath();
    await using(path, {}, async () => undefined);
    const content = {
      position: 1,
      streamId: 'stream-greetings',
      streamVersion: 1,
      type: greetingFixture.type,
      schemaVersion: 1,
      data: JSON.stringify(greetingFixture.v1),
      metadata: '{}',
      occurredAt: at(7),
    };
    const db = new Database(path);
    db.prepare(
      'INSERT INTO events (position, stream_id, stream_version, type, schema_version, data, metadata, occurred_at, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(...Object.values(content), hashEventRow('0'.repeat(64), content));
    db.close();
    await using(path, { registry: contractRegistry(3) }, async (store) => {
      const [event] = await store.readStream('stream-greetings');
      assert.deepEqual([event?.schemaVersion, event?.data, event?.metadata], [3, greetingFixture.v3, { occurredAt: at(7) }]);
      assert.deepEqual(await store.verifyChain(), { ok: true, count: 1 });
    });
  });

  it('lets a read-only store read, and verify, while a writer appends', async () => {
    const path = freshPath();
    await using(path, {}, async (writer) => {
      await writer.append('provider-math', [invoked('add', 1)], 0, { occurredAt: at(1) });
      await using(path, { readonly: true }, async (reader) => {
        assert.equal(await reader.lastPosition(), 1);
        for (let v = 1; v <= 50; v++) await writer.append('provider-math', [invoked('add', v + 1)], v, { occurredAt: at(2) });
        assert.equal((await reader.readStream('provider-math')).length, 51);
        assert.deepEqual(await reader.verifyChain(), { ok: true, count: 51 });
        await assert.rejects(reader.append('provider-math', [invoked('add')], 51, { occurredAt: at(3) }), /read-only/);
      });
      assert.equal(await writer.lastPosition(), 51);
    });
  });

  it('refuses a read-only open of a file that does not exist, without creating it', () => {
    const path = join(root, 'nowhere', 'events.db');
    assert.throws(() => openSqliteEventStore(path, { registry: contractRegistry(), readonly: true }));
    assert.equal(existsSync(join(root, 'nowhere')), false);
  });
});
