import { hostname } from 'node:os';
import { instanceCommands, providerCommands, type InstanceCommands, type ProviderCommands } from './application/aggregates.js';
import type { Application } from './application/application.js';
import { invokeTool } from './application/commands/invoke-tool.js';
import { invokeWithRetry } from './application/commands/invoke-with-retry.js';
import { openInstance } from './application/commands/open-instance.js';
import { startProvider, type StartProvider } from './application/commands/start-provider.js';
import { stopProvider, type StopProvider } from './application/commands/stop-provider.js';
import { warmProviders } from './application/commands/warm-providers.js';
import type { HangarConfig } from './application/config.js';
import { LiveProviders } from './application/live-providers.js';
import type { ArgumentsValidator } from './application/ports/arguments-validator.js';
import type { Clock, Hasher, IdGenerator, Scheduler } from './application/ports/clock.js';
import type { EventBus } from './application/ports/event-bus.js';
import type { EventStore } from './application/ports/event-store.js';
import type { InstanceLease, InstanceLeases } from './application/ports/instance-leases.js';
import type { Logger } from './application/ports/logger.js';
import type { ProviderRuntime } from './application/ports/provider-runtime.js';
import { healthMonitor, healthSweepIntervalMs } from './application/process-managers/health-monitor.js';
import { idleReaper, idleSweepIntervalMs } from './application/process-managers/idle-reaper.js';
import { ProviderCatalog } from './application/projections/provider-catalog.projection.js';
import { listProviders } from './application/queries/list-providers.js';
import { providerDetails } from './application/queries/provider-details.js';
import { providerHistory } from './application/queries/provider-history.js';
import { providerTools } from './application/queries/provider-tools.js';
import { registryHealth } from './application/queries/registry-health.js';
import { statusDashboard } from './application/queries/status-dashboard.js';
import { RateLimiter } from './application/rate-limiter.js';
import type { HangarEvent } from './domain/hangar-event.js';
import type { InstanceId } from './domain/shared/ids.js';
import { FileInstanceLeases } from './infrastructure/instances/file-instance-leases.js';
import { MemoryInstanceLeases } from './infrastructure/instances/memory-instance-leases.js';
import { createLogger } from './infrastructure/logging/pino-logger.js';
import { RxjsEventBus } from './infrastructure/messaging/rxjs-event-bus.js';
import { hangarEventRegistry } from './infrastructure/persistence/hangar-event-schemas.js';
import { openSqliteEventStore } from './infrastructure/persistence/sqlite/sqlite-event-store.js';
import { endOrphanedProviderProcesses } from './infrastructure/runtime/process/proc-sweep.js';
import { ProcessProviderRuntime } from './infrastructure/runtime/process/process-provider-runtime.js';
import { runtimeByMode } from './infrastructure/runtime/runtime-by-mode.js';
import { sha256Hasher, systemClock, systemIds, systemScheduler } from './infrastructure/system/system-clock.js';
import { AjvArgumentsValidator } from './infrastructure/validation/ajv-arguments-validator.js';
import { VERSION } from './version.js';

/** A running hangar instance: the application, and how to sweep and shut it down. */
export interface Hangar {
  readonly app: Application;
  readonly logger: Logger;
  readonly store: EventStore<HangarEvent>;
  /** This hangar's seat in the event store. */
  readonly instance: InstanceId;
  /** Stops every provider (ProviderStopped{shutdown}), records InstanceStopped, gives up the seat, closes the store. Idempotent. */
  shutdown(): Promise<void>;
  /** Runs one idle sweep now (the scheduler runs it periodically). */
  sweepIdle(): Promise<readonly string[]>;
  /** Runs the health checks that are due now (the scheduler runs this periodically). */
  sweepHealth(): Promise<void>;
}

/** Adapters a caller (a test, a benchmark) may replace. */
export interface Overrides {
  readonly clock?: Clock;
  readonly scheduler?: Scheduler;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
  /** The runtime for every mode (default: each mode's own runtime). */
  readonly runtime?: ProviderRuntime;
  readonly store?: EventStore<HangarEvent>;
  /** Seats (default: lock files beside a SQLite store; in-process seats for a store given here). */
  readonly leases?: InstanceLeases;
  /** Health-check ping timeout (default 5 s). */
  readonly healthPingTimeoutMs?: number;
  /** Whether closing the hangar closes the store (default true). */
  readonly closeStore?: boolean;
}

/**
 * The longest line the hangar reads from a provider: room for a tool list or a result over the limit to be
 * read and refused with RESULT_TOO_LARGE while the provider serves on; beyond it a line is dropped unread.
 */
const providerLineLimit = (maxResultBytes: number): number => Math.max(16 * 1024 * 1024, 4 * maxResultBytes);

type HealthMonitor = ReturnType<typeof healthMonitor>;

