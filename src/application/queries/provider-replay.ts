import type { HangarEvent } from '../../domain/hangar-event.js';
import { isProviderEvent, type ProviderEvent } from '../../domain/provider/events.js';
import type { ProviderStatus } from '../../domain/provider/state.js';
import type { InstanceId, ProviderId } from '../../domain/shared/ids.js';
import { legacyProviderStreamId, parseStreamId, providerStreamId } from '../../domain/shared/streams.js';
import type { EventStore, PruneRecord } from '../ports/event-store.js';
import type { SnapshotStore } from '../ports/snapshot-store.js';
import { emptyEntry, ENTRY_SNAPSHOT_VERSION, entryOf, foldEntry, mutableCopy, type CatalogEntry } from '../projections/provider-catalog.projection.js';
import type { HistoryEntry } from './provider-history.js';
import { providerStreams } from './provider-history.js';

/** A moment of the record: an ISO time (events that occurred then or before) or a global position (inclusive). */
export type ReplayPoint = { readonly at: string } | { readonly position: number };

export interface ReplayCounters {
  /** Tool calls recorded: those that returned (ToolInvoked) and those that failed (ToolInvocationFailed). */
  readonly invocations: number;
  /** Calls that returned a result with isError (ToolInvoked, outcome tool_error). */
  readonly toolErrors: number;
  /** Calls that failed without a result from the tool (ToolInvocationFailed). */
  readonly failedInvocations: number;
  /** Successful starts (ProviderStarted). */
  readonly starts: number;
  readonly crashes: number;
}

/** A provider's state at a moment, as the domain's own `evolve` rebuilds it from the events of one instance stream. */
export interface ReplayedState {
  readonly status: ProviderStatus;
  readonly pid: number | null;
  readonly circuit: { readonly status: 'closed' | 'open' | 'half_open'; readonly failures: number; readonly probeAt: string | null };
  readonly consecutiveFailures: number;
  readonly retryAt: string | null;
  /** Tool names when the list is known (null: not yet listed, or recorded by digest only), and the digest. */
  readonly tools: { readonly names: readonly string[] | null; readonly digest: string | null };
  readonly counters: ReplayCounters;
  readonly lastError: { readonly code: string; readonly message: string } | null;
  /** The last event applied: its global position and time (null: none). */
  readonly lastEvent: { readonly position: number; readonly occurredAt: string; readonly type: ProviderEvent['type'] } | null;
}

/** One field that an event changed. */
export interface ReplayChange {
  readonly field: string;
  readonly before: string | number | null;
  readonly after: string | number | null;
}

export interface ReplayStep {
  readonly event: HistoryEntry;
  readonly changes: readonly ReplayChange[];
}

export interface ReplayQuery {
  readonly provider: ProviderId;
  /** The instance stream to replay; default the latest instance with events at the point (or in the window). */
  readonly instance?: InstanceId | null | undefined;
}

export interface ReplayAt {
  readonly provider: ProviderId;
  /** The instance replayed (null: the stream from before instances existed); undefined when there are no events. */
  readonly instance: InstanceId | null;
  readonly state: ReplayedState;
  /**
   * Set when the point lies in a pruned range: the per-call events up to `throughPosition` are no longer in
   * the store (the export at `exportPath` holds them), so the state was folded without them (call counters
   * and circuit failure counts may be low).
   */
  readonly pruned: { readonly throughPosition: number; readonly exportPath: string } | null;
}

export interface ReplayWindow extends ReplayAt {
  /** The state just before the window's first event. */
  readonly before: ReplayedState;
  /** Each event of the window with what it changed; `state` is the state after the last of them. */
  readonly steps: readonly ReplayStep[];
  /** When the window holds more events than the steps' limit: the position to go on from. */
  readonly more: { readonly from: number } | null;
}

/** Parses a CLI or tool point: digits are a global position, anything else an ISO time; undefined when neither. */
export const parseReplayPoint = (value: string): ReplayPoint | undefined => {
  if (/^\d+$/.test(value)) return { position: Number(value) };
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : { at: new Date(ms).toISOString() };
};

