import { constants } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AnchorList, AnchorProblem, AnchorRecord, ChainAnchors } from '../../application/ports/chain-anchors.js';

/** The anchor file of the store at `storePath`: next to it, `<store>.anchors`. */
export const anchorFilePath = (storePath: string): string => `${storePath}.anchors`;

const LINE = /^(\d+):([0-9a-f]{64}) (\S+)(?: accepted-break (\d+)(?: (.*))?)?$/;

/**
 * One record as a line: `position:hash time`, and for an acceptance ` accepted-break <position> <reason>`.
 * The first word is what `audit anchor` prints and `audit verify --anchor` takes.
 */
export const formatAnchorLine = (record: AnchorRecord): string => {
  const head = `${record.head.position}:${record.head.hash} ${record.at}`;
  if (record.acceptedBreak === undefined) return head;
  return `${head} accepted-break ${record.acceptedBreak.position} ${record.acceptedBreak.reason.replace(/[\r\n]+/g, ' ')}`;
};

/** Parses the text of an anchor file; a last line cut short (a write torn by a crash) is left out silently. */
export const parseAnchorFile = (text: string): { records: AnchorRecord[]; problems: AnchorProblem[] } => {
  const records: AnchorRecord[] = [];
  const problems: AnchorProblem[] = [];
  const lines = text.split('\n');
  const torn = !text.endsWith('\n') ? lines.length - 1 : -1;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const match = LINE.exec(line);
    if (match === null || Number.isNaN(Date.parse(match[3] as string))) {
      if (i !== torn)
        problems.push({ line: i + 1, message: `not an anchor (expected "position:hash time"): ${line.length > 80 ? `${line.slice(0, 77)}...` : line}` });
      return;
    }
    const [, position, hash, at, broken, reason] = match;
    records.push({
      head: { position: Number(position), hash: hash as string },
      at: at as string,
      ...(broken === undefined ? {} : { acceptedBreak: { position: Number(broken), reason: reason ?? '' } }),
    });
  });
  return { records, problems };
};

/**
 * The anchors of a SQLite store, in a text file next to it, one per line. Appends open the file for
 * appending (O_APPEND: several hangars on one store append whole lines), write every line in one write,
 * and fsync it (and the folder, when the file was new) before resolving. The file is never rewritten.
 */
export class FileChainAnchors implements ChainAnchors {
  constructor(readonly location: string) {}

  /** The anchors of the store at `storePath`. */
  static beside(storePath: string): FileChainAnchors {
    return new FileChainAnchors(anchorFilePath(storePath));
  }

  async read(): Promise<AnchorList> {
    let text: string;
    try {
      text = await readFile(this.location, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, records: [], problems: [] };
      throw error;
    }
    return { exists: true, ...parseAnchorFile(text) };
  }

  async append(records: readonly AnchorRecord[]): Promise<void> {
    if (records.length === 0) return;
    const text = records.map((r) => `${formatAnchorLine(r)}\n`).join('');
    let created = false;
    let file = await open(this.location, constants.O_WRONLY | constants.O_APPEND).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
      return undefined;
    });
    if (file === undefined) {
      file = await open(this.location, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o644);
      created = true;
    }
    try {
      await file.write(text);
      await file.sync();
    } finally {
      await file.close();
    }
    if (created) await syncFolder(dirname(this.location));
  }
}

/** Makes a new file's entry in its folder durable (where folders can be opened: not on Windows). */
const syncFolder = async (folder: string): Promise<void> => {
  try {
    const handle = await open(folder, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: the anchor lines themselves are synced.
  }
};

/** Anchors in memory, for a hangar over an in-memory store (tests). */
export class MemoryChainAnchors implements ChainAnchors {
  readonly location = '<memory>';
  readonly records: AnchorRecord[] = [];

  async read(): Promise<AnchorList> {
    return { exists: this.records.length > 0, records: [...this.records], problems: [] };
  }

  async append(records: readonly AnchorRecord[]): Promise<void> {
    this.records.push(...records);
  }
}
