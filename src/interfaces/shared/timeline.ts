import type { HistoryEntry } from '../../application/queries/provider-history.js';
import type { ProviderEvent } from '../../domain/provider/events.js';

type Summaries = { readonly [T in ProviderEvent['type']]: (data: Extract<ProviderEvent, { type: T }>['data']) => string };

const or = (value: string | number | null, fallback = '-'): string => (value === null ? fallback : String(value));

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
  ToolInvoked: (d) => `${d.tool} → ${d.outcome} in ${d.durationMs} ms`,
  ToolInvocationFailed: (d) => `${d.tool} → ${d.errorCode}: ${d.message}`,
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
