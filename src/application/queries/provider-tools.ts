import { knownTools, type ProviderStatus } from '../../domain/provider/state.js';
import type { ToolDefinition } from '../../domain/provider/tool-definition.js';
import type { StartProvider } from '../commands/start-provider.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';

export interface ProviderTools {
  readonly provider: string;
  readonly state: ProviderStatus;
  /** `discovered`: listed by the provider itself (now or in an earlier run); `config`: predefined only. */
  readonly source: 'discovered' | 'config';
  readonly tools: readonly ToolDefinition[];
}

/**
 * The full tool definitions of a provider. A cold provider is not started when its tools are known
 * (discovered in any earlier run, or predefined); otherwise it is started to list them.
 */
export const providerTools =
  (deps: { readonly catalog: ProviderCatalog; readonly start: StartProvider }) =>
  async (provider: string, correlationId: string): Promise<ProviderTools> => {
    let entry = deps.catalog.require(provider);
    if (knownTools(entry.state).length === 0) {
      await deps.start(entry.id, 'invoke', { correlationId });
      entry = deps.catalog.require(provider);
    }
    return {
      provider: entry.id,
      state: entry.state.status,
      source: entry.state.discoveredTools ? 'discovered' : 'config',
      tools: knownTools(entry.state),
    };
  };