/** Every service of a hangar instance, by name: what the composition root builds and hands out. */
interface Services {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly ids: IdGenerator;
  readonly hasher: Hasher;
  readonly bus: EventBus<HangarEvent>;
  readonly runtime: ProviderRuntime;
  readonly validator: ArgumentsValidator;
  readonly catalog: ProviderCatalog;
  readonly live: LiveProviders;
  readonly providers: ProviderCommands;
  readonly instances: InstanceCommands;
  readonly start: StartProvider;
  readonly stop: StopProvider;
  readonly health: HealthMonitor;
  readonly rateLimiter: RateLimiter;
  readonly application: Application;
}

/** Gives the one instance of a service, building it (and what it needs) on first use. */
type Container = <K extends keyof Services>(key: K) => Services[K];

/**
 * A container of singletons, each built by its factory on first use, the factories naming what they need
 * by key (checked by the compiler against `Services`). A factory that needs, through others, the service
 * it builds is a cycle and throws naming it. This is all the hangar asked of inversify, which took about
 * 250 modules, 7 MB and 90 ms of every boot (see docs/architecture.md, "Boot and memory").
 */
const singletons = (factories: { readonly [K in keyof Services]: (get: Container) => Services[K] }): Container => {
  const built = new Map<keyof Services, unknown>();
  const building: (keyof Services)[] = [];
  const get: Container = (key) => {
    if (built.has(key)) return built.get(key) as Services[typeof key];
    if (building.includes(key)) throw new Error(`the composition root has a cycle: ${[...building, key].join(' → ')}`);
    building.push(key);
    try {
      const service = factories[key](get);
      built.set(key, service);
      return service;
    } finally {
      building.pop();
    }
  };
  return get;
};

/**
 * The only place that binds every port to its adapter and every handler to its factory, for the instance
 * whose seat this hangar holds. No decorators anywhere; each service is a factory over the others.
 */
const buildContainer = (config: HangarConfig, instance: InstanceId, store: EventStore<HangarEvent>, overrides: Overrides): Container => {
  const handlerDeps = (get: Container) => ({ store, bus: get('bus'), clock: get('clock') });
  return singletons({
    logger: () => overrides.logger ?? createLogger(),
    clock: () => overrides.clock ?? systemClock,
    scheduler: () => overrides.scheduler ?? systemScheduler,
    ids: () => overrides.ids ?? systemIds,
    hasher: () => sha256Hasher,
    bus: (get) => new RxjsEventBus<HangarEvent>(get('logger')),
    runtime: (get) =>
      overrides.runtime ??
      runtimeByMode({
        subprocess: new ProcessProviderRuntime({
          logger: get('logger'),
          clientInfo: { name: 'mcp-hangar', version: VERSION },
          maxLineBytes: providerLineLimit(config.limits.maxResultBytes),
        }),
      }),
    validator: (get) => new AjvArgumentsValidator(get('logger')),
    catalog: () => new ProviderCatalog(instance),
    live: () => new LiveProviders(),
    providers: (get) => providerCommands(instance, handlerDeps(get)),
    instances: (get) => instanceCommands(handlerDeps(get)),
    start: (get) =>
      startProvider({
        providers: get('providers'),
        live: get('live'),
        runtime: get('runtime'),
        configs: config.providers,
        support: { clock: get('clock'), ids: get('ids'), hasher: get('hasher'), logger: get('logger') },
      }),
    stop: (get) => stopProvider({ providers: get('providers'), live: get('live') }),
    health: (get) =>
      healthMonitor({
        live: get('live'),
        catalog: get('catalog'),
        providers: get('providers'),
        support: { clock: get('clock'), ids: get('ids'), logger: get('logger') },
        ...(overrides.healthPingTimeoutMs === undefined ? {} : { pingTimeoutMs: overrides.healthPingTimeoutMs }),
      }),
    rateLimiter: (get) => new RateLimiter(config.rateLimit, get('clock')),
    application: (get) => {
      const catalog = get('catalog');
      const start = get('start');
      const live = get('live');
      const rateLimiter = get('rateLimiter');
      const { maxResultBytes } = config.limits;
      const invoke = invokeTool({
        catalog,
        providers: get('providers'),
        start,
        validator: get('validator'),
        support: { clock: get('clock'), hasher: get('hasher') },
        maxResultBytes,
      });
      return {
        instance,
        invoke,
        invokeWithRetry: invokeWithRetry({ invoke, retry: config.retry, support: { clock: get('clock'), scheduler: get('scheduler'), ids: get('ids') } }),
        warm: warmProviders({ catalog, live, start }),
        health: registryHealth({
          catalog,
          live,
          healthCounters: () => get('health').counters(),
          rateLimit: () => rateLimiter.stats(),
        }),
        status: statusDashboard({ catalog, clock: get('clock') }),
        rateLimiter,
        start,
        stop: get('stop'),
        list: listProviders(catalog),
        tools: providerTools({ catalog, start, maxResultBytes }),
        details: providerDetails({ catalog, live, configs: config.providers, clock: get('clock') }),
        history: providerHistory(store),
        resolve: (provider) => catalog.require(provider).id,
        ids: get('ids'),
      };
    },
  });
};

