import type { RetryMetadata } from '../../application/commands/invoke-with-retry.js';
import type { WarmResult } from '../../application/commands/warm-providers.js';
import type { LastError } from '../../domain/provider/state.js';
import type { ProviderSummary } from '../../application/queries/list-providers.js';
import type { ProviderDetails } from '../../application/queries/provider-details.js';
import type { HistoryEntry } from '../../application/queries/provider-history.js';
import type { ReplayAt, ReplayedState, ReplayWindow } from '../../application/queries/provider-replay.js';
import type { RegistryHealth } from '../../application/queries/registry-health.js';

/**
 * The registry tools' wire shapes: snake_case keys, as MCP clients and the README know them. The
 * application returns camelCase domain shapes; these functions are the only translation. Recorded
 * event data is passed through as stored (it is the record, not a view of it).
 */

const seconds = (ms: number): number => Math.round(ms / 100) / 10;

/** A recorded failure: code, message, and for a failed start its hint and stderr tail. */
export const lastErrorDto = (e: LastError | null) =>
  e === null
    ? null
    : {
        code: e.code,
        message: e.message,
        ...(e.hint !== undefined ? { hint: e.hint } : {}),
        ...(e.stderrTail !== undefined ? { stderr_tail: e.stderrTail } : {}),
      };

/** `tools_count` is null and `tools_known` false while nobody knows the tools (never started, none predefined). */
export const providerSummaryDto = (p: ProviderSummary) => ({
  id: p.id,
  mode: p.mode,
  state: p.state,
  tools_count: p.toolsCount,
  tools_known: p.toolsKnown,
  description: p.description,
  start_failure: lastErrorDto(p.startFailure),
});

export const detailsDto = (d: ProviderDetails) => ({
  id: d.id,
  instance: d.instance,
  mode: d.mode,
  description: d.description,
  state: d.state,
  config: d.launch ? { mode: d.launch.mode, command: d.launch.command, cwd: d.launch.cwd, env_keys: d.launch.envKeys } : null,
  settings: {
    idle_ttl_s: d.settings.idleTtlS,
    health_check_interval_s: d.settings.healthCheckIntervalS,
    max_consecutive_failures: d.settings.maxConsecutiveFailures,
    timeout_s: d.settings.timeoutS,
    circuit_breaker: { failure_threshold: d.settings.circuitBreaker.failureThreshold, reset_timeout_s: d.settings.circuitBreaker.resetTimeoutS },
  },
  process: d.process
    ? {
        pid: d.process.pid,
        server_info: d.process.serverInfo,
        protocol_version: d.process.protocolVersion,
        uptime_s: seconds(d.process.uptimeMs),
        in_flight: d.process.inFlight,
        idle_s: seconds(d.process.idleMs),
        diagnostics: d.process.diagnostics,
      }
    : null,
  consecutive_failures: d.consecutiveFailures,
  retry_at: d.retryAt,
  last_error: lastErrorDto(d.lastError),
  start_failure: lastErrorDto(d.startFailure),
  circuit: d.circuit,
  counters: d.counters,
  started_at: d.startedAt,
  last_used_at: d.lastUsedAt,
  tools_source: d.toolsSource,
  tools_known: d.toolsKnown,
  tools_count: d.toolsKnown ? d.tools.length : null,
  tools: d.tools,
});

export const healthDto = (h: RegistryHealth) => ({
  status: h.status,
  instance: h.instance,
  providers: h.providers,
  running: h.running,
  by_state: h.byState,
  unhealthy_providers: h.unhealthyProviders,
  circuits_open: h.circuitsOpen,
  health_checks: h.healthChecks,
  rate_limit: h.rateLimit,
});

export const warmDto = (w: WarmResult) => ({
  warmed: w.warmed,
  already_warm: w.alreadyWarm,
  failed: w.failed.map((f) => ({ id: f.id, code: f.code, error: f.message })),
  summary: `${w.warmed.length} warmed, ${w.alreadyWarm.length} already warm, ${w.failed.length} failed`,
});

export const historyEntryDto = (e: HistoryEntry) => ({
  position: e.position,
  instance: e.instance,
  version: e.streamVersion,
  type: e.type,
  occurred_at: e.metadata.occurredAt,
  correlation_id: e.metadata.correlationId ?? null,
  // Who asked, when an authenticated HTTP caller did (absent over stdio and for the hangar's own acts).
  ...(e.metadata.caller === undefined ? {} : { caller: e.metadata.caller }),
  data: e.data,
});

export const retryMetadataDto = (m: RetryMetadata) => ({
  correlation_id: m.correlationId,
  attempts: m.attempts,
  retries: m.retries.map((r) => ({ attempt: r.attempt, error_code: r.errorCode, message: r.message, delay_ms: r.delayMs })),
  total_time_ms: m.totalTimeMs,
});

export const replayedStateDto = (s: ReplayedState) => ({
  status: s.status,
  pid: s.pid,
  circuit: { status: s.circuit.status, failures: s.circuit.failures, probe_at: s.circuit.probeAt },
  consecutive_failures: s.consecutiveFailures,
  retry_at: s.retryAt,
  tools: { names: s.tools.names, digest: s.tools.digest },
  counters: {
    invocations: s.counters.invocations,
    tool_errors: s.counters.toolErrors,
    failed_invocations: s.counters.failedInvocations,
    starts: s.counters.starts,
    crashes: s.counters.crashes,
  },
  last_error: s.lastError,
  last_event: s.lastEvent === null ? null : { position: s.lastEvent.position, occurred_at: s.lastEvent.occurredAt, type: s.lastEvent.type },
});

const snake = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const prunedDto = (p: ReplayAt['pruned']) => (p === null ? null : { through_position: p.throughPosition, export_path: p.exportPath });

export const replayAtDto = (r: ReplayAt) => ({ provider: r.provider, instance: r.instance, state: replayedStateDto(r.state), pruned: prunedDto(r.pruned) });

export const replayWindowDto = (r: ReplayWindow) => ({
  provider: r.provider,
  instance: r.instance,
  before: replayedStateDto(r.before),
  steps: r.steps.map((s) => ({
    position: s.event.position,
    occurred_at: s.event.metadata.occurredAt,
    type: s.event.type,
    changes: s.changes.map((c) => ({ field: snake(c.field), before: c.before, after: c.after })),
  })),
  state: replayedStateDto(r.state),
  more: r.more === null ? null : { from: r.more.from },
  pruned: prunedDto(r.pruned),
});
