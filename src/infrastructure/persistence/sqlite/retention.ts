import type Database from 'better-sqlite3';
import type { PruneRecord } from '../../../application/ports/event-store.js';
import type { PruneOrder } from '../../../application/ports/history-retention.js';
import type { PrunedGap } from '../hash-chain.js';
import { INVOCATION_TYPES } from '../invocation-records.js';
import { yieldTurn } from './sqlite-support.js';

/** Rows examined per transaction: a live hangar's appends wait at most one chunk (tens of milliseconds). */
const CHUNK_ROWS = 5000;

/**
 * Deletes the per-call events at or before `through` — except the newest event of each stream, so that no
 * stream version is ever written twice and the chain head stays — in chunks, each one transaction that
 * leaves the file consistent (a crash mid-prune leaves a smaller prune, never a broken chain). For each kept
 * row whose predecessor is deleted, `chain_links` gets the hash that row links to. The rows `keep` names (the
 * anchored ones) are never removed. Records the prune in
 * `prunes` first and counts its events as it goes. Resolves to the number of events deleted.
 */
export async function pruneCalls(db: Database.Database, request: PruneOrder): Promise<number> {
  const through = db.prepare('SELECT occurred_at AS time, hash FROM events WHERE position = ?').get(request.through) as
    { time: string; hash: string } | undefined;
  if (through === undefined) throw new Error(`cannot prune through position ${request.through}: no event is stored there`);
  const record = db
    .prepare(
      'INSERT INTO prunes (through_position, through_time, through_hash, before, export_path, export_sha256, events, pruned_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)',
    )
    .run(request.through, through.time, through.hash, request.before, request.exportPath, request.exportSha256, request.prunedAt).lastInsertRowid;
  const page = db
    .prepare('SELECT position, stream_id, stream_version, type, hash FROM events WHERE position >= ? AND position <= ? ORDER BY position LIMIT ?')
    .raw();
  const newest = db.prepare('SELECT max(stream_version) FROM events WHERE stream_id = ?').pluck();
  const successor = db.prepare('SELECT position FROM events WHERE position > ? ORDER BY position LIMIT 1').pluck();
  const remove = db.prepare('DELETE FROM events WHERE position = ?');
  const linked = db.prepare('SELECT gap_from FROM chain_links WHERE position = ?').pluck();
  const unlink = db.prepare('DELETE FROM chain_links WHERE position = ?');
  const link = db.prepare('INSERT OR REPLACE INTO chain_links (position, gap_from, previous_hash) VALUES (?, ?, ?)');
  const count = db.prepare('UPDATE prunes SET events = events + ? WHERE id = ?');
  // What a prune removes: the events of tool calls, the bulk of any history. Lifecycle events are kept.
  const prunable = new Set(INVOCATION_TYPES);
  // Rows before the last prune's end were pruned already: start after it.
  const start = ((db.prepare('SELECT max(through_position) FROM prunes WHERE id < ?').pluck().get(record) as number | null) ?? 0) + 1;
  const chunk = db.transaction((from: number): { next: number | null; deleted: number } => {
    const rows = page.all(from, request.through, CHUNK_ROWS) as [number, string, number, string, string][];
    let deleted = 0;
    for (const [position, streamId, streamVersion, type, hash] of rows) {
      if (!prunable.has(type) || request.keep.has(position) || streamVersion >= (newest.get(streamId) as number)) continue;
      // The run of pruned rows this one ends so far began at it, or where the run before it began.
      const gapFrom = (linked.get(position) as number | undefined) ?? position;
      remove.run(position);
      unlink.run(position);
      const next = successor.get(position) as number | undefined;
      if (next !== undefined) link.run(next, gapFrom, hash);
      deleted++;
    }
    count.run(deleted, record);
    const last = rows.at(-1);
    return { next: rows.length < CHUNK_ROWS || last === undefined ? null : last[0] + 1, deleted };
  });
  let total = 0;
  for (let from: number | null = start; from !== null;) {
    const done = chunk.immediate(from);
    total += done.deleted;
    from = done.next;
    await yieldTurn();
  }
  return total;
}

/** The prunes made on this store, oldest first. */
export function readPrunes(db: Database.Database): PruneRecord[] {
  return db
    .prepare(
      'SELECT through_position AS throughPosition, through_time AS throughTime, through_hash AS throughHash, before, export_path AS exportPath, export_sha256 AS exportSha256, events, pruned_at AS prunedAt FROM prunes ORDER BY id',
    )
    .all() as PruneRecord[];
}

/** Position → where the run of pruned rows before it began, and the hash of its last row (what the row links to). */
export function readChainLinks(db: Database.Database): Map<number, PrunedGap> {
  const rows = db.prepare('SELECT position, gap_from, previous_hash FROM chain_links').raw().all() as [number, number, string][];
  return new Map(rows.map(([position, from, hash]) => [position, { from, hash }]));
}
