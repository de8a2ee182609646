import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { HangarEvent } from '../../src/domain/hangar-event.js';
import { EXPORT_PAGE_ROWS, exportEvents, exportsLogPath, verifyExportFile } from '../../src/infrastructure/persistence/event-export.js';
import { hangarEventRegistry } from '../../src/infrastructure/persistence/hangar-event-schemas.js';
import { EMPTY_HEAD, linkRows } from '../../src/infrastructure/persistence/hash-chain.js';
import { openSqliteEventStore, type SqliteEventStore } from '../../src/infrastructure/persistence/sqlite/sqlite-event-store.js';
import { tempDirs } from '../support/hangar-harness.js';

const ROWS = 2 * EXPORT_PAGE_ROWS + 500; // more than two pages
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const time = (position: number) => new Date(T0 + position * 1000).toISOString();

/** A store file of ROWS events, one a second from T0 (written row by row with the store's own linking). */
const buildStore = async (path: string): Promise<void> => {
  await openSqliteEventStore(path, { registry: hangarEventRegistry() }).close(); // creates and migrates
  const db = new Database(path);
  const insert = db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  let head = EMPTY_HEAD;
  db.transaction(() => {
    for (let p = 1; p <= ROWS; p++) {
      const event: HangarEvent = {
        type: 'ToolInvoked',
        data: { tool: 'add', correlationId: `c-${p}`, durationMs: 1, outcome: 'success', argumentsDigest: 'd', resultSize: 1 },
      };
      const stamp = { occurredAt: time(p), metadata: p % 7 === 0 ? '{"caller":"émile 🚀"}' : '{}', versionOf: () => 1 };
      head = linkRows(head, 'provider-math@1', p - 1, [event], stamp, (r) =>
        insert.run(r.position, r.streamId, r.streamVersion, r.type, r.schemaVersion, r.data, r.metadata, r.occurredAt, r.hash),
      );
    }
  })();
  db.close();
};

describe('exports of the event log, verified on their own', { timeout: 120_000 }, () => {
  const dirs = tempDirs('hangar-export-');
  let dir: string;
  let path: string;
  let store: SqliteEventStore<HangarEvent>;
  const now = () => new Date('2026-02-01T00:00:00.000Z');
  before(async () => {
    dir = dirs.make();
    path = join(dir, 'hangar.db');
    await buildStore(path);
    store = openSqliteEventStore(path, { registry: hangarEventRegistry(), readonly: true });
  });
  after(async () => {
    await store.close();
    dirs.removeAll();
  });

  it('verifies the generated store (astral characters in metadata pass the fast check’s fallback)', async () => {
    assert.deepEqual(await store.verifyChain(), { ok: true, count: ROWS });
  });

  it('writes every event before a position, page by page, with a header; the file verifies on its own and is logged', async () => {
    const out = join(dir, 'to-20000.jsonl');
    const result = await exportEvents(store, path, { before: { position: 20_001 }, out }, now);
    if (!result.ok) assert.fail(JSON.stringify(result));
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 20_001);
    const header = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.deepEqual(header, {
      format: 'mcp-hangar-events',
      format_version: 1,
      from: 1,
      to: 20_000,
      count: 20_000,
      previous_hash: '0'.repeat(64),
      last_hash: await store.hashAt(20_000),
      before: 'position 20001',
      created_at: '2026-02-01T00:00:00.000Z',
    });
    const row = JSON.parse(lines[7] as string) as Record<string, unknown>;
    assert.deepEqual(Object.keys(row), ['position', 'stream_id', 'stream_version', 'type', 'schema_version', 'data', 'metadata', 'occurred_at', 'hash']);
    assert.deepEqual([row['position'], row['metadata'], typeof row['data']], [7, '{"caller":"émile 🚀"}', 'string']);
    const sha256 = createHash('sha256').update(readFileSync(out)).digest('hex');
    assert.equal(result.summary.sha256, sha256);
    const log = readFileSync(exportsLogPath(path), 'utf8').trimEnd().split('\n');
    assert.deepEqual(JSON.parse(log.at(-1) as string), {
      path: out,
      from: 1,
      to: 20_000,
      count: 20_000,
      last_hash: header['last_hash'],
      sha256,
      before: 'position 20001',
      created_at: '2026-02-01T00:00:00.000Z',
    });
    const verified = await verifyExportFile(out, [{ position: 7, hash: row['hash'] as string }]);
    assert.deepEqual(verified.ok ? [verified.from, verified.to, verified.count] : verified, [1, 20_000, 20_000]);
  });

  it('ends a time export with the last event that occurred before it', async () => {
    const out = join(dir, 'before-time.jsonl');
    const written = await exportEvents(store, path, { before: { at: time(12_345) }, out }, now);
    assert.deepEqual(written.ok ? [written.summary.from, written.summary.to] : written, [1, 12_344]);
    const everything = await exportEvents(store, path, { before: { at: '2030-01-01T00:00:00.000Z' }, out: join(dir, 'all.jsonl') }, now);
    assert.deepEqual(everything.ok ? everything.summary.to : everything, ROWS);
    assert.equal((await verifyExportFile(join(dir, 'all.jsonl'))).ok, true);
  });

  it('refuses to overwrite a file, and exports nothing when no event is before the point', async () => {
    const out = join(dir, 'exists.jsonl');
    writeFileSync(out, 'mine\n');
    assert.deepEqual(await exportEvents(store, path, { before: { position: 10 }, out }, now), { ok: false, kind: 'exists', path: out });
    assert.equal(readFileSync(out, 'utf8'), 'mine\n');
    const none = join(dir, 'none.jsonl');
    assert.deepEqual(await exportEvents(store, path, { before: { at: time(0) }, out: none }, now), { ok: false, kind: 'nothing' });
    assert.equal(existsSync(none), false);
  });

  it('names the first bad line and position of an export: an altered line, a removed line, a cut-off end, a bad header', async () => {
    const out = join(dir, 'to-100.jsonl');
    const result = await exportEvents(store, path, { before: { position: 101 }, out }, now);
    assert.ok(result.ok);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    const variant = (name: string, edit: (lines: string[]) => string[]) => {
      const file = join(dir, name);
      writeFileSync(file, `${edit([...lines]).join('\n')}\n`);
      return verifyExportFile(file);
    };
    const altered = await variant('altered.jsonl', (l) => {
      l[42] = (l[42] as string).replace('c-42', 'c-forged');
      return l;
    });
    assert.deepEqual(altered.ok ? altered : [altered.line, altered.position], [43, 42]);
    assert.match(altered.ok ? '' : altered.reason, /hash does not match/);
    const removed = await variant('removed.jsonl', (l) => [...l.slice(0, 10), ...l.slice(11)]);
    assert.deepEqual(removed.ok ? removed : [removed.line, removed.position, removed.reason], [11, 10, 'row 10 is missing (deleted)']);
    const cut = await variant('cut.jsonl', (l) => l.slice(0, 91));
    assert.deepEqual(cut.ok ? cut : [cut.line, cut.position], [undefined, 91]);
    assert.match(cut.ok ? '' : cut.reason, /ends at position 90; its header says 100/);
    const header = await variant('header.jsonl', (l) => [(l[0] as string).replace('"to":100', '"to":99'), ...l.slice(1)]);
    assert.match(header.ok ? '' : header.reason, /count 100 does not match its range 1..99/);
    const notExport = await variant('other.jsonl', () => ['{"hello":1}']);
    assert.deepEqual(notExport.ok ? notExport : [notExport.line, notExport.reason], [1, 'the first line is not an mcp-hangar-events header']);
  });
});
