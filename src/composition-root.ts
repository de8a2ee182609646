import 'reflect-metadata';
import { hostname } from 'node:os';
import { Container, type interfaces } from 'inversify';
import { instanceCommands, providerCommands, type InstanceCommands, type ProviderCommands } from './application/aggregates.js';
import type { Application } from './application/application.js';
import { invokeTool } from './application/commands/invoke-tool.js';
import { invokeWithRetry } from './application/commands/invoke-with-retry.js';
import { openInstance } from './application/commands/open-instance.js';
import { reloadConfig, type ReloadOutcome } from './application/commands/reload-config.js';
import { startProvider, type StartProvider } from './application/commands/start-provider.js';
import { stopProvider, type StopProvider } from './application/commands/stop-provider.js';
import { warmProviders } from './application/commands/warm-providers.js';
import type { AuditConfig, ConfigResult, HangarConfig, ProviderConfig, RetryConfig } from './application/config.js';
import { LiveProviders } from './application/live-providers.js';
import type { ArgumentsValidator } from './application/ports/arguments-validator.js';
import type { ChainAnchors, ChainBreak } from './application/ports/chain-anchors.js';
import type { Clock, Hasher, IdGenerator, Scheduler } from './application/ports/clock.js';
import type { EventBus } from './application/ports/event-bus.js';
import type { EventStore } from './application/ports/event-store.js';
import type { InvocationAudit } from './application/ports/invocation-audit.js';
import type { InstanceLease, InstanceLeases } from './application/ports/instance-leases.js';
import type { Logger } from './application/ports/logger.js';
import type { ProviderRuntime } from './application/ports/provider-runtime.js';
import { chainAnchorer, type ChainAnchorer } from './application/process-managers/chain-anchorer.js';
import { healthMonitor, healthSweepIntervalMs } from './application/process-managers/health-monitor.js';
import { idleReaper, idleSweepIntervalMs } from './application/process-managers/idle-reaper.js';
import { ENTRY_SNAPSHOT_VERSION, ProviderCatalog } from './application/projections/provider-catalog.projection.js';
import { snapshotWriter, type SnapshotWriter } from './application/process-managers/snapshot-writer.js';
import type { SnapshotStore } from './application/ports/snapshot-store.js';
import { auditInvocations } from './application/queries/audit-invocations.js';
import { catalogTools, onCatalogToolsChanged } from './application/queries/catalog-tools.js';
import { ChainBrokenError, checkChainAtBoot, type BootCheck } from './application/queries/chain-audit.js';
import { listProviders } from './application/queries/list-providers.js';
import { providerDetails } from './application/queries/provider-details.js';
import { providerHistory } from './application/queries/provider-history.js';
import { replayProvider } from './application/queries/provider-replay.js';
import { providerTools } from './application/queries/provider-tools.js';
import { registryHealth } from './application/queries/registry-health.js';
import { statusDashboard } from './application/queries/status-dashboard.js';
import { RateLimiter } from './application/rate-limiter.js';
import type { HangarEvent } from './domain/hangar-event.js';
import type { InstanceId, ProviderId } from './domain/shared/ids.js';
import { formatProblems, loadConfig } from './infrastructure/config/load-config.js';
import { watchConfigFile } from './infrastructure/config/watch-config.js';
import { FileInstanceLeases } from './infrastructure/instances/file-instance-leases.js';
import { MemoryInstanceLeases } from './infrastructure/instances/memory-instance-leases.js';
import { createLogger } from './infrastructure/logging/pino-logger.js';
import { RxjsEventBus } from './infrastructure/messaging/rxjs-event-bus.js';
import type * as MetricsModuleExports from './infrastructure/metrics/prometheus-metrics.js';
import type { PrometheusMetrics } from './infrastructure/metrics/prometheus-metrics.js';
import { FileChainAnchors, MemoryChainAnchors } from './infrastructure/persistence/anchor-file.js';
import { hangarEventRegistry } from './infrastructure/persistence/hangar-event-schemas.js';
import { openSqliteEventStore, SqliteEventStore } from './infrastructure/persistence/sqlite/sqlite-event-store.js';
import { InMemorySnapshotStore } from './infrastructure/persistence/memory/in-memory-snapshot-store.js';
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
  /**
   * Prometheus metrics (a projection of this process's events, following the bus from before the instance
   * opened), when asked for with `metrics: true`; undefined otherwise (stdio mode never loads prom-client).
   */
  readonly metrics: PrometheusMetrics | undefined;
  /** Stops every provider (ProviderStopped{shutdown}), records InstanceStopped, gives up the seat, closes the store. Idempotent. */
  shutdown(): Promise<void>;
  /** Runs one idle sweep now (the scheduler runs it periodically). */
  sweepIdle(): Promise<readonly string[]>;
  /** Runs the health checks that are due now (the scheduler runs this periodically). */
  sweepHealth(): Promise<void>;
  /**
   * Reads the config file again (`Overrides.configSource`) and applies the difference to the running hangar;
   * a file that does not validate is logged and recorded (ConfigReloadRejected), and changes nothing.
   */
  reload(why?: string): Promise<ReloadOutcome>;
}

