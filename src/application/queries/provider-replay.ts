import type { HangarEvent } from '../../domain/hangar-event.js';
import type { ProviderEvent } from '../../domain/provider/events.js';
import { providerDecider } from '../../domain/provider/provider.decider.js';
import type { ProviderState, ProviderStatus } from '../../domain/provider/state.js';
import type { InstanceId, ProviderId } from '../../domain/shared/ids.js';
import type { EventStore } from '../ports/event-store.js';
import type { HistoryEntry } from './provider-history.js';
import { providerHistory } from './provider-history.js';

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
}

export interface ReplayWindow extends ReplayAt {
  /** The state just before the window's first event. */
  readonly before: ReplayedState;
  /** Each event of the window with what it changed; `state` is the state after the last of them. */
  readonly steps: readonly ReplayStep[];
}

/** Parses a CLI or tool point: digits are a global position, anything else an ISO time; undefined when neither. */
export const parseReplayPoint = (value: string): ReplayPoint | undefined => {
  if (/^\d+$/.test(value)) return { position: Number(value) };
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : { at: new Date(ms).toISOString() };
};

/** Whether an event was recorded at or before the point. */
const upTo =
  (point: ReplayPoint) =>
  (event: HistoryEntry): boolean =>
    'position' in point ? event.position <= point.position : Date.parse(event.metadata.occurredAt) <= Date.parse(point.at);

/** Whether an event was recorded at or after the point. */
const from =
  (point: ReplayPoint) =>
  (event: HistoryEntry): boolean =>
    'position' in point ? event.position >= point.position : Date.parse(event.metadata.occurredAt) >= Date.parse(point.at);

const noCounters: ReplayCounters = { invocations: 0, toolErrors: 0, failedInvocations: 0, starts: 0, crashes: 0 };

const counted = (c: ReplayCounters, event: ProviderEvent): ReplayCounters => {
  switch (event.type) {
    case 'ToolInvoked':
      return { ...c, invocations: c.invocations + 1, toolErrors: c.toolErrors + (event.data.outcome === 'tool_error' ? 1 : 0) };
    case 'ToolInvocationFailed':
      return { ...c, invocations: c.invocations + 1, failedInvocations: c.failedInvocations + 1 };
    case 'ProviderStarted':
      return { ...c, starts: c.starts + 1 };
    case 'ProviderCrashed':
      return { ...c, crashes: c.crashes + 1 };
    default:
      return c;
  }
};

/** The fold: the domain's state (through the decider's own evolve), the counters, and the last event. */
interface Fold {
  readonly domain: ProviderState;
  readonly counters: ReplayCounters;
  readonly last: HistoryEntry | null;
}

const start = (): Fold => ({ domain: providerDecider.initialState(), counters: noCounters, last: null });

const step = (fold: Fold, event: HistoryEntry): Fold => ({
  domain: providerDecider.evolve(fold.domain, event),
  counters: counted(fold.counters, event),
  last: event,
});

const view = ({ domain, counters, last }: Fold): ReplayedState => {
  const lastEvent = last === null ? null : { position: last.position, occurredAt: last.metadata.occurredAt, type: last.type };
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

/** The instance to replay: the one asked for, else the instance of the latest of the events (null when none). */
const instanceOf = (events: readonly HistoryEntry[], asked: InstanceId | null | undefined): InstanceId | null =>
  asked !== undefined ? asked : (events[events.length - 1]?.instance ?? null);

/**
 * Rebuilds a provider's state at a moment, or walks a window of its events, from the events alone with the
 * domain's own `evolve` (the decider the hangar runs; no logic of its own). Each instance keeps a stream
 * of its own, so one instance's stream is replayed: the one asked for, else the latest with events by then.
 * Events of older schema versions come out of the store upcast, as they do for the hangar.
 */
export const replayProvider = (store: EventStore<HangarEvent>) => {
  const history = providerHistory(store);
  const of = async (query: ReplayQuery): Promise<readonly HistoryEntry[]> => history({ provider: query.provider });

  const at = async (query: ReplayQuery & { readonly point: ReplayPoint }): Promise<ReplayAt> => {
    const events = (await of(query)).filter(upTo(query.point));
    const instance = instanceOf(events, query.instance);
    const fold = events.filter((e) => e.instance === instance).reduce(step, start());
    return { provider: query.provider, instance, state: view(fold) };
  };

  const window = async (query: ReplayQuery & { readonly from: ReplayPoint; readonly to: ReplayPoint }): Promise<ReplayWindow> => {
    const events = (await of(query)).filter(upTo(query.to));
    const instance = instanceOf(events, query.instance);
    const stream = events.filter((e) => e.instance === instance);
    const inWindow = from(query.from);
    let fold = start();
    for (const e of stream) {
      if (inWindow(e)) break;
      fold = step(fold, e);
    }
    const before = view(fold);
    const steps: ReplayStep[] = [];
    for (const e of stream.filter(inWindow)) {
      const prior = view(fold);
      fold = step(fold, e);
      steps.push({ event: e, changes: stateChanges(prior, view(fold)) });
    }
    return { provider: query.provider, instance, before, state: view(fold), steps };
  };

  return { at, window };
};
