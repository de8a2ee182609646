import type { Records } from '../../application/application.js';
import type { HangarConfig } from '../../application/config.js';
import { providerNotFound } from '../../application/errors.js';
import type { InvocationPage } from '../../application/ports/invocation-audit.js';
import { auditFilter, type AuditQuery } from '../../application/queries/audit-invocations.js';
import { isDomainError } from '../../domain/shared/errors.js';
import type { HistoryEntry, ProvidersHistoryEntry } from '../../application/queries/provider-history.js';
import { PROVIDER_EVENT_TYPES } from '../../domain/provider/events.js';
import { isProviderId } from '../../domain/shared/ids.js';
import type { ReplayPoint } from '../../application/queries/provider-replay.js';
import { parseReplayPoint } from '../../application/queries/provider-replay.js';
import { auditPageDto, formatInvocations, invocationsCsv } from '../shared/audit.js';
import { historyEntryDto, replayAtDto, replayWindowDto } from '../shared/dto.js';
import { formatReplayAt, formatReplayWindow, formatTimeline, summarise } from '../shared/timeline.js';

/** Text a CLI command writes, and its exit code; cli.ts does the writing. */
export interface CliOutcome {
  readonly stdout?: string;
  readonly stderr?: string;
  readonly exitCode: number;
}

/** A warning about a valid config (see infrastructure/config/launch-checks.ts). */
export interface ValidateWarning {
  readonly path: string;
  readonly message: string;
}

/**
 * `mcp-hangar validate`: the config is valid (exit 0, even with warnings, which go to stderr) — problems
 * are reported by the loader (exit 2).
 */
export const validateCommand = (config: HangarConfig, warnings: readonly ValidateWarning[] = []): CliOutcome => {
  const ids = [...config.providers.keys()];
  const lines = warnings.map((w) => `warning: ${config.sourcePath}${w.path === '' ? '' : ` ${w.path}`}: ${w.message}`);
  const summary = warnings.length === 0 ? '' : ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})`;
  return {
    stdout: `${config.sourcePath}: valid${summary} — ${ids.length} provider${ids.length === 1 ? '' : 's'}${ids.length ? ` (${ids.join(', ')})` : ''}; event store ${config.eventStore.path}`,
    ...(lines.length > 0 ? { stderr: lines.join('\n') } : {}),
    exitCode: 0,
  };
};

/** What `history` and `audit verify` print when the config's event store does not exist yet (exit 1); nothing is created. */
export const noStoreYet = (storePath: string, configPath: string): CliOutcome => ({
  stderr: [
    `mcp-hangar: no event store yet at ${storePath}`,
    `(the event store of ${configPath}; it is created by the first \`mcp-hangar serve\` with this config — pass -c to read another config's store)`,
  ].join('\n'),
  exitCode: 1,
});

export interface HistoryOptions {
  readonly json: boolean;
  readonly limit?: number | undefined;
  /** Every provider's events, interleaved in global order. */
  readonly all?: boolean | undefined;
  /** The providers of the config: known even before they have events. */
  readonly configured?: readonly string[] | undefined;
}

/** The widest event type: `--all` and `--follow` lines keep one column width however events come. */
const TYPE_WIDTH = Math.max(...PROVIDER_EVENT_TYPES.map((t) => t.length));

/** One event as a line of text: position, time, instance, (provider,) type and what it says. */
export const historyLine = (event: HistoryEntry | ProvidersHistoryEntry, providerWidth = 0): string => {
  const instance = `@${event.instance ?? '-'}`.padEnd(4);
  const provider = 'provider' in event && providerWidth > 0 ? `${event.provider.padEnd(providerWidth)} ` : '';
  return `#${String(event.position).padEnd(6)} ${event.metadata.occurredAt}  ${instance} ${provider}${event.type.padEnd(TYPE_WIDTH)}  ${summarise(event)}`;
};