/** Adapters a caller (a test, a benchmark) may replace. */
export interface Overrides {
  readonly clock?: Clock;
  readonly scheduler?: Scheduler;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
  /** The runtime for every mode (default: each mode's own runtime). */
  readonly runtime?: ProviderRuntime;
  /** The event store, which also answers audit queries (both stores do). */
  readonly store?: AuditedStore;
  /** Stream snapshots (default: the SQLite store's own; in memory for a store given here). */
  readonly snapshots?: SnapshotStore;
  /**
   * Runs the boot's fold of the store when it has many events past the newest snapshots (the first boot on
   * a long history); `serve` lets the young generation grow meanwhile. Default: runs it as it is.
   */
  readonly heavyFold?: <T>(work: () => Promise<T>) => Promise<T>;
  /** Seats (default: lock files beside a SQLite store; in-process seats for a store given here). */
  readonly leases?: InstanceLeases;
  /** Health-check ping timeout (default 5 s). */
  readonly healthPingTimeoutMs?: number;
  /** Whether closing the hangar closes the store (default true). */
  readonly closeStore?: boolean;
  /** Build the Prometheus metrics (`Hangar.metrics`; HTTP mode). Default false: prom-client is then never loaded. */
  readonly metrics?: boolean;
  /** How `reload` reads the config (default: `loadConfig(config.sourcePath)`); `serve` passes the loader with its defaults. */
  readonly configSource?: () => ConfigResult;
  /** Reload whenever the config file changes (debounced). Default false; `serve` turns it on. */
  readonly watchConfig?: boolean;
  /** The anchor list of the hash chain (default: the file next to a SQLite store; in memory for a store given here). */
  readonly anchors?: ChainAnchors;
  /**
   * Serve even when the boot check finds the hash chain broken (`serve --accept-broken-chain`): each break is
   * recorded (ChainBreakAccepted) and written to the anchor list. Default false: a broken chain throws
   * ChainBrokenError before anything is written.
   */
  readonly acceptBrokenChain?: boolean;
}

/** An event store that also keeps the audit read model of tool calls. */
type AuditedStore = EventStore<HangarEvent> & InvocationAudit;

/** The metrics module, loaded only when metrics are asked for: stdio mode does not pay for prom-client. */
type MetricsModule = typeof MetricsModuleExports;

/**
 * The longest line the hangar reads from a provider: room for a tool list or a result over the limit to be
 * read and refused with RESULT_TOO_LARGE while the provider serves on; beyond it a line is dropped unread.
 */
const providerLineLimit = (maxResultBytes: number): number => Math.max(16 * 1024 * 1024, 4 * maxResultBytes);

const T = {
  Config: Symbol('Config'),
  Instance: Symbol('Instance'),
  Logger: Symbol('Logger'),
  Clock: Symbol('Clock'),
  Scheduler: Symbol('Scheduler'),
  Ids: Symbol('Ids'),
  Hasher: Symbol('Hasher'),
  EventStore: Symbol('EventStore'),
  Snapshots: Symbol('Snapshots'),
  EventBus: Symbol('EventBus'),
  Runtime: Symbol('Runtime'),
  Validator: Symbol('Validator'),
  Catalog: Symbol('Catalog'),
  Providers: Symbol('Providers'),
  Instances: Symbol('Instances'),
  Live: Symbol('Live'),
  Start: Symbol('Start'),
  Stop: Symbol('Stop'),
  Health: Symbol('Health'),
  RateLimiter: Symbol('RateLimiter'),
  Application: Symbol('Application'),
  Configs: Symbol('Configs'),
  Retry: Symbol('Retry'),
  Audit: Symbol('Audit'),
} as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The only place that knows inversify: binds every port to its adapter and every handler to its
 * factory, for the instance whose seat this hangar holds. No decorators anywhere; each binding is a
 * factory over the container.
 */
