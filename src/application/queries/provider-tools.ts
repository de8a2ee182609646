import { DomainError } from '../../domain/shared/errors.js';
import { formatBytes, utf8Bytes } from '../../domain/shared/utf8.js';
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

export interface ProviderToolsDeps {
  readonly catalog: ProviderCatalog;
  readonly start: StartProvider;
  /** A list whose JSON is larger than this (UTF-8 bytes) is refused with RESULT_TOO_LARGE. */
  readonly maxResultBytes: number;
}

/**
 * The full tool definitions of a provider. A cold provider is not started when its tools are known
 * (discovered in an earlier run, or predefined); otherwise it is started, and its own list is taken (also
 * when that list was too large to record). A list too large to send is RESULT_TOO_LARGE.
 */
export const providerTools =
  ({ catalog, start, maxResultBytes }: ProviderToolsDeps) =>
  async (provider: string, correlationId: string): Promise<ProviderTools> => {
    let entry = catalog.require(provider);
    let tools = knownTools(entry.state);
    let source: ProviderTools['source'] = entry.state.discoveredTools ? 'discovered' : 'config';
    if (tools.length === 0) {
      const session = await start(entry.id, 'invoke', { correlationId });
      entry = catalog.require(provider);
      tools = session.connection.tools;
      source = 'discovered';
    }
    const bytes = utf8Bytes(JSON.stringify(tools));
    if (bytes > maxResultBytes) {
      const message = `provider '${entry.id}' lists ${tools.length} tools, ${formatBytes(bytes)} of JSON, over limits.max_result_bytes (${formatBytes(maxResultBytes)})`;
      throw new DomainError('RESULT_TOO_LARGE', message, { provider: entry.id, retryable: false });
    }
    return { provider: entry.id, state: entry.state.status, source, tools };
  };
