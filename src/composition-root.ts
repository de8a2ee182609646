import 'reflect-metadata';
import { Container, type ServiceIdentifier } from 'inversify';
import type { Application } from './application/application.js';
import { resolveProvider } from './application/application.js';
import { invokeTool } from './application/commands/invoke-tool.js';
import { invokeWithRetry } from './application/commands/invoke-with-retry.js';
import { warmProviders } from './application/commands/warm-providers.js';
import { startProvider, type StartProvider } from './application/commands/start-provider.js';
import { stopProvider, type StopProvider } from './application/commands/stop-provider.js';
import { syncRegistry } from './application/commands/sync-registry.js';
import type { HangarConfig } from './application/config.js';
import { LiveProviders } from './application/live-providers.js';
import type { ArgumentsValidator } from './application/ports/arguments-validator.js';
import type { Clock, Hasher, IdGenerator, Scheduler } from './application/ports/clock.js';
import type { EventBus } from './application/ports/event-bus.js';
import type { EventStore } from './application/ports/event-store.js';
import type { Logger } from './application/ports/logger.js';
import type { ProviderRuntime } from './application/ports/provider-runtime.js';
import { healthMonitor, healthSweepIntervalMs } from './application/process-managers/health-monitor.js';
import { idleReaper, sweepIntervalMs } from './application/process-managers/idle-reaper.js';
import { ProviderCatalog } from './application/projections/provider-catalog.projection.js';
import { ProviderRepository } from './application/provider-repository.js';
import { listProviders } from './application/queries/list-providers.js';
import { providerDetails } from './application/queries/provider-details.js';
import { providerHistory } from './application/queries/provider-history.js';
import { providerTools } from './application/queries/provider-tools.js';
import { registryHealth } from './application/queries/registry-health.js';
import { statusDashboard } from './application/queries/status-dashboard.js';
import { RateLimiter } from './application/rate-limiter.js';
import { createLogger } from './infrastructure/logging/pino-logger.js';
import { RxjsEventBus } from './infrastructure/messaging/rxjs-event-bus.js';
import { openSqliteEventStore } from './infrastructure/persistence/sqlite/sqlite-event-store.js';
import { ProcessProviderRuntime } from './infrastructure/runtime/process/process-provider-runtime.js';
import { sha256Hasher, systemClock, systemIds, systemScheduler } from './infrastructure/system/system-clock.js';
import { AjvArgumentsValidator } from './infrastructure/validation/ajv-arguments-validator.js';
import { VERSION } from './version.js';

/** A running hangar: the application, and how to boot and shut it down. */
export interface Hangar {
  readonly app: Application;
  readonly logger: Logger;
  readonly store: EventStore;
  /** Rebuilds read models from the store, reconciles the registry with the config, starts the reaper. */
  boot(): Promise<void>;
  /** Stops every provider (ProviderStopped{shutdown}), then closes the store. Idempotent. */
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
  readonly runtime?: ProviderRuntime;
  readonly store?: EventStore;
  /** Health-check ping timeout (default 5 s). */
  readonly healthPingTimeoutMs?: number;
}

const T = {
  Config: Symbol('Config'),
  Logger: Symbol('Logger'),
  Clock: Symbol('Clock'),
  Scheduler: Symbol('Scheduler'),
  Ids: Symbol('Ids'),
  Hasher: Symbol('Hasher'),
  EventStore: Symbol('EventStore'),
  EventBus: Symbol('EventBus'),
  Runtime: Symbol('Runtime'),
  Validator: Symbol('Validator'),
  Catalog: Symbol('Catalog'),
  Repository: Symbol('Repository'),
  Live: Symbol('Live'),
  Start: Symbol('Start'),
  Stop: Symbol('Stop'),
  Health: Symbol('Health'),
  RateLimiter: Symbol('RateLimiter'),
  Application: Symbol('Application'),
  Hangar: Symbol('Hangar'),
} as const;

/**
 * The only place that knows inversify: binds every port to its adapter and every handler to its
 * factory. No decorators anywhere; each binding is a factory over the container.
 */
