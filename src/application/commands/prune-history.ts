import type { HangarEvent } from '../../domain/hangar-event.js';
import type { Clock } from '../ports/clock.js';
import type { EventStore } from '../ports/event-store.js';
import type { ExportRecord, HistoryRetention } from '../ports/history-retention.js';
import type { SnapshotStore } from '../ports/snapshot-store.js';
import { ENTRY_SNAPSHOT_VERSION, snapshotOf } from '../projections/provider-catalog.projection.js';
import type { ExportBefore } from '../ports/event-archive.js';
import { replayProvider } from '../queries/provider-replay.js';
import { parseStreamId } from '../../domain/shared/streams.js';

/** What a prune came to. */
export type PruneOutcome =
  | { readonly kind: 'nothing'; readonly reason: string }
  | { readonly kind: 'refused'; readonly problem: string; readonly hint: string }
  | { readonly kind: 'pruned'; readonly through: number; readonly events: number; readonly snapshots: number; readonly export: ExportRecord };

/**
 * Removes the per-call events (ToolInvoked, ToolInvocationFailed) recorded before a point, only when an
 * export holds them:
 * 1. the point becomes a position: the last event before it, as an export counts (never the newest event of the store);
 * 2. an export recorded beside the store must cover the store from its first position through there, and
 *    still be intact (`HistoryRetention.coveringExport`); otherwise nothing is removed;
 * 3. every provider stream gets a snapshot of its state at that position (folded from its nearest snapshot),
 *    so that boot and replay after the point are exact without the removed events;
 * 4. the store removes them, keeping the newest event of each stream and the rows the anchors name, and
 *    links the chain over the gaps.
 */
export const pruneHistory =
  (deps: { readonly store: EventStore<HangarEvent>; readonly snapshots: SnapshotStore; readonly retention: HistoryRetention; readonly clock: Clock }) =>
  async (before: ExportBefore, asGiven: string): Promise<PruneOutcome> => {
    const { store, snapshots, retention, clock } = deps;
    const head = await store.lastPosition();
    const last = await retention.lastPositionBefore(before);
    if (last === 0) return { kind: 'nothing', reason: 'no event was recorded before that point' };
    const through = Math.min(last, head - 1);
    if (through < 1) return { kind: 'nothing', reason: 'the newest event is never pruned, and there is no other before that point' };
    const previous = (await store.prunes()).at(-1);
    if (previous !== undefined && through <= previous.throughPosition) {
      return { kind: 'nothing', reason: `the calls up to position ${previous.throughPosition} were pruned already` };
    }
    const covering = await retention.coveringExport(through);
    if (!covering.ok) return { kind: 'refused', problem: covering.problem, hint: covering.hint };

    const replay = replayProvider(store, snapshots);
    const checkpoints = [];
    for (const streamId of await store.streamIds('provider-')) {
      const stream = parseStreamId(streamId);
      if (stream?.kind !== 'provider') continue;
      const entry = await replay.foldTo(stream.provider, { streamId, instance: stream.instance }, { position: through });
      if (entry.streamVersion > 0) checkpoints.push(snapshotOf(entry));
    }
    await snapshots.save(ENTRY_SNAPSHOT_VERSION, checkpoints);
    const events = await retention.prune({
      through,
      before: asGiven,
      exportPath: covering.export.path,
      exportSha256: covering.export.sha256,
      prunedAt: new Date(clock.now()).toISOString(),
      keep: await retention.anchoredPositions(),
    });
    return { kind: 'pruned', through, events, snapshots: checkpoints.length, export: covering.export };
  };
