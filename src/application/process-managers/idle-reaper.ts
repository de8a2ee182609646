import type { ProviderId } from '../../domain/shared/ids.js';
import type { ProviderSettings } from '../../domain/provider/tool-definition.js';
import type { StopProvider } from '../commands/stop-provider.js';
import type { LiveProviders } from '../live-providers.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { sweepEveryMs } from './sweep-interval.js';

export interface IdleReaperDeps {
  readonly live: LiveProviders;
  readonly catalog: ProviderCatalog;
  readonly stop: StopProvider;
  readonly clock: Clock;
  readonly logger: Logger;
}

/**
 * Stops providers that have had no call in flight for their `idle_ttl_s` (0: never). Their tools stay
 * listed and the next call starts them again. `sweep` is called by a scheduler; tests call it directly
 * with a clock they move by hand. Resolves to the ids it stopped.
 */
export const idleReaper = (deps: IdleReaperDeps) => async (): Promise<readonly ProviderId[]> => {
  const now = deps.clock.now();
  const idle: ProviderId[] = [];
  for (const [id, session] of deps.live.entries()) {
    const ttlMs = (deps.catalog.get(id)?.state.registration.settings.idleTtlS ?? 0) * 1000; // 0: never
    if (ttlMs > 0 && session.inFlight === 0 && now - session.lastUsedMs >= ttlMs) idle.push(id);
  }
  await Promise.all(idle.map((id) => deps.stop(id, 'idle').catch((e: unknown) => deps.logger.error('idle stop failed', { provider: id, error: String(e) }))));
  return idle;
};

/** How often to sweep: a quarter of the shortest idle TTL, between 50 ms and 5 s. */
export const idleSweepIntervalMs = (settings: readonly ProviderSettings[]): number =>
  sweepEveryMs(
    settings.map((s) => s.idleTtlS),
    50,
  );