export const buildContainer = (config: HangarConfig, overrides: Overrides = {}): Container => {
  const c = new Container({ defaultScope: 'Singleton' });
  const get = <V>(id: ServiceIdentifier<V>) => c.get<V>(id);
  c.bind<HangarConfig>(T.Config).toConstantValue(config);
  c.bind<Logger>(T.Logger).toDynamicValue(() => overrides.logger ?? createLogger());
  c.bind<Clock>(T.Clock).toConstantValue(overrides.clock ?? systemClock);
  c.bind<Scheduler>(T.Scheduler).toConstantValue(overrides.scheduler ?? systemScheduler);
  c.bind<IdGenerator>(T.Ids).toConstantValue(overrides.ids ?? systemIds);
  c.bind<Hasher>(T.Hasher).toConstantValue(sha256Hasher);
  c.bind<EventStore>(T.EventStore).toDynamicValue(() => overrides.store ?? openSqliteEventStore(config.eventStore.path));
  c.bind<EventBus>(T.EventBus).toDynamicValue(() => new RxjsEventBus(get<Logger>(T.Logger)));
  c.bind<ProviderRuntime>(T.Runtime).toDynamicValue(() => overrides.runtime ?? new ProcessProviderRuntime({ logger: get<Logger>(T.Logger) }));
  c.bind<ArgumentsValidator>(T.Validator).toDynamicValue(() => new AjvArgumentsValidator(get<Logger>(T.Logger)));
  c.bind<ProviderCatalog>(T.Catalog).toDynamicValue(() => new ProviderCatalog());
  c.bind<LiveProviders>(T.Live).toDynamicValue(() => new LiveProviders());
  c.bind<ProviderRepository>(T.Repository).toDynamicValue(
    () => new ProviderRepository(get<EventStore>(T.EventStore), get<EventBus>(T.EventBus), get<Clock>(T.Clock)),
  );
  c.bind<StartProvider>(T.Start).toDynamicValue(() =>
    startProvider({
      repository: get(T.Repository),
      live: get(T.Live),
      runtime: get(T.Runtime),
      providers: config.providers,
      support: { clock: get(T.Clock), ids: get(T.Ids), hasher: get(T.Hasher), logger: get(T.Logger) },
      clientInfo: { name: 'mcp-hangar', version: VERSION },
    }),
  );
  c.bind<StopProvider>(T.Stop).toDynamicValue(() => stopProvider({ repository: get(T.Repository), live: get(T.Live) }));
  c.bind<ReturnType<typeof healthMonitor>>(T.Health).toDynamicValue(() =>
    healthMonitor({
      live: get(T.Live),
      providers: config.providers,
      repository: get(T.Repository),
      support: { clock: get(T.Clock), ids: get(T.Ids), logger: get(T.Logger) },
      ...(overrides.healthPingTimeoutMs === undefined ? {} : { pingTimeoutMs: overrides.healthPingTimeoutMs }),
    }),
  );
  c.bind<RateLimiter>(T.RateLimiter).toDynamicValue(() => new RateLimiter(config.rateLimit ?? { rps: 10, burst: 20 }, get(T.Clock)));
  c.bind<Application>(T.Application).toDynamicValue(() => {
    const catalog = get<ProviderCatalog>(T.Catalog);
    const start = get<StartProvider>(T.Start);
    const live = get<LiveProviders>(T.Live);
    const rateLimiter = get<RateLimiter>(T.RateLimiter);
    const invoke = invokeTool({
      catalog,
      repository: get(T.Repository),
      start,
      validator: get(T.Validator),
      support: { clock: get(T.Clock), hasher: get(T.Hasher) },
    });
    return {
      invoke,
      invokeWithRetry: invokeWithRetry({ invoke, retry: config.retry, support: { clock: get(T.Clock), scheduler: get(T.Scheduler), ids: get(T.Ids) } }),
      warm: warmProviders({ catalog, live, start }),
      health: registryHealth({
        catalog,
        live,
        healthCounters: () => get<ReturnType<typeof healthMonitor>>(T.Health).counters(),
        rateLimit: () => rateLimiter.stats(),
      }),
      status: statusDashboard({ catalog, clock: get(T.Clock) }),
      rateLimiter,
      start,
      stop: get<StopProvider>(T.Stop),
      list: listProviders(catalog),
      tools: providerTools({ catalog, start }),
      details: providerDetails({ catalog, live: get(T.Live), providers: config.providers, clock: get(T.Clock) }),
      history: providerHistory(get(T.EventStore)),
      resolve: resolveProvider(catalog),
      ids: get(T.Ids),
    };
  });
  c.bind<Hangar>(T.Hangar).toDynamicValue(() => hangarOf(c));
  return c;
};

const hangarOf = (c: Container): Hangar => {
  const config = c.get<HangarConfig>(T.Config);
  const store = c.get<EventStore>(T.EventStore);
  const live = c.get<LiveProviders>(T.Live);
  const logger = c.get<Logger>(T.Logger);
  const stop = c.get<StopProvider>(T.Stop);
  const sweepIdle = idleReaper({ live, providers: config.providers, stop, clock: c.get(T.Clock), logger });
  const health = c.get<ReturnType<typeof healthMonitor>>(T.Health);
  let cancelSweep: (() => void) | undefined;
  let unsubscribe: (() => void) | undefined;
  let shutdown: Promise<void> | undefined;
  return {
    app: c.get<Application>(T.Application),
    logger,
    store,
    sweepIdle,
    sweepHealth: health.sweep,
    async boot() {
      const catalog = c.get<ProviderCatalog>(T.Catalog);
      unsubscribe = await catalog.start(store, c.get<EventBus>(T.EventBus));
      const repository = c.get<ProviderRepository>(T.Repository);
      for (const stream of catalog.streams()) repository.seed(stream.id, stream.state, stream.version);
      await syncRegistry({ repository: c.get(T.Repository), catalog, hasher: c.get(T.Hasher) })(config.providers);
      const scheduler = c.get<Scheduler>(T.Scheduler);
      const cancelIdle = scheduler.every(sweepIntervalMs(config.providers), () => void sweepIdle());
      const cancelHealth = scheduler.every(healthSweepIntervalMs(config.providers), () => void health.sweep());
      cancelSweep = () => {
        cancelIdle();
        cancelHealth();
      };
      logger.info('hangar ready', { providers: config.providers.size, store: config.eventStore.path });
    },
    shutdown() {
      shutdown ??= (async () => {
        cancelSweep?.();
        const running = [...live.entries()].map(([id]) => id);
        await Promise.all(
          running.map((id) => stop(id, 'shutdown').catch((e: unknown) => logger.error('stop at shutdown failed', { provider: id, error: String(e) }))),
        );
        unsubscribe?.();
        await store.close();
      })();
      return shutdown;
    },
  };
};

/** Builds and boots a hangar for `config`. */
export const createHangar = async (config: HangarConfig, overrides: Overrides = {}): Promise<Hangar> => {
  const hangar = buildContainer(config, overrides).get<Hangar>(T.Hangar);
  await hangar.boot();
  return hangar;
};
