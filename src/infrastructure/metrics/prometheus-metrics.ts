import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventBus } from '../../application/ports/event-bus.js';
import type { StoredEvent } from '../../application/ports/event-store.js';
import type { RegisteredEntry } from '../../application/projections/provider-catalog.projection.js';
import type { RateLimitStats } from '../../application/rate-limiter.js';
import type { HangarEvent } from '../../domain/hangar-event.js';
import { isProviderEvent } from '../../domain/provider/events.js';
import type { RegisteredProviderState } from '../../domain/provider/state.js';
import { knownTools } from '../../domain/provider/state.js';
import type { InstanceId } from '../../domain/shared/ids.js';
import { parseStreamId, type ParsedStream } from '../../domain/shared/streams.js';

/** Every metric name starts with this, the process metrics included. */
export const METRICS_PREFIX = 'mcp_hangar_';

/** The states `mcp_hangar_provider_state` reports, one series each (1 for the current one, 0 for the others). */
export const PROVIDER_STATES = ['cold', 'initializing', 'ready', 'degraded', 'dead'] as const satisfies readonly RegisteredProviderState['status'][];

/** `mcp_hangar_circuit_state`'s value per circuit status. */
export const CIRCUIT_STATE_VALUES = { closed: 0, half_open: 1, open: 2 } as const;

/** The `tool` label of a failed call that named a tool the provider is not known to have (bounds the label's values). */
export const UNKNOWN_TOOL = '_unknown';

/** Seconds: from half a millisecond (a warm in-process call) to a minute (the longest sensible timeout). */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** What the metrics read: the bus they follow, and the read model and rate limiter they ask on every scrape. */
export interface MetricsSources {
  /** This hangar's instance: provider metrics are about its own streams (`provider-<id>@<instance>`). */
  readonly instance: InstanceId;
  /** Committed events of this process, as they are published. */
  readonly bus: EventBus<HangarEvent>;
  /** This instance's registered providers (the ProviderCatalog), read on every scrape. */
  readonly catalog: { list(): readonly RegisteredEntry[]; get(id: string): RegisteredEntry | undefined };
  /** The rate limiter's counters, read on every scrape. */
  readonly rateLimiter: { stats(): RateLimitStats };
}

export interface MetricsOptions {
  /** Node's process metrics (CPU, memory, event loop lag, GC, handles), prefixed `mcp_hangar_`. Default true. */
  readonly processMetrics?: boolean;
}

