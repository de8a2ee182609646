import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { ExportBefore, ExportOutcome, ExportVerification } from '../../application/ports/event-archive.js';
import type { ChainHead } from '../../application/ports/event-store.js';
import { ChainVerifier, GENESIS_HASH, type EventRow } from './hash-chain.js';

/**
 * Exports of the event log: JSON Lines, a header and then every event exactly as stored, so that the file
 * verifies on its own (the hash chain recomputed from the header's previous hash), without the store.
 *
 * Header (line 1): `{"format":"mcp-hangar-events","format_version":1,"from":1,"to":N,"count":N,
 * "previous_hash":"…","last_hash":"…","before":"…","created_at":"…"}`.
 * Each further line: `{"position","stream_id","stream_version","type","schema_version","data","metadata",
 * "occurred_at","hash"}`, `data` and `metadata` being the stored JSON text (the hash covers that text).
 */

export const EXPORT_FORMAT = 'mcp-hangar-events';
export const EXPORT_FORMAT_VERSION = 1;
/** Rows read (and written) at a time: memory stays flat however long the log. */
export const EXPORT_PAGE_ROWS = 10_000;

/** The log of exports next to the store at `storePath`: one JSON line per export. */
export const exportsLogPath = (storePath: string): string => `${storePath}.exports.jsonl`;

/** What an export reads of a store (the SQLite store). */
export interface ExportSource {
  /** Up to `limit` rows after `afterPosition`, as stored. */
  rawRows(afterPosition: number, limit: number): Promise<readonly EventRow[]>;
  hashAt(position: number): Promise<string | undefined>;
  /** The last position of an export ending before `before` (0: none); see {@link exportEvents}. */
  lastPositionBefore(before: ExportBefore): Promise<number>;
  /** Where the newest prune ended (its last position and that row's hash), if the store was pruned. */
  prunedThrough(): Promise<ChainHead | undefined>;
}

/** One stored row as an export line (without its newline). */
const rowLine = (row: EventRow): string =>
  JSON.stringify({
    position: row.position,
    stream_id: row.streamId,
    stream_version: row.streamVersion,
    type: row.type,
    schema_version: row.schemaVersion,
    data: row.data,
    metadata: row.metadata,
    occurred_at: row.occurredAt,
    hash: row.hash,
  });

const describeBefore = (before: ExportBefore): string => ('position' in before ? `position ${before.position}` : before.at);

/**
 * Writes every event from the store's first position through the last one before `before` (a position:
 * those below it; a time: through the last event that occurred before it, so that every event before that
 * time is in the export) to `out`, which must not exist. The rows are verified as they are written (the
 * chain from the previous hash); a break, or nothing to export, leaves no file. Once the file is written and
 * fsync'd, a line naming it (path, range, last hash, SHA-256 of the file, time) is appended to the exports log.
 */
