import type { HangarConfig } from '../../application/config.js';
import type { EventStore } from '../../application/ports/event-store.js';
import { providerHistory } from '../../application/queries/provider-history.js';
import { formatTimeline } from './timeline.js';

/** Text a CLI command writes, and its exit code; main.ts does the writing. */
export interface CliOutcome {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exitCode: number;
}

/** `mcp-hangar validate`: the config is valid (exit 0) — problems are reported by the loader (exit 2). */
export const validateCommand = (config: HangarConfig): CliOutcome => {
  const ids = [...config.providers.keys()];
  return {
    stdout: `${config.sourcePath}: valid — ${ids.length} provider${ids.length === 1 ? '' : 's'}${ids.length ? ` (${ids.join(', ')})` : ''}; event store ${config.eventStore.path}`,
    exitCode: 0,
  };
};

/** `mcp-hangar history PROVIDER [--json] [--limit N]`: the provider's timeline across every run. */
export const historyCommand = async (store: EventStore, provider: string, options: { json: boolean; limit?: number | undefined }): Promise<CliOutcome> => {
  const events = await providerHistory(store)({ provider, limit: options.limit });
  if (options.json) return { stdout: JSON.stringify({ provider, events }, null, 2), exitCode: 0 };
  if (events.length === 0) return { stderr: `no events recorded for provider '${provider}'`, exitCode: 3 };
  return { stdout: formatTimeline(provider, events), exitCode: 0 };
};

/** `mcp-hangar audit verify`: checks the hash chain; exit 1 naming the first bad position. */
export const auditVerifyCommand = async (store: EventStore, path: string): Promise<CliOutcome> => {
  const result = await store.verifyChain();
  if (result.ok) return { stdout: `${path}: hash chain intact over ${result.count} events`, exitCode: 0 };
  return { stderr: `${path}: hash chain BROKEN at position ${result.position}: ${result.reason} (${result.count} events checked)`, exitCode: 1 };
};