/**
 * The hangar's Prometheus metrics, a projection of its domain events: tool calls, durations and provider
 * lifecycle counters are counted from the events this process commits, as the bus publishes them (only
 * after commit), so they cannot disagree with the audit trail. States (provider state, circuit) and the
 * rate limiter's count are read on each scrape from the ProviderCatalog (folded from the store at boot,
 * then from the bus, with the domain's own `evolve`) and the RateLimiter. Its own `Registry`, never
 * prom-client's global one. What the HTTP layer calls: `contentType`, `render()`, `sessionOpened()`,
 * `sessionClosed()`.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly toolCalls: Counter<'provider' | 'tool' | 'outcome'>;
  private readonly callDuration: Histogram<'provider' | 'tool'>;
  private readonly starts: Counter<'provider'>;
  private readonly stops: Counter<'provider'>;
  private readonly crashes: Counter<'provider'>;
  private readonly startFailures: Counter<'provider'>;
  private readonly eventsAppended: Counter<'type'>;
  private readonly sessions: Gauge;
  private readonly parsed = new Map<string, ParsedStream | null>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly sources: MetricsSources,
    options: MetricsOptions = {},
  ) {
    const registers = [this.registry];
    const p = METRICS_PREFIX;
    this.toolCalls = new Counter({
      name: `${p}tool_calls_total`,
      help: 'Tool calls through this hangar, by outcome: success, tool_error (from ToolInvoked) or the lower-case error code (from ToolInvocationFailed)',
      labelNames: ['provider', 'tool', 'outcome'],
      registers,
    });
    this.callDuration = new Histogram({
      name: `${p}tool_call_duration_seconds`,
      help: 'Duration of tool calls through this hangar (the durationMs of ToolInvoked and ToolInvocationFailed), every outcome',
      labelNames: ['provider', 'tool'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    const perProvider = (name: string, help: string) => new Counter({ name: `${p}${name}`, help, labelNames: ['provider'], registers });
    this.starts = perProvider('provider_starts_total', 'Provider starts that succeeded (ProviderStarted)');
    this.stops = perProvider('provider_stops_total', 'Providers stopped by the hangar: idle, user request, shutdown, hangar restart (ProviderStopped)');
    this.crashes = perProvider('provider_crashes_total', 'Running providers that exited without being asked (ProviderCrashed)');
    this.startFailures = perProvider('provider_start_failures_total', 'Provider start attempts that failed (ProviderStartFailed)');
    this.eventsAppended = new Counter({
      name: `${p}events_appended_total`,
      help: 'Events this hangar committed to the event store, by type',
      labelNames: ['type'],
      registers,
    });
    this.sessions = new Gauge({ name: `${p}http_sessions_open`, help: 'Open MCP sessions over HTTP', registers });

    const { catalog, rateLimiter } = sources;
    new Gauge({
      name: `${p}provider_state`,
      help: "Each registered provider's state: 1 for the current one (cold, initializing, ready, degraded, dead), 0 for the others",
      labelNames: ['provider', 'state'],
      registers,
      collect() {
        this.reset();
        for (const entry of catalog.list()) for (const state of PROVIDER_STATES) this.set({ provider: entry.id, state }, entry.state.status === state ? 1 : 0);
      },
    });
    new Gauge({
      name: `${p}circuit_state`,
      help: "Each registered provider's circuit breaker: 0 closed, 1 half-open, 2 open",
      labelNames: ['provider'],
      registers,
      collect() {
        this.reset();
        for (const entry of catalog.list()) this.set({ provider: entry.id }, CIRCUIT_STATE_VALUES[entry.state.circuit.status]);
      },
    });
    new Counter({
      name: `${p}rate_limited_total`,
      help: 'Calls refused with RATE_LIMITED since this hangar started',
      registers,
      collect() {
        this.reset();
        this.inc(rateLimiter.stats().limited);
      },
    });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: p });

    this.unsubscribe = sources.bus.subscribe((event) => this.apply(event));
  }

  /** The Content-Type of `render()`'s text (the Prometheus text format). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text format. */
  render(): Promise<string> {
    // A counter of every registered provider is shown at 0 before its first event, so that rate() sees it start.
    for (const entry of this.sources.catalog.list()) {
      const provider = entry.id;
      for (const counter of [this.starts, this.stops, this.crashes, this.startFailures]) counter.inc({ provider }, 0);
    }
    return this.registry.metrics();
  }

  sessionOpened(): void {
    this.sessions.inc();
  }

  sessionClosed(): void {
    this.sessions.dec();
  }

  /** Stops following the bus. */
  close(): void {
    this.unsubscribe();
  }

  /** Counts one committed event (called by the bus, after the catalog has folded it). */
  apply(event: StoredEvent<HangarEvent>): void {
    this.eventsAppended.inc({ type: event.type });
    if (!isProviderEvent(event)) return;
    const stream = this.parse(event.streamId);
    // Another seat's streams, written by this process when it closes what a dead hangar left running.
    if (stream?.kind !== 'provider' || stream.instance !== this.sources.instance) return;
    const provider = stream.provider;
    switch (event.type) {
      case 'ProviderStarted':
        this.starts.inc({ provider });
        break;
      case 'ProviderStopped':
        this.stops.inc({ provider });
        break;
      case 'ProviderCrashed':
        this.crashes.inc({ provider });
        break;
      case 'ProviderStartFailed':
        this.startFailures.inc({ provider });
        break;
      case 'ToolInvoked':
        this.call(provider, event.data.tool, event.data.outcome, event.data.durationMs);
        break;
      case 'ToolInvocationFailed': {
        const tool = this.isKnownTool(provider, event.data.tool) ? event.data.tool : UNKNOWN_TOOL;
        this.call(provider, tool, event.data.errorCode.toLowerCase(), event.data.durationMs);
        break;
      }
      default:
        break;
    }
  }

  private call(provider: string, tool: string, outcome: string, durationMs: number): void {
    this.toolCalls.inc({ provider, tool, outcome });
    this.callDuration.observe({ provider, tool }, durationMs / 1000);
  }

  /**
   * Whether the provider lists (or predefines) the tool. A failed call may name any tool a caller made up
   * (TOOL_NOT_FOUND, or a refusal before the provider listed its tools); those share one label value.
   */
  private isKnownTool(provider: string, tool: string): boolean {
    const entry = this.sources.catalog.get(provider);
    return entry !== undefined && knownTools(entry.state).some((t) => t.name === tool);
  }

  private parse(streamId: string): ParsedStream | null {
    let stream = this.parsed.get(streamId);
    if (stream === undefined) this.parsed.set(streamId, (stream = parseStreamId(streamId)));
    return stream;
  }
}

/** Builds the metrics and starts following the bus. */
export const createPrometheusMetrics = (sources: MetricsSources, options: MetricsOptions = {}): PrometheusMetrics => new PrometheusMetrics(sources, options);
