import type { SnapshotPoint, SnapshotStore, StreamSnapshot } from '../../../application/ports/snapshot-store.js';

/** Snapshots in memory (tests, in-memory stores); stored as JSON text, as the SQLite store keeps them. */
export class InMemorySnapshotStore implements SnapshotStore {
  /** By version, then stream id: the stream's snapshots in stream-version order. */
  private readonly byVersion = new Map<string, Map<string, (StreamSnapshot & { readonly text: string })[]>>();

  async latestOfEach(version: string): Promise<ReadonlyMap<string, StreamSnapshot>> {
    const latest = new Map<string, StreamSnapshot>();
    for (const [streamId, list] of this.byVersion.get(version) ?? []) {
      const last = list.at(-1);
      if (last !== undefined) latest.set(streamId, this.read(last));
    }
    return latest;
  }

  async at(streamId: string, version: string, point: SnapshotPoint): Promise<StreamSnapshot | undefined> {
    const list = this.byVersion.get(version)?.get(streamId) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i] as StreamSnapshot & { readonly text: string };
      if ((point.toPosition === undefined || s.position <= point.toPosition) && (point.until === undefined || s.occurredAt <= point.until)) return this.read(s);
    }
    return undefined;
  }

  async save(version: string, snapshots: readonly StreamSnapshot[]): Promise<void> {
    let streams = this.byVersion.get(version);
    if (streams === undefined) this.byVersion.set(version, (streams = new Map()));
    for (const snapshot of snapshots) {
      const list = streams.get(snapshot.streamId) ?? [];
      const stored = { ...snapshot, data: undefined, text: JSON.stringify(snapshot.data) };
      const kept = list.filter((s) => s.streamVersion !== snapshot.streamVersion);
      kept.push(stored);
      kept.sort((a, b) => a.streamVersion - b.streamVersion);
      streams.set(snapshot.streamId, kept);
    }
  }

  async discardOtherVersions(version: string): Promise<number> {
    let count = 0;
    for (const [v, streams] of this.byVersion) {
      if (v === version) continue;
      for (const list of streams.values()) count += list.length;
      this.byVersion.delete(v);
    }
    return count;
  }

  private read(s: StreamSnapshot & { readonly text: string }): StreamSnapshot {
    return { streamId: s.streamId, streamVersion: s.streamVersion, position: s.position, occurredAt: s.occurredAt, data: JSON.parse(s.text) as unknown };
  }
}
