import type { RegisteredProviderState } from '../../domain/provider/state.js';
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

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/**
 * The hangar's status derived from its providers. `healthy`: no provider degraded, dead or behind a
 * circuit that is not closed; `unhealthy`: every provider is; `degraded`: some are.
 */
export const registryHealth = (deps: HealthDeps) => () => {
  const entries = deps.catalog.list();
  const byState: Record<RegisteredProviderState['status'], number> = { cold: 0, initializing: 0, ready: 0, degraded: 0, dead: 0 };
  const troubled: string[] = [];
  const circuitsOpen: string[] = [];
  for (const e of entries) {
    byState[e.state.status]++;
    if (e.state.circuit.status !== 'closed') circuitsOpen.push(e.id);
    if (e.state.status === 'degraded' || e.state.status === 'dead' || e.state.circuit.status !== 'closed') troubled.push(e.id);
  }
  const status: HealthStatus = troubled.length === 0 ? 'healthy' : troubled.length === entries.length ? 'unhealthy' : 'degraded';
  return {
    status,
    instance: deps.catalog.instance,
    providers: entries.length,
    running: deps.live.size,
    byState,
    unhealthyProviders: troubled,
    circuitsOpen,
    healthChecks: deps.healthCounters(),
    rateLimit: deps.rateLimit(),
  };
};

export type RegistryHealth = ReturnType<ReturnType<typeof registryHealth>>;