/** One event as JSON (`--all` and `--follow --json` name its provider in each event). */
export const historyJson = (event: HistoryEntry | ProvidersHistoryEntry, provider: string) => ({
  provider: 'provider' in event ? event.provider : provider,
  ...historyEntryDto(event),
});

const notAProviderId = (provider: string): CliOutcome => ({
  stderr: `'${provider}' is not a provider id (a letter, then letters, digits, _ or -)`,
  exitCode: 2,
});

/** Checks how `history` was asked for: one provider, or `--all`. */
export const historyUsage = (provider: string | undefined, all: boolean): CliOutcome | null => {
  if (provider !== undefined && all) return { stderr: 'mcp-hangar history: give a provider or --all, not both', exitCode: 2 };
  if (provider === undefined && !all)
    return { stderr: 'mcp-hangar history: name a provider (mcp-hangar history PROVIDER) or pass --all for every provider', exitCode: 2 };
  if (provider !== undefined && !isProviderId(provider)) return notAProviderId(provider);
  return null;
};

/**
 * An unknown provider (in neither the config nor the store): "did you mean" the closest, and the known
 * ones (exit 2); null when the provider is known.
 */
export const unknownProvider = async (records: Records, provider: string, configured: readonly string[], command = 'history'): Promise<CliOutcome | null> => {
  if (configured.includes(provider)) return null;
  const known = [...new Set([...configured, ...(await records.providers())])].sort();
  if (known.includes(provider)) return null;
  const listed = known.length === 0 ? 'no provider is configured or recorded' : `known providers: ${known.join(', ')}`;
  return { stderr: `mcp-hangar ${command}: ${providerNotFound(provider, known).message}\n${listed}`, exitCode: 2 };
};

/**
 * `mcp-hangar history PROVIDER|--all [--json] [--limit N]`: a provider's timeline (or every provider's,
 * interleaved) across every run and instance. An unknown provider exits 2 with "did you mean"; a known one
 * with no events exits 3 (with `--json`: an empty list, exit 0).
 */
