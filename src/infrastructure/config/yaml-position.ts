import { isAlias, isCollection, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

/** A 1-based line and column, or nulls when nothing in the file can be pointed at. */
export interface Position {
  readonly line: number | null;
  readonly column: number | null;
}

const UNKNOWN: Position = { line: null, column: null };

const keyText = (key: unknown): string | undefined => {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
};

const start = (node: unknown): number | undefined =>
  node !== null && typeof node === 'object' && 'range' in node && Array.isArray(node.range) ? (node.range[0] as number) : undefined;

/**
 * Finds where a path of the parsed document is written, falling back to the nearest existing parent when the
 * path does not exist (a missing required key points at its map's key line).
 *
 * With `at: 'key'` it points at the map key itself (an unknown key, a bad provider id). For a value that is
 * a block map or list, it points at the key that owns it, since the block itself starts on the next line.
 */
export const positionOf = (doc: Document, lines: LineCounter, path: readonly (string | number)[], at: 'key' | 'value'): Position => {
  let node: unknown = doc.contents;
  let fallback = start(node);
  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => keyText(item.key) === String(segment));
      if (pair === undefined) break;
      const keyStart = start(pair.key);
      if (last && at === 'key') return toPosition(lines, keyStart ?? fallback);
      fallback = keyStart ?? fallback;
      node = pair.value;
      if (last) return toPosition(lines, valueStart(node) ?? fallback);
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      node = item;
      fallback = start(item) ?? fallback;
      if (last) return toPosition(lines, fallback);
    } else {
      break;
    }
  }
  return path.length === 0 ? toPosition(lines, valueStart(node) ?? fallback) : toPosition(lines, fallback);
};

const valueStart = (node: unknown): number | undefined => {
  if (node === null || node === undefined) return undefined;
  if (isCollection(node) && node.flow !== true) return undefined;
  return start(node as Node);
};

/** The 1-based position of a character offset. */
export const toPosition = (lines: LineCounter, offset: number | undefined): Position => {
  if (offset === undefined) return UNKNOWN;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
};
