import type { ProviderId } from '../../domain/shared/ids.js';
import type { StopProvider } from '../commands/stop-provider.js';
import type { ProviderConfig } from '../config.js';
import type { LiveProviders } from '../live-providers.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { sweepEveryMs } from './sweep-interval.js';

export interface IdleReaperDeps {
  readonly live: LiveProviders;
  readonly providers: ReadonlyMap<ProviderId, ProviderConfig>;
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
    const ttlS = deps.providers.get(id)?.settings.idleTtlS ?? 0;
    if (ttlS > 0 && session.inFlight === 0 && now - session.lastUsedMs >= ttlS * 1000) idle.push(id);
  }
  await Promise.all(idle.map((id) => deps.stop(id, 'idle').catch((e: unknown) => deps.logger.error('idle stop failed', { provider: id, error: String(e) }))));
  return idle;
};

/** How often to sweep: a quarter of the shortest idle TTL, between 50 ms and 5 s. */
export const sweepIntervalMs = (providers: ReadonlyMap<ProviderId, ProviderConfig>): number =>
  sweepEveryMs(
    [...providers.values()].map((p) => p.settings.idleTtlS),
    50,
  );