/** The read bound of a point: at or before a position, or occurred at or before a time (both inclusive). */
const bound = (point: ReplayPoint): { readonly toPosition: number } | { readonly until: string } =>
  'position' in point ? { toPosition: point.position } : { until: point.at };

/** The point just before another: the position before it, or a millisecond earlier. */
const justBefore = (point: ReplayPoint): ReplayPoint =>
  'position' in point ? { position: point.position - 1 } : { at: new Date(Date.parse(point.at) - 1).toISOString() };

/** The replayed view of a catalog entry (the fold the hangar's catalog keeps, from the domain's evolve). */
const view = (entry: CatalogEntry): ReplayedState => {
  const { state: domain, counters: c } = entry;
  const counters: ReplayCounters = {
    invocations: c.invocations + c.invocationFailures,
    toolErrors: c.toolErrors,
    failedInvocations: c.invocationFailures,
    starts: c.starts,
    crashes: c.crashes,
  };
  const lastEvent = entry.lastEventType === null ? null : { position: entry.lastPosition, occurredAt: entry.lastEventAt, type: entry.lastEventType };
  if (domain.status === 'unregistered') {
    return {
      status: 'unregistered',
      pid: null,
      circuit: { status: 'closed', failures: 0, probeAt: null },
      consecutiveFailures: 0,
      retryAt: null,
      tools: { names: null, digest: null },
      counters,
      lastError: null,
      lastEvent,
    };
  }
  return {
    status: domain.status,
    pid: domain.status === 'ready' ? domain.pid : null,
    circuit: { status: domain.circuit.status, failures: domain.circuit.failures, probeAt: domain.circuit.status === 'open' ? domain.circuit.probeAt : null },
    consecutiveFailures: domain.consecutiveFailures,
    retryAt: domain.status === 'degraded' ? domain.retryAt : null,
    tools: { names: domain.discoveredTools?.map((t) => t.name) ?? null, digest: domain.discoveredDigest },
    counters,
    lastError: domain.lastError === null ? null : { code: domain.lastError.code, message: domain.lastError.message },
    lastEvent,
  };
};

/** The fields a change is reported on, flat, in the order they are shown. */
const fields = (s: ReplayedState): Record<string, string | number | null> => ({
  status: s.status,
  pid: s.pid,
  circuit: s.circuit.status,
  circuitFailures: s.circuit.failures,
  probeAt: s.circuit.probeAt,
  consecutiveFailures: s.consecutiveFailures,
  retryAt: s.retryAt,
  tools: s.tools.names === null ? null : s.tools.names.join(','),
  toolsDigest: s.tools.digest,
  invocations: s.counters.invocations,
  toolErrors: s.counters.toolErrors,
  failedInvocations: s.counters.failedInvocations,
  starts: s.counters.starts,
  crashes: s.counters.crashes,
  lastError: s.lastError === null ? null : `${s.lastError.code}: ${s.lastError.message}`,
});

/** What differs between two states, field by field (the last event applied is not a change of state). */
export const stateChanges = (before: ReplayedState, after: ReplayedState): readonly ReplayChange[] => {
  const a = fields(before);
  const b = fields(after);
  return Object.keys(a)
    .filter((k) => a[k] !== b[k])
    .map((k) => ({ field: k, before: a[k] ?? null, after: b[k] ?? null }));
};

/** Steps a window shows at most when no limit is asked for, and at most with one. */
export const DEFAULT_REPLAY_STEPS = 1000;
export const MAX_REPLAY_STEPS = 10000;

/**
 * Rebuilds a provider's state at a moment, or walks a window of its events, from the events alone with the
 * fold the hangar's catalog runs (the domain's own `evolve`, plus counters; no logic of its own). Each
 * instance keeps a stream of its own, so one instance's stream is replayed: the one asked for, else the one
 * with the latest event by then. The fold starts from the stream's newest snapshot before the point (of this
 * fold's version) and reads only the events after it, so its cost does not grow with the history. Events of
 * older schema versions come out of the store upcast, as they do for the hangar.
 */
