import { providerCommands } from '../../src/application/aggregates.js';
import { invokeTool } from '../../src/application/commands/invoke-tool.js';
import { invokeWithRetry } from '../../src/application/commands/invoke-with-retry.js';
import { registrationOf } from '../../src/application/commands/open-instance.js';
import { startProvider } from '../../src/application/commands/start-provider.js';
import { stopProvider } from '../../src/application/commands/stop-provider.js';
import type { CallRecording as AuditConfig, ProviderConfig, RetryConfig } from '../../src/application/config.js';
import { LiveProviders } from '../../src/application/live-providers.js';
import type { Scheduler } from '../../src/application/ports/clock.js';
import { ProviderCatalog } from '../../src/application/projections/provider-catalog.projection.js';
import type { HangarEvent } from '../../src/domain/hangar-event.js';
import type { ProviderEvent, StartReason } from '../../src/domain/provider/events.js';
import type { ProviderSettings, ToolDefinition } from '../../src/domain/provider/tool-definition.js';
import { instanceId, providerId, type ProviderId } from '../../src/domain/shared/ids.js';
import { providerStreamId } from '../../src/domain/shared/streams.js';
import { RxjsEventBus } from '../../src/infrastructure/messaging/rxjs-event-bus.js';
import { hangarEventRegistry } from '../../src/infrastructure/persistence/hangar-event-schemas.js';
import { InMemoryEventStore } from '../../src/infrastructure/persistence/memory/in-memory-event-store.js';
import { AjvArgumentsValidator } from '../../src/infrastructure/validation/ajv-arguments-validator.js';
import { FakeRuntime } from './fake-runtime.js';
import { fixedIds, jsonHasher } from './fixed-ports.js';
import { defaultSettings } from './hangar-config.js';
import { ManualClock, manualScheduler } from './manual-clock.js';
import { silentLogger } from './silent-logger.js';

/** The instance every handler test runs as. */
const INSTANCE = instanceId(1);
/** Where a ManualClock starts. */
export const T0 = new ManualClock().now();
export const iso = (ms: number): string => new Date(ms).toISOString();

/** A provider as a test configures it: its predefined tools and the settings that differ from the defaults. */
export interface ProviderSpec {
  readonly tools?: readonly ToolDefinition[];
  readonly settings?: Partial<ProviderSettings>;
}

export const providerConfig = (spec: ProviderSpec = {}): ProviderConfig => ({
  launch: { mode: 'subprocess', command: ['fake-provider'], env: {}, cwd: '/' },
  asWritten: { command: ['fake-provider'], cwd: null },
  secrets: [],
  description: '',
  settings: { ...defaultSettings, ...spec.settings },
  tools: spec.tools ?? [],
});

export interface Given {
  readonly providers: Readonly<Record<string, ProviderSpec>>;
  /** Events recorded for a provider before the test, after its registration (which is always there). */
  readonly history?: Readonly<Record<string, readonly ProviderEvent[]>>;
  readonly retry?: Partial<RetryConfig>;
  /** limits.max_result_bytes (default 8 MiB). */
  readonly maxResultBytes?: number;
  /** The audit settings (default: digest, 4096 bytes); the object is read at each call, so a test may change it. */
  readonly audit?: AuditConfig;
  /** What the IdGenerator's random() returns (default 0.5: jitter leaves delays at their nominal value). */
  readonly random?: number;
  readonly clock?: ManualClock;
  /** Default: the manual scheduler, whose delays pass at once and move the clock. */
  readonly scheduler?: Scheduler;
}

/**
 * A booted hangar instance for handler tests: the given history in an in-memory store, the catalog folded
 * from it and following the bus, the real command handler and handlers, over a fake runtime, a manual
 * clock and fixed ids. `newEvents()` is the "then": what was recorded since the given history (or since
 * the previous `newEvents()`).
 */