/**
 * The processes of this machine's hangars that died with their watchdog (both SIGKILLed, say) are ended at
 * the next boot of any hangar, as `openInstance` closes in the records what dead hangars left running: one
 * /proc scan per boot, before this hangar starts anything that a leftover might stand in the way of (a
 * port, a lock file), and whether or not it ever starts a provider.
 */
const endLeftovers = (logger: Logger): void => {
  const { signalled, refused } = endOrphanedProviderProcesses();
  if (signalled.length > 0) logger.info('ended provider processes left by hangars that died', { pids: signalled });
  if (refused.length > 0) logger.warn('not permitted to end provider processes left by hangars that died', { pids: refused });
};

/**
 * Builds the container for `seat`'s instance, rebuilds the read model from the store, and opens the
 * instance (recording the run, closing what dead hangars left running, registering the configured providers).
 */
const openSeat = async (
  config: HangarConfig,
  seat: InstanceLease,
  store: EventStore<HangarEvent>,
  leases: InstanceLeases,
  overrides: Overrides,
): Promise<{ readonly c: Container; readonly unsubscribe: () => void }> => {
  const c = buildContainer(config, seat.instance, store, overrides);
  const catalog = c('catalog');
  const bus = c('bus');
  const unsubscribe = await catalog.start(store, bus);
  const providers = c('providers');
  const handlerDeps = { store, bus, clock: c('clock') };
  const open = openInstance({
    catalog,
    handlers: {
      instances: c('instances'),
      providersOf: (instance) => (instance === seat.instance ? providers : providerCommands(instance, handlerDeps)),
    },
    leases,
    support: { hasher: c('hasher'), logger: c('logger') },
  });
  await open(seat, { pid: process.pid, host: hostname(), version: VERSION }, config.providers);
  return { c, unsubscribe };
};

/**
 * Claims a seat in the event store, rebuilds the read model, opens the instance (closing what dead
 * hangars left running, registering the configured providers) and starts the sweeps.
 */
export const createHangar = async (config: HangarConfig, overrides: Overrides = {}): Promise<Hangar> => {
  const store = overrides.store ?? openSqliteEventStore(config.eventStore.path, { registry: hangarEventRegistry() });
  const leases = overrides.leases ?? (overrides.store ? new MemoryInstanceLeases() : FileInstanceLeases.beside(config.eventStore.path));
  // Claim a seat first, so that the container is built for this instance; on any failure give it all back.
  let seat: InstanceLease | undefined;
  let opened: { readonly c: Container; readonly unsubscribe: () => void };
  try {
    seat = await leases.claim();
    opened = await openSeat(config, seat, store, leases, overrides);
  } catch (error) {
    await seat?.release();
    if (overrides.closeStore !== false) await store.close();
    throw error;
  }
  const { c, unsubscribe } = opened;
  const logger = c('logger');
  const catalog = c('catalog');
  if (overrides.runtime === undefined) endLeftovers(logger);

  const live = c('live');
  const stop = c('stop');
  const sweepIdle = idleReaper({ live, catalog, stop, clock: c('clock'), logger });
  const health = c('health');
  const scheduler = c('scheduler');
  const settings = catalog.list().map((e) => e.state.registration.settings);
  const cancelIdle = scheduler.every(idleSweepIntervalMs(settings), () => void sweepIdle());
  const cancelHealth = scheduler.every(healthSweepIntervalMs(settings), () => void health.sweep());
  logger.info('hangar ready', { instance: seat.instance, providers: config.providers.size, store: config.eventStore.path });

  let shutdown: Promise<void> | undefined;
  return {
    app: c('application'),
    logger,
    store,
    instance: seat.instance,
    sweepIdle,
    sweepHealth: health.sweep,
    shutdown() {
      shutdown ??= (async () => {
        cancelIdle();
        cancelHealth();
        const running = [...live.entries()].map(([id]) => id);
        await Promise.all(
          running.map((id) => stop(id, 'shutdown').catch((e: unknown) => logger.error('stop at shutdown failed', { provider: id, error: String(e) }))),
        );
        await c('instances')
          .execute(seat.instance, { type: 'StopInstance' })
          .catch((e: unknown) => logger.error('could not record the instance stop', { error: String(e) }));
        unsubscribe();
        await seat.release();
        if (overrides.closeStore !== false) await store.close();
      })();
      return shutdown;
    },
  };
};
