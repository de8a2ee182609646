import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { HangarEvent } from '../../src/domain/hangar-event.js';
import type { ProviderEvent } from '../../src/domain/provider/events.js';
import { providerId } from '../../src/domain/shared/ids.js';
import { hangarEventRegistry } from '../../src/infrastructure/persistence/hangar-event-schemas.js';
import { openSqliteEventStore, type SqliteEventStore } from '../../src/infrastructure/persistence/sqlite/sqlite-event-store.js';
import { defaultSettings } from '../support/hangar-config.js';

const root = mkdtempSync(join(tmpdir(), 'hangar-retention-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

const at = (i: number): string => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
const registered = (id: string): ProviderEvent => ({
  type: 'ProviderRegistered',
  data: { providerId: providerId(id), mode: 'subprocess', description: '', configDigest: 'd', settings: defaultSettings, predefinedTools: [] },
});
const call = (i: number): ProviderEvent => ({
  type: 'ToolInvoked',
  data: { tool: 'add', correlationId: `c${i}`, durationMs: 1, outcome: 'success', argumentsDigest: 'a', resultSize: 1 },
});
const started: ProviderEvent = { type: 'ProviderStarted', data: { pid: 1, protocolVersion: null, serverInfo: null, startupMs: 1 } };

/** A store of `n` events over three streams: registrations, a start every 97 events, calls otherwise. */
const givenStore = async (n: number): Promise<{ store: SqliteEventStore<HangarEvent>; path: string; types: Map<number, string> }> => {
  const path = join(root, `case-${++counter}`, 'events.db');
  const store = openSqliteEventStore(path, { registry: hangarEventRegistry() });
  const streams = ['provider-a@1', 'provider-b@1', 'provider-c@1'];
  const versions = new Map<string, number>();
  const types = new Map<number, string>();
  for (let i = 1; i <= n; i++) {
    const stream = streams[i % 3] as string;
    const version = versions.get(stream) ?? 0;
    const event = version === 0 ? registered(stream.slice(9, 10)) : i % 97 === 0 ? started : call(i);
    await store.append(stream, [event], version, { occurredAt: at(i) });
    versions.set(stream, version + 1);
    types.set(i, event.type);
  }
  return { store, path, types };
};

const order = (through: number, keep: number[] = []) => ({
  through,
  before: String(through + 1),
  exportPath: '/exports/x.jsonl',
  exportSha256: 'f'.repeat(64),
  prunedAt: at(0),
  keep: new Set(keep),
});

describe('retention: pruning tool-call events from the SQLite store', () => {
  it('removes the calls up to a position in chunks, keeps lifecycle events, anchored rows and each stream newest, and the chain verifies over the gaps', async () => {
    const { store, path, types } = await givenStore(12_000);
    try {
      const removed = await store.prune(order(11_000, [500, 7001]));
      const db = new Database(path, { readonly: true });
      try {
        const kept = new Set(db.prepare('SELECT position FROM events').pluck().all() as number[]);
        for (let p = 1; p <= 12_000; p++) {
          const call = types.get(p) === 'ToolInvoked';
          const expectKept = !call || p > 11_000 || p === 500 || p === 7001;
          assert.equal(kept.has(p), expectKept, `position ${p} (${types.get(p)})`);
        }
        assert.equal(removed, 12_000 - kept.size);
      } finally {
        db.close();
      }
      assert.deepEqual(await store.verifyChain(), { ok: true, count: 12_000 - removed });
      const [prune] = await store.prunes();
      assert.equal(prune?.throughPosition, 11_000);
      assert.equal(prune?.events, removed);
    } finally {
      await store.close();
    }
  });

  it('never removes the newest event of a stream, so no stream version is ever written twice', async () => {
    const { store, path } = await givenStore(30);
    try {
      await store.prune(order(29));
      // Position 28 is the newest of its stream (provider-a@1 gets 3, 6, ..., 30; b 28): kept.
      const db = new Database(path, { readonly: true });
      const newest = db.prepare('SELECT stream_id, max(stream_version) AS v, max(position) AS p FROM events GROUP BY stream_id').all();
      db.close();
      assert.equal(newest.length, 3);
      await store.append('provider-b@1', [call(99)], 10, { occurredAt: at(99) });
      assert.equal((await store.verifyChain()).ok, true);
    } finally {
      await store.close();
    }
  });

  it('still finds a row altered, or a kept row deleted, after a prune', async () => {
    for (const tamper of ['UPDATE events SET data = replace(data, \'"pid":1\', \'"pid":2\') WHERE position = 97', 'DELETE FROM events WHERE position = 194']) {
      const { store, path } = await givenStore(300);
      try {
        await store.prune(order(250));
        const db = new Database(path);
        db.exec(tamper);
        db.close();
        const result = await store.verifyChain();
        assert.equal(result.ok, false, tamper);
      } finally {
        await store.close();
      }
    }
  });

  it('a second prune starts where the first ended, and both are recorded', async () => {
    const { store } = await givenStore(600);
    try {
      const first = await store.prune(order(200));
      const second = await store.prune(order(400));
      assert.ok(first > 0 && second > 0);
      assert.deepEqual(
        (await store.prunes()).map((p) => p.throughPosition),
        [200, 400],
      );
      assert.equal((await store.verifyChain()).ok, true);
      assert.deepEqual(await store.prunedThrough(), { position: 400, hash: (await store.prunes())[1]?.throughHash });
    } finally {
      await store.close();
    }
  });
});
