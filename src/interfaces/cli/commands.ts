import type { Records } from '../../application/application.js';
import type { HangarConfig } from '../../application/config.js';
import { isProviderId } from '../../domain/shared/ids.js';
import { historyEntryDto } from '../shared/dto.js';
import { formatTimeline } from './timeline.js';

/** Text a CLI command writes, and its exit code; cli.ts does the writing. */
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

/** `mcp-hangar history PROVIDER [--json] [--limit N]`: the provider's timeline across every run and instance. */
export const historyCommand = async (records: Records, provider: string, options: { json: boolean; limit?: number | undefined }): Promise<CliOutcome> => {
  if (!isProviderId(provider)) return { stderr: `'${provider}' is not a provider id (a letter, then letters, digits, _ or -)`, exitCode: 2 };
  const events = await records.history({ provider, limit: options.limit });
  if (options.json) return { stdout: JSON.stringify({ provider, events: events.map(historyEntryDto) }, null, 2), exitCode: 0 };
  if (events.length === 0) return { stderr: `no events recorded for provider '${provider}'`, exitCode: 3 };
  return { stdout: formatTimeline(provider, events), exitCode: 0 };
};

/** `mcp-hangar audit verify`: checks the hash chain; exit 1 naming the first bad position. */
export const auditVerifyCommand = async (records: Records, path: string): Promise<CliOutcome> => {
  const result = await records.verify();
  if (result.ok) return { stdout: `${path}: hash chain intact over ${result.count} events`, exitCode: 0 };
  return { stderr: `${path}: hash chain BROKEN at position ${result.position}: ${result.reason} (${result.count} events checked)`, exitCode: 1 };
};
