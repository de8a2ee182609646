import type { ExportBefore } from './event-archive.js';

/** An export of the store's events (all types) from its first position through `throughPosition`, as recorded beside the store. */
export interface ExportRecord {
  readonly path: string;
  readonly fromPosition: number;
  readonly throughPosition: number;
  /** The hash of its last row: the store's row at `throughPosition` must still carry it. */
  readonly lastHash: string;
  readonly sha256: string;
}

/** The export a prune relies on, or why there is none it can rely on. */
export type ExportCheck = { readonly ok: true; readonly export: ExportRecord } | { readonly ok: false; readonly problem: string; readonly hint: string };

/** What a prune removes, and the export that holds it. */
export interface PruneOrder {
  /** Per-call events at or before this position are removed (but never the newest event of a stream). */
  readonly through: number;
  /** The point the user gave (`--before`), as written into the record. */
  readonly before: string;
  readonly exportPath: string;
  readonly exportSha256: string;
  readonly prunedAt: string;
  /** Positions never removed: the rows the anchors name, so that every anchor stays checkable. */
  readonly keep: ReadonlySet<number>;
}

/**
 * Retention of the record: exports written beside the store, and prunes of what they hold. Implemented
 * by the SQLite store's adapter (the export log next to the file, and the store's prune).
 */
export interface HistoryRetention {
  /** The last position before a point, as an export ending before it counts (0: none). */
  lastPositionBefore(before: ExportBefore): Promise<number>;
  /**
   * The newest export recorded beside the store that holds every event from the store's first position
   * through `through`, checked now: its file is where it was written, unchanged (SHA-256), and its last row
   * is this store's row at that position. Otherwise why not, and what to do.
   */
  coveringExport(through: number): Promise<ExportCheck>;
  /** The positions the anchors name: a prune keeps those rows, so every anchor stays checkable. */
  anchoredPositions(): Promise<ReadonlySet<number>>;
  /** Removes the per-call events at or before `order.through` but the newest of each stream; resolves to how many. */
  prune(order: PruneOrder): Promise<number>;
}