const buildContainer = (config: HangarConfig, instance: InstanceId, store: AuditedStore, overrides: Overrides): Container => {
  const c = new Container({ defaultScope: 'Singleton' });
  const get = <V>(id: interfaces.ServiceIdentifier<V>) => c.get<V>(id);
  c.bind<HangarConfig>(T.Config).toConstantValue(config);
  c.bind<InstanceId>(T.Instance).toConstantValue(instance);
  // The provider configs in force: a reload replaces their contents in one step (starts and details read them).
  const configs = new Map<ProviderId, ProviderConfig>(config.providers);
  c.bind<Map<ProviderId, ProviderConfig>>(T.Configs).toConstantValue(configs);
  // Retry settings are read at each call, so a reload changes them in place.
  c.bind<Mutable<RetryConfig>>(T.Retry).toConstantValue({ ...config.retry });
  // So are the audit settings (what a call's events keep of its arguments).
  c.bind<Mutable<AuditConfig>>(T.Audit).toConstantValue({ ...config.audit });
  c.bind<Logger>(T.Logger).toDynamicValue(() => overrides.logger ?? createLogger());
  c.bind<Clock>(T.Clock).toConstantValue(overrides.clock ?? systemClock);
  c.bind<Scheduler>(T.Scheduler).toConstantValue(overrides.scheduler ?? systemScheduler);
  c.bind<SnapshotStore>(T.Snapshots).toConstantValue(
    overrides.snapshots ?? (store instanceof SqliteEventStore ? store.snapshots() : new InMemorySnapshotStore()),
  );
  c.bind<IdGenerator>(T.Ids).toConstantValue(overrides.ids ?? systemIds);
  c.bind<Hasher>(T.Hasher).toConstantValue(sha256Hasher);
  c.bind<EventStore<HangarEvent>>(T.EventStore).toConstantValue(store);
  c.bind<EventBus<HangarEvent>>(T.EventBus).toDynamicValue(() => new RxjsEventBus<HangarEvent>(get<Logger>(T.Logger)));
  c.bind<ProviderRuntime>(T.Runtime).toDynamicValue(
    () =>
      overrides.runtime ??
      runtimeByMode({
        subprocess: new ProcessProviderRuntime({
          logger: get<Logger>(T.Logger),
          clientInfo: { name: 'mcp-hangar', version: VERSION },
          maxLineBytes: providerLineLimit(config.limits.maxResultBytes),
        }),
      }),
  );
  c.bind<ArgumentsValidator>(T.Validator).toDynamicValue(() => new AjvArgumentsValidator(get<Logger>(T.Logger)));
  c.bind<ProviderCatalog>(T.Catalog).toDynamicValue(() => new ProviderCatalog(instance));
  c.bind<LiveProviders>(T.Live).toDynamicValue(() => new LiveProviders());
  const handlerDeps = () => ({ store, bus: get<EventBus<HangarEvent>>(T.EventBus), clock: get<Clock>(T.Clock) });
  c.bind<ProviderCommands>(T.Providers).toDynamicValue(() => providerCommands(instance, handlerDeps()));
  c.bind<InstanceCommands>(T.Instances).toDynamicValue(() => instanceCommands(handlerDeps()));
  c.bind<StartProvider>(T.Start).toDynamicValue(() =>
    startProvider({
      providers: get(T.Providers),
      live: get(T.Live),
      runtime: get(T.Runtime),
      configs,
      support: { clock: get(T.Clock), ids: get(T.Ids), hasher: get(T.Hasher), logger: get(T.Logger) },
    }),
  );
  c.bind<StopProvider>(T.Stop).toDynamicValue(() => stopProvider({ providers: get(T.Providers), live: get(T.Live) }));
  c.bind<ReturnType<typeof healthMonitor>>(T.Health).toDynamicValue(() =>
    healthMonitor({
      live: get(T.Live),
      catalog: get(T.Catalog),
      providers: get(T.Providers),
      support: { clock: get(T.Clock), ids: get(T.Ids), logger: get(T.Logger) },
      ...(overrides.healthPingTimeoutMs === undefined ? {} : { pingTimeoutMs: overrides.healthPingTimeoutMs }),
    }),
  );
  c.bind<RateLimiter>(T.RateLimiter).toDynamicValue(() => new RateLimiter(config.rateLimit, get(T.Clock)));
  c.bind<Application>(T.Application).toDynamicValue(() => {
    const catalog = get<ProviderCatalog>(T.Catalog);
    const start = get<StartProvider>(T.Start);
    const live = get<LiveProviders>(T.Live);
    const rateLimiter = get<RateLimiter>(T.RateLimiter);
    const { maxResultBytes } = config.limits;
    const invoke = invokeTool({
      catalog,
      providers: get(T.Providers),
      live,
      start,
      validator: get(T.Validator),
      support: { clock: get(T.Clock), hasher: get(T.Hasher) },
      maxResultBytes,
      audit: get<AuditConfig>(T.Audit),
    });
    return {
      instance,
      invoke,
      invokeWithRetry: invokeWithRetry({
        invoke,
        retry: get<RetryConfig>(T.Retry),
        support: { clock: get(T.Clock), scheduler: get(T.Scheduler), ids: get(T.Ids) },
      }),
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
      tools: providerTools({ catalog, start, maxResultBytes }),
      details: providerDetails({ catalog, live, configs, clock: get(T.Clock) }),
      history: providerHistory(store),
      replay: replayProvider(store, get(T.Snapshots)),
      audit: auditInvocations(store),
      resolve: (provider) => catalog.require(provider).id,
      ids: get(T.Ids),
      catalogTools: catalogTools(catalog),
      onCatalogToolsChanged: onCatalogToolsChanged(get<EventBus<HangarEvent>>(T.EventBus)),
      running: {
        list: () => [...live.entries()].map(([provider, session]) => ({ provider, connection: session.connection })),
        onChange: (listener) => live.onChange(listener),
      },
      exposure: {
        config: config.expose,
        // A view of the configs in force, so that a reload's new settings apply at the next recomputation.
        providers: { get: (provider: string) => configs.get(provider as ProviderId)?.expose },
      },
    };
  });
  return c;
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
  store: AuditedStore,
  leases: InstanceLeases,
  overrides: Overrides,
  metricsModule: MetricsModule | undefined,
  acceptedBreaks: readonly ChainBreak[],
): Promise<Opened> => {
  const c = buildContainer(config, seat.instance, store, overrides);
  const catalog = c.get<ProviderCatalog>(T.Catalog);
  const bus = c.get<EventBus<HangarEvent>>(T.EventBus);
  const snapshots = c.get<SnapshotStore>(T.Snapshots);
  const latest = await snapshots.latestOfEach(ENTRY_SNAPSHOT_VERSION);
  const covered = Math.max(0, ...[...latest.values()].map((s) => s.position));
  const fold = () => catalog.start(store, bus, latest);
  const unsubscribe = (await store.lastPosition()) - covered > HEAVY_FOLD_EVENTS && overrides.heavyFold ? await overrides.heavyFold(fold) : await fold();
  const snapshotting = await snapshotWriter({ catalog, snapshots, scheduler: c.get<Scheduler>(T.Scheduler), logger: c.get<Logger>(T.Logger) });
  await snapshotting.flush();
  // Subscribed after the catalog (so that it reads the catalog with each event folded) and before the
  // instance opens (so that it counts every event this process commits, from InstanceStarted on).
  const metrics = metricsModule?.createPrometheusMetrics({ instance: seat.instance, bus, catalog, rateLimiter: c.get<RateLimiter>(T.RateLimiter) });
  const providers = c.get<ProviderCommands>(T.Providers);
  const handlerDeps = { store, bus, clock: c.get<Clock>(T.Clock) };
  const open = openInstance({
    catalog,
    handlers: {
      instances: c.get(T.Instances),
      providersOf: (instance) => (instance === seat.instance ? providers : providerCommands(instance, handlerDeps)),
    },
    leases,
    support: { hasher: c.get(T.Hasher), logger: c.get<Logger>(T.Logger) },
  });
  try {
    await open(seat, { pid: process.pid, host: hostname(), version: VERSION }, config.providers, acceptedBreaks);
  } catch (error) {
    metrics?.close();
    unsubscribe();
    await snapshotting.close();
    throw error;
  }
  return { c, unsubscribe, metrics, snapshotting };
};

