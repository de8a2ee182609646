import type { ProviderId } from '../domain/shared/ids.js';
import type { InvokeTool } from './commands/invoke-tool.js';
import type { invokeWithRetry } from './commands/invoke-with-retry.js';
import type { warmProviders } from './commands/warm-providers.js';
import type { StartProvider } from './commands/start-provider.js';
import type { StopProvider } from './commands/stop-provider.js';
import { providerNotFound } from './errors.js';
import type { IdGenerator } from './ports/clock.js';
import type { ToolCallResult } from './ports/provider-runtime.js';
import type { ProviderCatalog } from './projections/provider-catalog.projection.js';
import type { providerDetails } from './queries/provider-details.js';
import type { providerHistory } from './queries/provider-history.js';
import type { listProviders } from './queries/list-providers.js';
import type { providerTools } from './queries/provider-tools.js';
import type { registryHealth } from './queries/registry-health.js';
import type { statusDashboard } from './queries/status-dashboard.js';
import type { RateLimiter } from './rate-limiter.js';

/**
 * The application as every interface (MCP over stdio or HTTP, CLI) sees it: one handler per command and
 * query. Built once in the composition root.
 */
export interface Application {
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
  /** The registered provider with this id; throws PROVIDER_NOT_FOUND (with "did you mean") otherwise. */
  readonly resolve: (provider: string) => ProviderId;
  readonly ids: IdGenerator;
}

/** `resolve` over the catalog. */
export const resolveProvider =
  (catalog: ProviderCatalog) =>
  (provider: string): ProviderId => {
    const entry = catalog.get(provider);
    if (!entry)
      throw providerNotFound(
        provider,
        catalog.list().map((e) => e.id),
      );
    return entry.id;
  };
