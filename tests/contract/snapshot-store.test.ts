import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SnapshotStore, StreamSnapshot } from '../../src/application/ports/snapshot-store.js';
import { hangarEventRegistry } from '../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemorySnapshotStore } from '../../src/infrastructure/persistence/memory/in-memory-snapshot-store.js';
import { openSqliteEventStore } from '../../src/infrastructure/persistence/sqlite/sqlite-event-store.js';

const root = mkdtempSync(join(tmpdir(), 'hangar-snapshots-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

const at = (second: number): string => new Date(Date.UTC(2026, 0, 1) + second * 1000).toISOString();
const snap = (streamId: string, streamVersion: number, position: number, data: unknown = { v: streamVersion }): StreamSnapshot => ({
  streamId,
  streamVersion,
  position,
  occurredAt: at(position),
  data,
});

const contract = (name: string, open: () => Promise<{ snapshots: SnapshotStore; reopen?: () => SnapshotStore; close: () => Promise<void> }>) =>
  describe(`${name} (snapshot store contract)`, () => {
    it('answers the newest snapshot of each stream, of the version asked for only', async () => {
      const { snapshots, close } = await open();
      try {
        await snapshots.save('v1', [snap('a', 1000, 1500), snap('a', 2000, 3100), snap('b', 1000, 2000)]);
        await snapshots.save('v0', [snap('a', 3000, 4000)]);
        const latest = await snapshots.latestOfEach('v1');
        assert.deepEqual([...latest.values()], [snap('a', 2000, 3100), snap('b', 1000, 2000)]);
        assert.deepEqual([...(await snapshots.latestOfEach('v2')).values()], []);
      } finally {
        await close();
      }
    });

    it('finds the newest snapshot of a stream at or before a position or a time', async () => {
      const { snapshots, close } = await open();
      try {
        await snapshots.save('v1', [snap('a', 1000, 1500), snap('a', 2000, 3100), snap('a', 3000, 4200)]);
        assert.equal((await snapshots.at('a', 'v1', { toPosition: 3100 }))?.streamVersion, 2000, 'inclusive');
        assert.equal((await snapshots.at('a', 'v1', { toPosition: 3099 }))?.streamVersion, 1000);
        assert.equal(await snapshots.at('a', 'v1', { toPosition: 1499 }), undefined);
        assert.equal((await snapshots.at('a', 'v1', { until: at(4199) }))?.streamVersion, 2000);
        assert.equal((await snapshots.at('a', 'v1', {}))?.streamVersion, 3000);
        assert.equal(await snapshots.at('a', 'v2', {}), undefined, 'another version');
        assert.equal(await snapshots.at('b', 'v1', {}), undefined);
      } finally {
        await close();
      }
    });

    it('replaces a snapshot saved again, keeps what it holds as JSON, and discards other versions', async () => {
      const { snapshots, close, reopen } = await open();
      try {
        await snapshots.save('v1', [snap('a', 1000, 1500, { x: 1 })]);
        await snapshots.save('v1', [snap('a', 1000, 1500, { x: 2, nested: { list: [1, 'two', null] } })]);
        await snapshots.save('v0', [snap('a', 1000, 1500), snap('b', 1, 1)]);
        assert.deepEqual((await snapshots.at('a', 'v1', {}))?.data, { x: 2, nested: { list: [1, 'two', null] } });
        assert.equal(await snapshots.discardOtherVersions('v1'), 2);
        assert.equal(await snapshots.at('b', 'v0', {}), undefined);
        if (reopen) assert.deepEqual((await reopen().at('a', 'v1', {}))?.data, { x: 2, nested: { list: [1, 'two', null] } }, 'kept in the file');
      } finally {
        await close();
      }
    });
  });

contract('InMemorySnapshotStore', async () => ({ snapshots: new InMemorySnapshotStore(), close: async () => undefined }));

contract('SqliteSnapshotStore', async () => {
  const path = join(root, `case-${++counter}`, 'events.db');
  const store = openSqliteEventStore(path, { registry: hangarEventRegistry() });
  const readers: { close(): Promise<void> }[] = [];
  return {
    snapshots: store.snapshots(),
    reopen: () => {
      const reader = openSqliteEventStore(path, { registry: hangarEventRegistry(), readonly: true });
      readers.push(reader);
      return reader.snapshots();
    },
    close: async () => {
      for (const reader of readers) await reader.close();
      await store.close();
    },
  };
});