export const replayProvider = (store: EventStore<HangarEvent>, snapshots?: SnapshotStore) => {
  /** The stream replayed: the instance asked for, else the one whose last event by the point is the latest. */
  const streamOf = async (query: ReplayQuery, point: ReplayPoint): Promise<{ readonly streamId: string; readonly instance: InstanceId | null } | null> => {
    if (query.instance !== undefined) {
      return {
        streamId: query.instance === null ? legacyProviderStreamId(query.provider) : providerStreamId(query.provider, query.instance),
        instance: query.instance,
      };
    }
    let latest: { streamId: string; position: number } | null = null;
    for (const streamId of await providerStreams(store, query.provider)) {
      const [last] = await store.readStream(streamId, { ...bound(point), backward: true, limit: 1 });
      if (last !== undefined && (latest === null || last.position > latest.position)) latest = { streamId, position: last.position };
    }
    if (latest === null) return null;
    const parsed = parseStreamId(latest.streamId);
    return { streamId: latest.streamId, instance: parsed?.kind === 'provider' ? parsed.instance : null };
  };

  /** The stream's entry folded up to the point: from its newest snapshot by then, plus the events after it. */
  const foldTo = async (provider: ProviderId, stream: { readonly streamId: string; readonly instance: InstanceId | null }, point: ReplayPoint) => {
    const snapshot = await snapshots?.at(stream.streamId, ENTRY_SNAPSHOT_VERSION, bound(point));
    const entry = mutableCopy(snapshot === undefined ? emptyEntry(stream.streamId, provider, stream.instance) : entryOf(snapshot, provider, stream.instance));
    for (const event of await store.readStream(stream.streamId, { ...bound(point), fromVersion: entry.streamVersion + 1 })) {
      if (isProviderEvent(event)) foldEntry(entry, event);
    }
    return entry;
  };

  /**
   * The newest prune whose range holds the point: a fold up to it would need events that are gone. (A point
   * after a prune folds from the snapshot the prune saved at its end, which is exact.)
   */
  const prunedAt = async (point: ReplayPoint): Promise<ReplayAt['pruned']> => {
    const inRange = (p: PruneRecord): boolean => p.events > 0 && ('position' in point ? point.position <= p.throughPosition : point.at < p.throughTime);
    const prune = (await store.prunes()).filter(inRange).at(-1);
    return prune === undefined ? null : { throughPosition: prune.throughPosition, exportPath: prune.exportPath };
  };

  const at = async (query: ReplayQuery & { readonly point: ReplayPoint }): Promise<ReplayAt> => {
    const stream = await streamOf(query, query.point);
    if (stream === null) return { provider: query.provider, instance: query.instance ?? null, state: view(emptyEntry('', query.provider, null)), pruned: null };
    const entry = await foldTo(query.provider, stream, query.point);
    return { provider: query.provider, instance: stream.instance, state: view(entry), pruned: await prunedAt(query.point) };
  };

  const window = async (
    query: ReplayQuery & { readonly from: ReplayPoint; readonly to: ReplayPoint; readonly limit?: number | undefined },
  ): Promise<ReplayWindow> => {
    const limit = Math.min(query.limit ?? DEFAULT_REPLAY_STEPS, MAX_REPLAY_STEPS);
    const stream = await streamOf(query, query.to);
    if (stream === null) {
      const none = view(emptyEntry('', query.provider, null));
      return { provider: query.provider, instance: query.instance ?? null, before: none, state: none, steps: [], more: null, pruned: null };
    }
    const entry = await foldTo(query.provider, stream, justBefore(query.from));
    const pruned = await prunedAt(query.from);
    const before = view(entry);
    const inWindow = await store.readStream(stream.streamId, { ...bound(query.to), fromVersion: entry.streamVersion + 1, limit: limit + 1 });
    const steps: ReplayStep[] = [];
    let prior = before;
    for (const event of inWindow.slice(0, limit)) {
      if (!isProviderEvent(event)) continue;
      foldEntry(entry, event);
      const after = view(entry);
      steps.push({ event: { ...event, instance: stream.instance }, changes: stateChanges(prior, after) });
      prior = after;
    }
    const next = inWindow[limit];
    return {
      provider: query.provider,
      instance: stream.instance,
      before,
      state: prior,
      steps,
      more: next === undefined ? null : { from: next.position },
      pruned,
    };
  };

  return { at, window, foldTo };
};
