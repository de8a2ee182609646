/**
 * A snapshot of one stream's folded state: what a read model (the catalog) knew of the stream once it had
 * folded every event up to `streamVersion`. Snapshots only save work: whatever they hold can be rebuilt
 * from the events, and a snapshot of another `version` of the fold is never used.
 */
export interface StreamSnapshot {
  readonly streamId: string;
  /** The last stream version folded into it (inclusive). */
  readonly streamVersion: number;
  /** The global position of that event. */
  readonly position: number;
  /** When that event occurred (ISO). */
  readonly occurredAt: string;
  /** The folded state, JSON-safe. */
  readonly data: unknown;
}

/** Where a snapshot may lie: at or before a global position and/or a time (both inclusive). */
export interface SnapshotPoint {
  readonly toPosition?: number | undefined;
  readonly until?: string | undefined;
}

/**
 * Stream snapshots, kept beside the events (the SQLite store keeps them in the same file). Every call
 * names the fold's version: a snapshot saved by a fold of another version is invisible, so a change to the
 * decider (which bumps the version) makes the next boot fold from the events again and save afresh.
 */
export interface SnapshotStore {
  /** The newest snapshot of every stream that has one in `version`, by stream id. */
  latestOfEach(version: string): Promise<ReadonlyMap<string, StreamSnapshot>>;
  /** The newest snapshot of one stream in `version` that lies at or before the point. */
  at(streamId: string, version: string, point: SnapshotPoint): Promise<StreamSnapshot | undefined>;
  /** Saves snapshots (one transaction); saving one that exists (same stream, version and stream version) replaces it. */
  save(version: string, snapshots: readonly StreamSnapshot[]): Promise<void>;
  /** Deletes the snapshots of every other version; resolves to how many there were. */
  discardOtherVersions(version: string): Promise<number>;
}
