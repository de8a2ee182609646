import type { InstanceId, ProviderId } from '../domain/shared/ids.js';
import type { InvokeTool } from './commands/invoke-tool.js';
import type { invokeWithRetry } from './commands/invoke-with-retry.js';
import type { warmProviders } from './commands/warm-providers.js';
import type { StartProvider } from './commands/start-provider.js';
import type { StopProvider } from './commands/stop-provider.js';
import type { IdGenerator } from './ports/clock.js';
import type { ExportBefore, ExportOutcome } from './ports/event-archive.js';
import type { PruneRecord } from './ports/event-store.js';
import type { ChainHead, ChainVerification } from './ports/event-store.js';
import type { ChainAudit } from './queries/chain-audit.js';
import type { ProviderConnection, ToolCallResult } from './ports/provider-runtime.js';
import type { LiveChange } from './live-providers.js';
import type { ExposeConfig, ProviderExposure } from './config.js';
import type { auditInvocations } from './queries/audit-invocations.js';
import type { providerDetails } from './queries/provider-details.js';
import type { allProvidersHistory, providerHistory, recordedProviders } from './queries/provider-history.js';
import type { replayProvider } from './queries/provider-replay.js';
import type { listProviders } from './queries/list-providers.js';
import type { catalogTools, onCatalogToolsChanged } from './queries/catalog-tools.js';
import type { providerTools } from './queries/provider-tools.js';
import type { registryHealth } from './queries/registry-health.js';
import type { statusDashboard } from './queries/status-dashboard.js';
import type { RateLimiter } from './rate-limiter.js';

/**
 * The application as every serving interface (MCP over stdio, later HTTP) sees it: one handler per
 * command and query, returning domain-shaped results that each interface renders. Built once per
 * instance in the composition root.
 */
export interface Application {
  /** This hangar's instance (its seat in the event store). */
  readonly instance: InstanceId;
  readonly invoke: (cmd: InvokeTool) => Promise<ToolCallResult>;
  readonly invokeWithRetry: ReturnType<typeof invokeWithRetry>;
  readonly warm: ReturnType<typeof warmProviders>;
  readonly health: ReturnType<typeof registryHealth>;
  readonly status: ReturnType<typeof statusDashboard>;
  readonly rateLimiter: RateLimiter;
  readonly start: StartProvider;
  readonly stop: StopProvider;
  readonly list: ReturnType<typeof listProviders>;
  readonly tools: ReturnType<typeof providerTools>;
  readonly details: ReturnType<typeof providerDetails>;
  readonly history: ReturnType<typeof providerHistory>;
  /** A provider's state rebuilt from its events at a moment, or a window of them with what each changed. */
  readonly replay: ReturnType<typeof replayProvider>;
  /** Recorded tool calls that pass a query's filters, newest first, a page at a time. */
  readonly audit: ReturnType<typeof auditInvocations>;
  /** The registered provider with this id; throws PROVIDER_NOT_FOUND (with "did you mean") otherwise. */
  readonly resolve: (provider: string) => ProviderId;
  readonly ids: IdGenerator;
  /** Every registered provider's known tools, without starting any (the source of the direct tools). */
  readonly catalogTools: ReturnType<typeof catalogTools>;
  /** Subscribes to the events that may change `catalogTools()`; returns the unsubscribe function. */
  readonly onCatalogToolsChanged: ReturnType<typeof onCatalogToolsChanged>;
  /**
   * The providers running right now, with their connections (for the requests forwarded besides tools:
   * resources, prompts, completions, logging), and a subscription to their starts and stops.
   */
  readonly running: {
    list(): readonly { readonly provider: ProviderId; readonly connection: ProviderConnection }[];
    onChange(listener: (change: LiveChange) => void): () => void;
  };
  /** Which tools clients see: the top-level `expose`, and each provider's own `expose` where it has one. */
  readonly exposure: { readonly config: ExposeConfig; readonly providers: { get(provider: string): ProviderExposure | undefined } };
}

/**
 * The recorded history as the command line reads it, from a store opened read-only while hangars may be
 * serving from it: no instance, no providers.
 */
export interface Records {
  readonly history: ReturnType<typeof providerHistory>;
  /** A provider's state rebuilt from its events at a moment, or a window of them with what each changed. */
  readonly replay: ReturnType<typeof replayProvider>;
  /** Recorded tool calls that pass a query's filters, newest first, a page at a time. */
  readonly audit: ReturnType<typeof auditInvocations>;
  /** Every provider's events interleaved in global order. */
  readonly all: ReturnType<typeof allProvidersHistory>;
  /** The providers the store has registered at least once. */
  readonly providers: ReturnType<typeof recordedProviders>;
  /** Recomputes the hash chain over every stored event and reports the first break. */
  readonly verify: () => Promise<ChainVerification>;
  /** The hash chain against its anchors: the head, the whole audit, exports. */
  readonly chain: {
    /** The newest row's position and hash (what `audit anchor` prints). */
    readonly head: () => Promise<ChainHead>;
    /** The chain from the genesis (passing over accepted breaks), every anchor of the anchor list, and the heads given. */
    readonly audit: (given?: readonly ChainHead[]) => Promise<ChainAudit>;
    /** Writes the events before a point to a new file, verified as written, and logs the export. */
    readonly export: (request: { readonly before: ExportBefore; readonly out: string }) => Promise<ExportOutcome>;
    /** The prunes made on the store, oldest first. */
    readonly prunes: () => Promise<readonly PruneRecord[]>;
  };
  readonly close: () => Promise<void>;
}
