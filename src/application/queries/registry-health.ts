import type { ProviderStatus } from '../../domain/provider/state.js';
import type { LiveProviders } from '../live-providers.js';
import type { HealthCounters } from '../process-managers/health-monitor.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';
import type { RateLimitStats } from '../rate-limiter.js';

export interface HealthDeps {
  readonly catalog: ProviderCatalog;
  readonly live: LiveProviders;
  readonly healthCounters: () => Readonly<HealthCounters>;
  readonly rateLimit: () => RateLimitStats;
}

const STATES: readonly ProviderStatus[] = ['cold', 'initializing', 'ready', 'degraded', 'dead'];

/**
 * registry_health: the hangar's status derived from its providers. `healthy`: no provider degraded,
 * dead or behind an open circuit; `unhealthy`: every provider is; `degraded`: some are.
 */
export const registryHealth = (deps: HealthDeps) => () => {
  const entries = deps.catalog.list();
  const byState = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<ProviderStatus, number>;
  const troubled: string[] = [];
  const circuitsOpen: string[] = [];
  for (const e of entries) {
    byState[e.state.status as ProviderStatus]++;
    if (e.state.circuit.status !== 'closed') circuitsOpen.push(e.id);
    if (e.state.status === 'degraded' || e.state.status === 'dead' || e.state.circuit.status !== 'closed') troubled.push(e.id);
  }
  const status = troubled.length === 0 ? 'healthy' : troubled.length === entries.length ? 'unhealthy' : 'degraded';
  return {
    status,
    providers: entries.length,
    running: deps.live.size,
    by_state: byState,
    unhealthy_providers: troubled,
    circuits_open: circuitsOpen,
    health_checks: deps.healthCounters(),
    rate_limit: deps.rateLimit(),
  };
};