export const historyCommand = async (records: Records, provider: string | undefined, options: HistoryOptions): Promise<CliOutcome> => {
  const usage = historyUsage(provider, options.all === true);
  if (usage !== null) return usage;
  if (provider === undefined) {
    const events = await records.all({ limit: options.limit });
    if (options.json) return { stdout: JSON.stringify({ events: events.map((e) => historyJson(e, e.provider)) }, null, 2), exitCode: 0 };
    if (events.length === 0) return { stderr: 'no provider events recorded', exitCode: 3 };
    const width = Math.max(...events.map((e) => e.provider.length));
    return { stdout: [`every provider — ${events.length} events`, ...events.map((e) => historyLine(e, width))].join('\n'), exitCode: 0 };
  }
  if (!isProviderId(provider)) return notAProviderId(provider);
  const events = await records.history({ provider, limit: options.limit });
  if (events.length === 0) {
    const unknown = await unknownProvider(records, provider, options.configured ?? []);
    if (unknown !== null) return unknown;
  }
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

export interface ReplayOptions {
  readonly json: boolean;
  readonly at?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly limit?: number | undefined;
  readonly configured?: readonly string[] | undefined;
}

const replayUsageError = (message: string): CliOutcome => ({ stderr: `mcp-hangar replay: ${message}`, exitCode: 2 });

/**
 * `mcp-hangar replay PROVIDER --at <ISO time|position> | --from X --to Y [--json]`: the provider's state at a
 * moment rebuilt from its events with the domain's evolve, or each event of a window with what it changed.
 * An unknown provider exits 2 like `history`; a known one with no events by then exits 3.
 */
export const replayCommand = async (records: Records, provider: string, options: ReplayOptions): Promise<CliOutcome> => {
  if (!isProviderId(provider)) return notAProviderId(provider);
  const window = options.from !== undefined || options.to !== undefined;
  if (window === (options.at !== undefined)) return replayUsageError('give --at <time|position>, or --from and --to (not both)');
  if (window && (options.from === undefined || options.to === undefined)) return replayUsageError('a window needs both --from and --to');
  const points = (window ? [options.from, options.to] : [options.at]).map((p) => ({ text: p as string, point: parseReplayPoint(p as string) }));
  const bad = points.find((p) => p.point === undefined);
  if (bad) return replayUsageError(`'${bad.text}' is neither an ISO time nor a global position`);
  const unknown = await unknownProvider(records, provider, options.configured ?? []);
  if (unknown !== null) return { ...unknown, stderr: (unknown.stderr ?? '').replace('mcp-hangar history:', 'mcp-hangar replay:') };
  if (window) {
    const [fromPoint, toPoint] = points.map((p) => p.point as ReplayPoint) as [ReplayPoint, ReplayPoint];
    const result = await records.replay.window({ provider, from: fromPoint, to: toPoint, limit: options.limit });
    if (options.json) return { stdout: JSON.stringify(replayWindowDto(result), null, 2), exitCode: 0 };
    if (result.steps.length === 0) return { stderr: `no events of provider '${provider}' in that window`, exitCode: 3 };
    return { stdout: formatReplayWindow(result), exitCode: 0 };
  }
  const result = await records.replay.at({ provider, point: (points[0] as { point: ReplayPoint }).point });
  if (options.json) return { stdout: JSON.stringify(replayAtDto(result), null, 2), exitCode: 0 };
  if (result.state.lastEvent === null) return { stderr: `no events recorded for provider '${provider}' by then`, exitCode: 3 };
  return { stdout: formatReplayAt(result), exitCode: 0 };
};

export interface AuditOptions extends AuditQuery {
  readonly json?: boolean | undefined;
  readonly csv?: boolean | undefined;
  /** The providers of the config: known even before they have records. */
  readonly configured?: readonly string[] | undefined;
}

const auditUsageError = (message: string): CliOutcome => ({ stderr: `mcp-hangar audit: ${message}`, exitCode: 2 });

/**
 * `mcp-hangar audit [filters] [--json | --csv]`: recorded tool calls, newest first, as an aligned table, one
 * JSON document (the `registry_audit` tool's structuredContent), or CSV. A bad filter value or an unknown
 * provider exits 2; no matching call exits 3 in text (an empty list or a header line, exit 0, in JSON or CSV).
 * A full page says on stderr how to ask for the next one.
 */
export const auditCommand = async (records: Records, options: AuditOptions): Promise<CliOutcome> => {
  if (options.json && options.csv) return auditUsageError('give --json or --csv, not both');
  const { json: _json, csv: _csv, configured, ...query } = options;
  try {
    auditFilter(query); // every value checked before the store is read
  } catch (error) {
    if (isDomainError(error)) return auditUsageError(error.message);
    throw error;
  }
  if (query.provider !== undefined) {
    const unknown = await unknownProvider(records, query.provider, configured ?? [], 'audit');
    if (unknown !== null) return unknown;
  }
  let page: InvocationPage;
  try {
    page = await records.audit(query);
  } catch (error) {
    if (isDomainError(error) && error.code === 'INVALID_ARGUMENTS') return auditUsageError(error.message);
    throw error;
  }
  if (options.json) return { stdout: JSON.stringify(auditPageDto(page), null, 2), exitCode: 0 };
  const more = page.nextBefore === null ? {} : { stderr: `more calls match: add --before ${page.nextBefore} for the next page` };
  // finish() ends the output with "\n": the CSV's last record keeps its CRLF.
  if (options.csv) return { stdout: invocationsCsv(page).slice(0, -1), ...more, exitCode: 0 };
  if (page.invocations.length === 0) return { stderr: 'no recorded tool calls match', exitCode: 3 };
  return { stdout: formatInvocations(page), ...more, exitCode: 0 };
};