export async function exportEvents(
  source: ExportSource,
  storePath: string,
  request: { readonly before: ExportBefore; readonly out: string },
  now: () => Date,
): Promise<ExportOutcome> {
  const path = resolve(request.out);
  // After a prune, an export starts where the prune ended: what came before is in the export it relied on,
  // and the rows left there (lifecycle events) no longer follow each other.
  const pruned = await source.prunedThrough();
  const first = (await source.rawRows(pruned?.position ?? 0, 1))[0];
  const to = await source.lastPositionBefore(request.before);
  if (first === undefined || to < first.position) return { ok: false, kind: 'nothing' };
  const from = first.position;
  const previousHash = from === 1 ? GENESIS_HASH : pruned !== undefined && from === pruned.position + 1 ? pruned.hash : await source.hashAt(from - 1);
  const lastHash = await source.hashAt(to);
  if (previousHash === undefined) {
    return { ok: false, kind: 'broken', position: from, reason: `the store starts at position ${from} and holds no hash for the row before it` };
  }
  if (lastHash === undefined) return { ok: false, kind: 'broken', position: to, reason: `row ${to} is missing (deleted)` };
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { ok: false, kind: 'exists', path };
    throw error;
  }
  const createdAt = now().toISOString();
  const sha = createHash('sha256');
  const write = (text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset);
    sha.update(bytes);
  };
  let complete = false;
  try {
    const header = {
      format: EXPORT_FORMAT,
      format_version: EXPORT_FORMAT_VERSION,
      from,
      to,
      count: to - from + 1,
      previous_hash: previousHash,
      last_hash: lastHash,
      before: describeBefore(request.before),
      created_at: createdAt,
    };
    write(`${JSON.stringify(header)}\n`);
    const verifier = new ChainVerifier({ position: from - 1, hash: previousHash });
    for (let after = from - 1; after < to;) {
      const page = await source.rawRows(after, Math.min(EXPORT_PAGE_ROWS, to - after));
      if (page.length === 0) break;
      let text = '';
      for (const row of page) {
        if (!verifier.next(row)) break;
        text += `${rowLine(row)}\n`;
      }
      write(text);
      const result = verifier.result();
      if (!result.ok) return { ok: false, kind: 'broken', position: result.position, reason: result.reason };
      after = (page[page.length - 1] as EventRow).position;
    }
    const end = verifier.head();
    if (end.position !== to) return { ok: false, kind: 'broken', position: end.position + 1, reason: `row ${end.position + 1} is missing (deleted)` };
    if (end.hash !== lastHash) return { ok: false, kind: 'broken', position: to, reason: 'the last row changed while it was exported' };
    fsyncSync(fd);
    complete = true;
  } finally {
    closeSync(fd);
    if (!complete) rmSync(path, { force: true });
  }
  const summary = { path, from, to, count: to - from + 1, previousHash, lastHash, sha256: sha.digest('hex'), createdAt, log: exportsLogPath(storePath) };
  appendDurably(
    summary.log,
    `${JSON.stringify({ path, from, to, count: summary.count, last_hash: lastHash, sha256: summary.sha256, before: describeBefore(request.before), created_at: createdAt })}\n`,
  );
  return { ok: true, summary };
}

/** A line of the exports log, as {@link exportEvents} appends it. */
export interface LoggedExport {
  readonly path: string;
  readonly from: number;
  readonly to: number;
  readonly last_hash: string;
  readonly sha256: string;
}

const isLoggedExport = (value: unknown): value is LoggedExport => {
  const v = value as Partial<LoggedExport> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.path === 'string' &&
    typeof v.from === 'number' &&
    typeof v.to === 'number' &&
    typeof v.last_hash === 'string' &&
    typeof v.sha256 === 'string'
  );
};

/** The exports logged next to the store at `storePath`, oldest first (a line that is not one is skipped). */
export const readExportsLog = (storePath: string): LoggedExport[] => {
  const log = exportsLogPath(storePath);
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        const value: unknown = JSON.parse(line);
        return isLoggedExport(value) ? [value] : [];
      } catch {
        return [];
      }
    });
};

/** Hex SHA-256 of a file, read as a stream (exports can be hundreds of MB): what the exports log records of each. */
export const sha256OfFile = (path: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });

/** Appends `text` to `path` (created if need be) and fsyncs it. */
const appendDurably = (path: string, text: string): void => {
  const fd = openSync(path, 'a', 0o644);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
};

const HEX64 = /^[0-9a-f]{64}$/;
const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;

/** The header's fields, or why it is not an export header. */
const readHeader = (line: string): { from: number; to: number; previousHash: string; lastHash: string; createdAt: string } | string => {
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return 'the first line is not JSON (not an export of mcp-hangar)';
  }
  if (header === null || typeof header !== 'object' || header['format'] !== EXPORT_FORMAT) return `the first line is not an ${EXPORT_FORMAT} header`;
  if (header['format_version'] !== EXPORT_FORMAT_VERSION)
    return `format version ${String(header['format_version'])} is not one this build reads (${EXPORT_FORMAT_VERSION})`;
  const { from, to, count, previous_hash: previousHash, last_hash: lastHash, created_at: createdAt } = header;
  if (!isCount(from) || from < 1 || !isCount(to) || to < from) return 'the header has no valid range (from, to)';
  if (count !== to - from + 1) return `the header's count ${String(count)} does not match its range ${from}..${to}`;
  if (typeof previousHash !== 'string' || !HEX64.test(previousHash)) return 'the header has no valid previous_hash';
  if (typeof lastHash !== 'string' || !HEX64.test(lastHash)) return 'the header has no valid last_hash';
  if (typeof createdAt !== 'string') return 'the header has no created_at';
  return { from, to, previousHash, lastHash, createdAt };
};

