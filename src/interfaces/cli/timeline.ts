import type { HistoryEntry } from '../../application/queries/provider-history.js';

type Data = Record<string, unknown>;
const s = (v: unknown) => (v === null || v === undefined ? '-' : String(v));

const SUMMARIES: Record<string, (d: Data) => string> = {
  ProviderRegistered: (d) => `mode ${s(d['mode'])}, ${(d['predefinedTools'] as unknown[] | undefined)?.length ?? 0} predefined tools`,
  ProviderConfigChanged: (d) => `new config digest ${s(d['configDigest']).slice(0, 12)}`,
  ProviderDeregistered: (d) => s(d['reason']),
  ProviderStartRequested: (d) => `reason ${s(d['reason'])}, attempt ${s(d['attempt'])}`,
  ProviderStarted: (d) => `pid ${s(d['pid'])}, ready in ${s(d['startupMs'])} ms`,
  ProviderStartFailed: (d) => `${s(d['message'])} (exit ${s(d['exitCode'])}) — ${s(d['hint'])}`,
  ToolsDiscovered: (d) => `${(d['tools'] as { name: string }[]).length} tools: ${(d['tools'] as { name: string }[]).map((t) => t.name).join(', ')}`,
  ProviderStopped: (d) => `reason ${s(d['reason'])}`,
  ProviderCrashed: (d) => `exit ${s(d['exitCode'])}${d['signal'] ? ` signal ${s(d['signal'])}` : ''}, ${s(d['inFlightCalls'])} calls in flight`,
  ProviderDegraded: (d) => `after ${s(d['consecutiveFailures'])} failures; retry at ${s(d['retryAt'])}`,
  ToolInvoked: (d) => `${s(d['tool'])} → ${s(d['outcome'])} in ${s(d['durationMs'])} ms`,
  ToolInvocationFailed: (d) => `${s(d['tool'])} → ${s(d['errorCode'])}: ${s(d['message'])}`,
};

/** One readable line per event: position, time, type, and what it says. */
export const formatTimeline = (provider: string, events: readonly HistoryEntry[]): string => {
  if (events.length === 0) return `${provider}: no events recorded`;
  const width = Math.max(...events.map((e) => e.type.length));
  const lines = events.map((e) => {
    const summary = SUMMARIES[e.type]?.(e.data as Data) ?? JSON.stringify(e.data);
    return `#${String(e.position).padEnd(6)} ${e.occurred_at}  ${e.type.padEnd(width)}  ${summary}`;
  });
  return [`${provider} — ${events.length} events`, ...lines].join('\n');
};