export const givenHangar = async (given: Given) => {
  const clock = given.clock ?? new ManualClock();
  const scheduler = given.scheduler ?? manualScheduler(clock);
  const ids = fixedIds(given.random);
  const hasher = jsonHasher;
  const configs = new Map<ProviderId, ProviderConfig>(Object.entries(given.providers).map(([id, spec]) => [providerId(id), providerConfig(spec)]));
  const store = new InMemoryEventStore<HangarEvent>({ registry: hangarEventRegistry() });
  for (const [id, config] of configs) {
    const registered: ProviderEvent = { type: 'ProviderRegistered', data: { providerId: id, ...registrationOf(config, hasher) } };
    await store.append(providerStreamId(id, INSTANCE), [registered, ...(given.history?.[id] ?? [])], 0, { occurredAt: iso(clock.now()) });
  }
  const bus = new RxjsEventBus<HangarEvent>();
  const catalog = new ProviderCatalog(INSTANCE);
  await catalog.start(store, bus);
  const providers = providerCommands(INSTANCE, { store, bus, clock });
  for (const entry of catalog.streams()) providers.seed(entry.streamId, entry.state, entry.streamVersion);
  const live = new LiveProviders();
  const runtime = new FakeRuntime(clock);
  const start = startProvider({ providers, live, runtime, configs, support: { clock, ids, hasher, logger: silentLogger } });
  const maxResultBytes = given.maxResultBytes ?? 8 * 1024 * 1024;
  const audit = given.audit ?? { recordArguments: 'digest', maxArgumentBytes: 4096 };
  const invoke = invokeTool({ catalog, providers, live, start, validator: new AjvArgumentsValidator(), support: { clock, hasher }, maxResultBytes, audit });
  const retry: RetryConfig = { maxAttempts: 3, initialDelayMs: 1000, maxDelayMs: 30_000, jitter: 0.25, ...given.retry };

  let seen = await store.lastPosition();
  const newStored = async () => {
    const events = await store.readAll({ fromPosition: seen + 1 });
    seen = events.at(-1)?.position ?? seen;
    return events;
  };
  return {
    clock,
    scheduler,
    store,
    bus,
    catalog,
    providers,
    live,
    runtime,
    start,
    stop: stopProvider({ providers, live }),
    invoke,
    invokeWithRetry: invokeWithRetry({ invoke, retry, support: { clock, scheduler, ids } }),
    /** The stored events recorded since the given history or the previous call. */
    newStored,
    /** The events (type and data) recorded since the given history or the previous call. */
    newEvents: async (): Promise<HangarEvent[]> => (await newStored()).map(({ type, data }) => ({ type, data }) as HangarEvent),
    /** The live session of a provider, if it runs. */
    session: (id: string) => live.get(providerId(id)),
  };
};

/** History: the provider started once, listed `tools`, and was stopped: it is cold and its tools are known. */
export const ranOnce = (tools: readonly ToolDefinition[]): ProviderEvent[] => [
  { type: 'ProviderStartRequested', data: { reason: 'invoke', attempt: 1 } },
  { type: 'ProviderStarted', data: { pid: 1, protocolVersion: '2025-06-18', serverInfo: { name: 'fake', version: '1.0.0' }, startupMs: 1 } },
  { type: 'ToolsDiscovered', data: { tools, digest: jsonHasher.digest(tools), count: tools.length } },
  { type: 'ProviderStopped', data: { reason: 'idle' } },
];

/** History: the circuit opened after `failures` transport failures, with its probe due at `probeAtMs`. */
export const circuitOpened = (probeAtMs: number, failures = 5): ProviderEvent => ({
  type: 'CircuitOpened',
  data: { failures, probeAt: iso(probeAtMs), reason: `${failures} consecutive transport failures, last TIMEOUT` },
});

/** What a start of a fresh fake provider records: requested, started (pid 4200 + n), and the tools it listed. */
export const startEvents = (
  tools: readonly ToolDefinition[],
  { attempt = 1, startupMs = 0, pid = 4200, reason = 'invoke' }: { attempt?: number; startupMs?: number; pid?: number; reason?: StartReason } = {},
): ProviderEvent[] => [
  { type: 'ProviderStartRequested', data: { reason, attempt } },
  { type: 'ProviderStarted', data: { pid, protocolVersion: '2025-06-18', serverInfo: { name: 'fake', version: '1.0.0' }, startupMs } },
  { type: 'ToolsDiscovered', data: { tools, digest: jsonHasher.digest(tools), count: tools.length } },
];
