import type { HistoryEntry } from '../../application/queries/provider-history.js';
import type { ReplayAt, ReplayedState, ReplayWindow } from '../../application/queries/provider-replay.js';
import type { ArgumentsRecord, ProviderEvent } from '../../domain/provider/events.js';

type Summaries = { readonly [T in ProviderEvent['type']]: (data: Extract<ProviderEvent, { type: T }>['data']) => string };

const or = (value: string | number | null, fallback = '-'): string => (value === null ? fallback : String(value));

/** How much of a call's recorded arguments a timeline line shows. */
const SHOWN_ARGUMENTS = 80;

/**
 * A call's recorded arguments, shortened for one line: ` {"a":1,"b":2}`, or its first characters and `…`
 * (the whole record is in `history --json`). Nothing when only a digest or nothing was recorded.
 */
const shownArguments = (d: ArgumentsRecord): string => {
  const recorded = d.arguments;
  if (recorded === undefined) return '';
  if (recorded.json.length <= SHOWN_ARGUMENTS && !recorded.truncated) return ` ${recorded.json}`;
  const end = SHOWN_ARGUMENTS - 1;
  // Never half a surrogate pair.
  const high = recorded.json.charCodeAt(end - 1);
  return ` ${recorded.json.slice(0, high >= 0xd800 && high <= 0xdbff ? end - 1 : end)}…`;
};

/** One readable summary per event type; a new event type does not compile until it has one. */
const SUMMARIES: Summaries = {
  ProviderRegistered: (d) => `mode ${d.mode}, ${d.predefinedTools.length} predefined tools`,
  ProviderConfigChanged: (d) => `new config digest ${d.configDigest.slice(0, 12)}`,
  ProviderDeregistered: (d) => d.reason,
  ProviderStartRequested: (d) => `reason ${d.reason}, attempt ${d.attempt}`,
  ProviderStarted: (d) => `pid ${or(d.pid)}, ready in ${d.startupMs} ms`,
  ProviderStartFailed: (d) => `${d.message} (exit ${or(d.exitCode)}) — ${d.hint}`,
  // Names and how many, never the schemas; a list too large to record kept only its count.
  ToolsDiscovered: (d) =>
    d.tools.length === d.count ? `${d.count} tools: ${d.tools.map((t) => t.name).join(', ')}` : `${d.count} tools (too many to record their names)`,
  ProviderStopped: (d) => `reason ${d.reason}`,
  ProviderCrashed: (d) => `exit ${or(d.exitCode)}${d.signal ? ` signal ${d.signal}` : ''}, ${d.inFlightCalls} calls in flight`,
  ProviderDegraded: (d) => `after ${d.consecutiveFailures} failures; retry at ${d.retryAt}`,
  ToolInvoked: (d) => `${d.tool}${shownArguments(d)} → ${d.outcome} in ${d.durationMs} ms`,
  ToolInvocationFailed: (d) => `${d.tool}${shownArguments(d)} → ${d.errorCode}: ${d.message}`,
  HealthCheckFailed: (d) => `${d.consecutiveFailures} in a row: ${d.message}`,
  ProviderRecovered: (d) => (d.after === 'restart' ? `started again after ${d.failures} failures` : `health check passed after ${d.failures} failures`),
  CircuitOpened: (d) => `after ${d.failures} failures (${d.reason}); probe at ${d.probeAt}`,
  CircuitHalfOpened: (d) => `one probe call admitted at ${d.since}`,
  CircuitClosed: () => 'the probe call succeeded',
};

/** The summary of one event (the mapped type above keeps each function with its own event's data). */
export const summarise = (event: ProviderEvent): string => (SUMMARIES[event.type] as (data: ProviderEvent['data']) => string)(event.data);

/**
 * One readable line per event: position, time, instance, type, and what it says. Shared by the CLI's
 * `history` and the `registry_history` tool's text, so that both read the same.
 */
export const formatTimeline = (provider: string, events: readonly HistoryEntry[]): string => {
  if (events.length === 0) return `${provider}: no events recorded`;
  const width = Math.max(...events.map((e) => e.type.length));
  const lines = events.map((e) => {
    const instance = `@${e.instance ?? '-'}`.padEnd(4);
    return `#${String(e.position).padEnd(6)} ${e.metadata.occurredAt}  ${instance} ${e.type.padEnd(width)}  ${summarise(e)}`;
  });
  return [`${provider} — ${events.length} events`, ...lines].join('\n');
};

const shown = (value: string | number | null): string => (value === null ? '-' : String(value));

/** A replayed state as a compact block of text (the CLI's `replay --at` and the `registry_replay` tool's text). */
export const formatReplayedState = (provider: string, instance: string | null, s: ReplayedState): string => {
  const last = s.lastEvent === null ? 'no events by then' : `#${s.lastEvent.position} ${s.lastEvent.occurredAt} ${s.lastEvent.type}`;
  const circuit = `${s.circuit.status} (${s.circuit.failures} failures${s.circuit.probeAt === null ? '' : `, probe at ${s.circuit.probeAt}`})`;
  const tools =
    s.tools.names === null
      ? `unknown${s.tools.digest === null ? '' : ` (digest ${s.tools.digest.slice(0, 12)})`}`
      : `${s.tools.names.length}: ${s.tools.names.join(', ')}${s.tools.digest === null ? '' : ` (digest ${s.tools.digest.slice(0, 12)})`}`;
  const c = s.counters;
  return [
    `${provider} @${instance ?? '-'} — as of ${last}`,
    `  status                ${s.status}${s.pid === null ? '' : ` (pid ${s.pid})`}`,
    `  circuit               ${circuit}`,
    `  consecutive failures  ${s.consecutiveFailures}${s.retryAt === null ? '' : `; retry at ${s.retryAt}`}`,
    `  tools                 ${tools}`,
    `  calls                 ${c.invocations} invocations, ${c.toolErrors} tool errors, ${c.failedInvocations} failed; ${c.starts} starts, ${c.crashes} crashes`,
    `  last error            ${s.lastError === null ? '-' : `${s.lastError.code}: ${s.lastError.message}`}`,
  ].join('\n');
};

/** A replayed window: one line per event (position, time, type, summary) and the state fields it changed. */
export const formatReplayWindow = (r: ReplayWindow): string => {
  if (r.steps.length === 0) return `${r.provider} @${r.instance ?? '-'}: no events in the window`;
  const width = Math.max(...r.steps.map((s) => s.event.type.length));
  const lines = r.steps.map(({ event, changes }) => {
    const changed = changes.length === 0 ? '(no change)' : changes.map((c) => `${c.field}: ${shown(c.before)} → ${shown(c.after)}`).join('; ');
    return `#${String(event.position).padEnd(6)} ${event.metadata.occurredAt}  ${event.type.padEnd(width)}  ${summarise(event)}\n        ${changed}`;
  });
  const more = r.more === null ? [] : [`… the window holds more events: go on from position ${r.more.from}`];
  return [`${r.provider} @${r.instance ?? '-'} — ${r.steps.length} events`, ...prunedNote(r.pruned), ...lines, ...more].join('\n');
};

/** What a replay says when its point lies in a pruned range. */
const prunedNote = (pruned: ReplayAt['pruned']): string[] =>
  pruned === null
    ? []
    : [
        `  note: the tool calls up to #${pruned.throughPosition} were pruned from the store (their export: ${pruned.exportPath}); ` +
          'this state was rebuilt without them, so call counters and circuit failures may be low',
      ];

export const formatReplayAt = (r: ReplayAt): string => [formatReplayedState(r.provider, r.instance, r.state), ...prunedNote(r.pruned)].join('\n');
