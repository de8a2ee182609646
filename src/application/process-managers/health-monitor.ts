import type { ProviderId } from '../../domain/shared/ids.js';
import type { ProviderSettings } from '../../domain/provider/tool-definition.js';
import type { ProviderCommands } from '../aggregates.js';
import { toDomainError } from '../errors.js';
import type { LiveProviders, LiveSession } from '../live-providers.js';
import type { Clock, IdGenerator } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';
import { sweepEveryMs } from './sweep-interval.js';

/** How long a health check's ping may take. */
const HEALTH_PING_TIMEOUT_MS = 5000;

export interface HealthMonitorDeps {
  readonly live: LiveProviders;
  readonly catalog: ProviderCatalog;
  readonly providers: ProviderCommands;
  readonly support: { readonly clock: Clock; readonly ids: IdGenerator; readonly logger: Logger };
  /** How long a ping may take; default HEALTH_PING_TIMEOUT_MS. */
  readonly pingTimeoutMs?: number;
}

/** Routine health figures (passes are metrics, not events). */
export interface HealthCounters {
  checks: number;
  failures: number;
}

/**
 * Pings every running provider at its own `health_check_interval_s` (MCP ping, 5 s timeout). Failures
 * are recorded (HealthCheckFailed) and, at `max_consecutive_failures`, degrade the provider
 * (ProviderDegraded), whose process is then stopped before any restart. A pass after failures is a
 * recovery (ProviderRecovered). `sweep` is called by a scheduler, or directly by tests with a manual clock.
 */
export const healthMonitor = (deps: HealthMonitorDeps) => {
  const { live, catalog, providers } = deps;
  const { clock, ids, logger } = deps.support;
  const lastChecked = new WeakMap<LiveSession, number>();
  const checking = new WeakSet<LiveSession>();
  const counters: HealthCounters = { checks: 0, failures: 0 };

  const check = async (id: ProviderId, session: LiveSession): Promise<void> => {
    checking.add(session);
    let ok = true;
    let message = 'pong';
    try {
      await session.connection.ping(deps.pingTimeoutMs ?? HEALTH_PING_TIMEOUT_MS);
    } catch (error) {
      ok = false;
      message = toDomainError(error).message;
    } finally {
      checking.delete(session);
    }
    counters.checks++;
    if (!ok) counters.failures++;
    if (live.get(id) !== session) return; // stopped or replaced while we waited
    const { events } = await providers.execute(id, { type: 'RecordHealthCheck', ok, message, nowMs: clock.now(), jitter: ids.random() });
    if (events.some((e) => e.type === 'ProviderDegraded') && live.release(id, session.connection)) {
      logger.warn('provider degraded by failed health checks; stopping it', { provider: id });
      await session.connection.stop();
    }
  };

  const sweep = async (): Promise<void> => {
    const now = clock.now();
    const due: Promise<void>[] = [];
    for (const [id, session] of live.entries()) {
      const settings = catalog.get(id)?.state.registration.settings;
      if (!settings) continue;
      const intervalMs = settings.healthCheckIntervalS * 1000;
      if (checking.has(session) || now - (lastChecked.get(session) ?? session.startedMs) < intervalMs) continue;
      lastChecked.set(session, now);
      due.push(check(id, session).catch((e: unknown) => logger.error('health check failed to record', { provider: id, error: String(e) })));
    }
    await Promise.all(due);
  };

  return { sweep, counters: (): Readonly<HealthCounters> => ({ ...counters }) };
};

/** How often to look for due health checks: a quarter of the shortest interval, between 100 ms and 5 s. */
export const healthSweepIntervalMs = (settings: readonly ProviderSettings[]): number =>
  sweepEveryMs(
    settings.map((s) => s.healthCheckIntervalS),
    100,
  );