/** Events past the newest snapshots beyond which the boot's fold counts as heavy (see Overrides.heavyFold). */
const HEAVY_FOLD_EVENTS = 50_000;

interface Opened {
  readonly c: Container;
  readonly unsubscribe: () => void;
  readonly metrics: PrometheusMetrics | undefined;
  readonly snapshotting: SnapshotWriter;
}

/**
 * After the boot check: writes the acceptance of each break the hangar was told to serve on (with the head
 * once ChainBreakAccepted was recorded, so that the next boot checks from there), anchors the head the
 * check verified (in the background), and starts anchoring as events are committed.
 */
const anchorChain = async (
  config: HangarConfig,
  store: EventStore<HangarEvent>,
  anchors: ChainAnchors,
  check: BootCheck,
  c: Container,
  logger: Logger,
): Promise<ChainAnchorer> => {
  const clock = c.get<Clock>(T.Clock);
  for (const problem of check.problems) logger.warn('skipped a line of the anchor file that is not an anchor', { anchors: anchors.location, ...problem });
  let anchored = check.from?.head;
  if (check.breaks.length > 0) {
    const position = await store.lastPosition();
    const head = { position, hash: (await store.hashAt(position)) ?? '' }; // ChainBreakAccepted was just recorded: there is a head
    const at = new Date(clock.now()).toISOString();
    logger.warn('serving on a broken hash chain, as told (--accept-broken-chain); the acceptance is recorded', {
      breaks: check.breaks.map((b) => `${b.position}: ${b.reason}`),
      anchors: anchors.location,
    });
    try {
      await anchors.append(check.breaks.map((acceptedBreak) => ({ head, at, acceptedBreak })));
      anchored = head;
    } catch (error) {
      logger.error('could not write the acceptance to the anchor file: the next boot will find the same break', {
        anchors: anchors.location,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  const anchorer = chainAnchorer(
    {
      anchors,
      clock,
      scheduler: c.get<Scheduler>(T.Scheduler),
      logger,
      every: { events: config.audit.anchorEvery, minutes: config.audit.anchorEveryMinutes },
    },
    anchored,
  );
  c.get<EventBus<HangarEvent>>(T.EventBus).subscribe((event) => anchorer.observe(event));
  if (check.head !== undefined) void anchorer.anchor(check.head);
  return anchorer;
};

/**
 * Claims a seat in the event store, rebuilds the read model, opens the instance (closing what dead
 * hangars left running, registering the configured providers) and starts the sweeps.
 */
export const createHangar = async (config: HangarConfig, overrides: Overrides = {}): Promise<Hangar> => {
  const store: AuditedStore = overrides.store ?? openSqliteEventStore(config.eventStore.path, { registry: hangarEventRegistry() });
  const leases = overrides.leases ?? (overrides.store ? new MemoryInstanceLeases() : FileInstanceLeases.beside(config.eventStore.path));
  const anchors = overrides.anchors ?? (overrides.store ? new MemoryChainAnchors() : FileChainAnchors.beside(config.eventStore.path));
  // The chain is checked before anything is written; then claim a seat, so that the container is built for
  // this instance; on any failure give it all back.
  let seat: InstanceLease | undefined;
  let opened: Opened;
  let check: BootCheck;
  try {
    check = await checkChainAtBoot(store, anchors);
    if (check.breaks.length > 0 && (overrides.acceptBrokenChain !== true || check.tooMany)) throw new ChainBrokenError(check, anchors.location);
    const metricsModule = overrides.metrics === true ? await import('./infrastructure/metrics/prometheus-metrics.js') : undefined;
    seat = await leases.claim();
    opened = await openSeat(config, seat, store, leases, overrides, metricsModule, check.breaks);
  } catch (error) {
    await seat?.release();
    if (overrides.closeStore !== false) await store.close();
    throw error;
  }
  const { c, unsubscribe, metrics, snapshotting } = opened;
  const logger = c.get<Logger>(T.Logger);
  const catalog = c.get<ProviderCatalog>(T.Catalog);
  if (overrides.runtime === undefined) endLeftovers(logger);
  const anchorer = await anchorChain(config, store, anchors, check, c, logger);

  const live = c.get<LiveProviders>(T.Live);
  const stop = c.get<StopProvider>(T.Stop);
  const sweepIdle = idleReaper({ live, catalog, stop, clock: c.get(T.Clock), logger });
  const health = c.get<ReturnType<typeof healthMonitor>>(T.Health);
  const scheduler = c.get<Scheduler>(T.Scheduler);
  let cancelIdle = () => undefined as void;
  let cancelHealth = () => undefined as void;
  /** (Re)starts the sweeps at intervals fitting the providers' settings now in force. */
  const scheduleSweeps = (settings: readonly ProviderConfig['settings'][]): void => {
    cancelIdle();
    cancelHealth();
    cancelIdle = scheduler.every(idleSweepIntervalMs(settings), () => void sweepIdle());
    cancelHealth = scheduler.every(healthSweepIntervalMs(settings), () => void health.sweep());
  };
  scheduleSweeps(catalog.list().map((e) => e.state.registration.settings));

  let current = config;
  const retry = c.get<Mutable<RetryConfig>>(T.Retry);
  const audit = c.get<Mutable<AuditConfig>>(T.Audit);
  const source = overrides.configSource ?? (() => loadConfig(config.sourcePath));
  const reload = reloadConfig({
    instance: seat.instance,
    providers: c.get(T.Providers),
    instances: c.get(T.Instances),
    live,
    start: c.get(T.Start),
    stop,
    configs: c.get(T.Configs),
    current: () => current,
    adopt: (next) => {
      Object.assign(retry, next.retry);
      Object.assign(audit, next.audit);
      scheduleSweeps([...next.providers.values()].map((p) => p.settings));
      // The sections that need a restart stay as they were: `current` keeps describing what runs.
      current = { ...current, providers: next.providers, retry: next.retry, audit: next.audit };
    },
    support: { clock: c.get(T.Clock), scheduler, hasher: c.get(T.Hasher), logger },
  });
  const readConfig = (): ConfigResult => {
    const result = source();
    if (!result.ok) {
      logger.warn(`config reload rejected; the running configuration stays:\n${formatProblems(result)}`, {
        config: result.sourcePath,
        problems: result.problems.map((p) => `${p.line === null ? '' : `line ${p.line}: `}${p.path === '' ? '' : `${p.path}: `}${p.message}`),
      });
    }
    return result;
  };
  let shutdown: Promise<void> | undefined;
  let reloading: Promise<unknown> = Promise.resolve();
  const reloadNow = (why = 'requested'): Promise<ReloadOutcome> => {
    if (shutdown !== undefined) return Promise.reject(new Error('the hangar is shutting down'));
    logger.info('reloading the config', { why, config: config.sourcePath });
    const run = reload(readConfig);
    reloading = run.catch(() => undefined);
    return run;
  };
  const unwatch =
    overrides.watchConfig === true
      ? watchConfigFile(
          config.sourcePath,
          () => void reloadNow('config file changed').catch((e: unknown) => logger.error('config reload failed', { error: String(e) })),
          { onError: (e) => logger.warn('cannot watch the config file; reload it with SIGHUP', { config: config.sourcePath, error: String(e) }) },
        )
      : () => undefined;
  logger.info('hangar ready', { instance: seat.instance, providers: config.providers.size, store: config.eventStore.path });

  return {
    app: c.get<Application>(T.Application),
    logger,
    store,
    instance: seat.instance,
    metrics,
    sweepIdle,
    sweepHealth: health.sweep,
    reload: reloadNow,
    shutdown() {
      shutdown ??= (async () => {
        unwatch();
        // A reload under way finishes first, so that no restart it makes outlives the shutdown.
        await reloading;
        cancelIdle();
        cancelHealth();
        const running = [...live.entries()].map(([id]) => id);
        await Promise.all(
          running.map((id) => stop(id, 'shutdown').catch((e: unknown) => logger.error('stop at shutdown failed', { provider: id, error: String(e) }))),
        );
        await c
          .get<InstanceCommands>(T.Instances)
          .execute(seat.instance, { type: 'StopInstance' })
          .catch((e: unknown) => logger.error('could not record the instance stop', { error: String(e) }));
        await anchorer.close();
        unsubscribe();
        metrics?.close();
        await snapshotting.close();
        await seat.release();
        if (overrides.closeStore !== false) await store.close();
      })();
      return shutdown;
    },
  };
};