/** A line of an export as a stored row; an error message when it is not one. */
const readRow = (line: string): EventRow | string => {
  let row: Record<string, unknown>;
  try {
    row = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return 'not JSON';
  }
  if (row === null || typeof row !== 'object' || Array.isArray(row)) return 'not an event row';
  return {
    position: row['position'],
    streamId: row['stream_id'],
    streamVersion: row['stream_version'],
    type: row['type'],
    schemaVersion: row['schema_version'],
    data: row['data'],
    metadata: row['metadata'],
    occurredAt: row['occurred_at'],
    hash: row['hash'],
  } as EventRow; // the verifier checks each column's type
};

/**
 * Verifies an export file on its own: the header, then each row in order — contiguous positions from
 * `from`, each hash recomputed from the one before (the first from the header's previous hash) — ending at
 * `to` with the header's last hash. Each `anchors` head inside the range must be a row of the export.
 * Reads line by line: memory stays flat. The first problem names its line and position.
 */
export async function verifyExportFile(path: string, anchors: readonly ChainHead[] = []): Promise<ExportVerification> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  const wanted = new Map(anchors.map((a) => [a.position, a.hash]));
  let header: Exclude<ReturnType<typeof readHeader>, string> | undefined;
  let verifier: ChainVerifier | undefined;
  let number = 0;
  /** A problem at the line just read; `ofFile` for the file as a whole (its end). */
  const fail = (reason: string, position?: number, ofFile = false): ExportVerification => ({ ok: false, line: ofFile ? undefined : number, position, reason });
  try {
    for await (const line of lines) {
      number++;
      if (header === undefined) {
        const read = readHeader(line);
        if (typeof read === 'string') return fail(read);
        header = read;
        verifier = new ChainVerifier({ position: read.from - 1, hash: read.previousHash });
        continue;
      }
      const row = readRow(line);
      const expected = (verifier as ChainVerifier).head().position + 1;
      if (typeof row === 'string') return fail(`${row} (expected the event at position ${expected})`, expected);
      if (expected > header.to) return fail(`a row past the header's last position ${header.to}`, typeof row.position === 'number' ? row.position : undefined);
      if (!(verifier as ChainVerifier).next(row)) {
        const result = (verifier as ChainVerifier).result();
        return fail(result.ok ? 'broken' : result.reason, result.ok ? undefined : result.position);
      }
      const anchored = wanted.get(row.position);
      if (anchored !== undefined && anchored !== row.hash)
        return fail(`row ${row.position} holds another hash than the anchor ${row.position}:${anchored}`, row.position);
    }
  } finally {
    lines.close();
  }
  if (header === undefined || verifier === undefined) return fail('the file is empty (no header)', undefined, true);
  const end = verifier.head();
  if (end.position < header.to) {
    return fail(
      `the file ends at position ${end.position}; its header says ${header.to} (rows ${end.position + 1}..${header.to} are missing)`,
      end.position + 1,
      true,
    );
  }
  if (end.hash !== header.lastHash) return fail(`the last row's hash is not the header's last_hash`, end.position, true);
  const outside = anchors.find((a) => a.position < header.from || a.position > header.to);
  if (outside !== undefined)
    return fail(`the anchor ${outside.position}:${outside.hash} is outside this export (positions ${header.from}..${header.to})`, outside.position, true);
  return { ok: true, from: header.from, to: header.to, count: header.to - header.from + 1, lastHash: end.hash, createdAt: header.createdAt, anchors };
}
