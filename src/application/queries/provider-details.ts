import type { ProviderId } from '../../domain/shared/ids.js';
import { knownTools } from '../../domain/provider/state.js';
import type { ProviderConfig } from '../config.js';
import { providerNotFound } from '../errors.js';
import type { LiveProviders } from '../live-providers.js';
import type { Clock } from '../ports/clock.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';

export interface DetailsDeps {
  readonly catalog: ProviderCatalog;
  readonly live: LiveProviders;
  readonly providers: ReadonlyMap<ProviderId, ProviderConfig>;
  readonly clock: Clock;
}

/**
 * registry_details: config summary (env values are never shown, only their names), state, process,
 * uptime, counters, last error, diagnostics of the running process, and tools.
 */
export const providerDetails = (deps: DetailsDeps) => (provider: string) => {
  const entry = deps.catalog.get(provider);
  if (!entry)
    throw providerNotFound(
      provider,
      deps.catalog.list().map((e) => e.id),
    );
  const config = deps.providers.get(entry.id);
  const session = deps.live.get(entry.id);
  const state = entry.state;
  const s = state.registration.settings;
  return {
    id: entry.id,
    mode: state.registration.mode,
    description: state.registration.description,
    state: state.status,
    config: config ? { command: config.command, cwd: config.cwd, env_keys: Object.keys(config.env).sort() } : null,
    settings: {
      idle_ttl_s: s.idleTtlS,
      health_check_interval_s: s.healthCheckIntervalS,
      max_consecutive_failures: s.maxConsecutiveFailures,
      timeout_s: s.timeoutS,
      circuit_breaker: { failure_threshold: s.circuitBreaker.failureThreshold, reset_timeout_s: s.circuitBreaker.resetTimeoutS },
    },
    process: session
      ? {
          pid: session.connection.pid,
          server_info: session.connection.serverInfo,
          protocol_version: session.connection.protocolVersion,
          uptime_s: Math.round((deps.clock.now() - session.startedMs) / 100) / 10,
          in_flight: session.inFlight,
          idle_s: Math.round((deps.clock.now() - session.lastUsedMs) / 100) / 10,
          diagnostics: session.connection.diagnostics(),
        }
      : null,
    consecutive_failures: state.consecutiveFailures,
    retry_at: state.status === 'degraded' ? state.retryAt : null,
    last_error: state.lastError,
    counters: entry.counters,
    started_at: entry.startedAt,
    last_used_at: entry.lastUsedAt,
    tools_source: state.discoveredTools ? 'discovered' : 'config',
    tools: knownTools(state).map((t) => t.name),
  };
};
