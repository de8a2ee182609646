import type { ProviderId } from '../../domain/shared/ids.js';
import { knownTools, pendingStartFailure, toolsKnown } from '../../domain/provider/state.js';
import type { ProviderConfig } from '../config.js';
import type { LiveProviders } from '../live-providers.js';
import type { Clock } from '../ports/clock.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';

export interface DetailsDeps {
  readonly catalog: ProviderCatalog;
  readonly live: LiveProviders;
  readonly configs: ReadonlyMap<ProviderId, ProviderConfig>;
  readonly clock: Clock;
}

/** How a provider is launched, as the config writes it (`${VAR}` unexpanded): env values are never shown, only their names. */
const launchSummary = (config: ProviderConfig | undefined) => {
  if (!config) return null;
  const { launch, asWritten } = config;
  return { mode: launch.mode, command: asWritten.command, cwd: asWritten.cwd, envKeys: Object.keys(launch.env).sort() };
};

/**
 * Everything about one provider of this instance: how it is launched (no secrets), state, the running
 * process, uptime, counters, last error, diagnostics, and tools.
 */
export const providerDetails = (deps: DetailsDeps) => (provider: string) => {
  const entry = deps.catalog.require(provider);
  const session = deps.live.get(entry.id);
  const { state } = entry;
  const now = deps.clock.now();
  return {
    id: entry.id,
    instance: deps.catalog.instance,
    mode: state.registration.mode,
    description: state.registration.description,
    state: state.status,
    launch: launchSummary(deps.configs.get(entry.id)),
    settings: state.registration.settings,
    process: session
      ? {
          pid: session.connection.pid,
          serverInfo: session.connection.serverInfo,
          protocolVersion: session.connection.protocolVersion,
          uptimeMs: now - session.startedMs,
          inFlight: session.inFlight,
          idleMs: now - session.lastUsedMs,
          diagnostics: session.connection.diagnostics(),
        }
      : null,
    consecutiveFailures: state.consecutiveFailures,
    retryAt: state.status === 'degraded' ? state.retryAt : null,
    lastError: state.lastError,
    startFailure: pendingStartFailure(state),
    circuit: state.circuit,
    counters: entry.counters,
    startedAt: entry.startedAt,
    lastUsedAt: entry.lastUsedAt,
    toolsSource: state.discoveredTools ? ('discovered' as const) : ('config' as const),
    toolsKnown: toolsKnown(state),
    tools: knownTools(state).map((t) => t.name),
  };
};

export type ProviderDetails = ReturnType<ReturnType<typeof providerDetails>>;
