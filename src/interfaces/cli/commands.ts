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
import { formatHead, parseHead, type BootCheck } from '../../application/queries/chain-audit.js';
import type { PruneOutcome } from '../../application/commands/prune-history.js';
import type { ExportVerification } from '../../application/ports/event-archive.js';
import type { ChainHead } from '../../application/ports/event-store.js';
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
  // The timeline shown reaches back into a pruned range: say what is no longer there, and where it went.
  const first = (events[0] as HistoryEntry).position;
  const pruned = (await records.chain.prunes()).filter((p) => p.events > 0 && first <= p.throughPosition);
  const notes = pruned.map((p) => `note: the tool calls up to #${p.throughPosition} were pruned from the store (their export: ${p.exportPath})`);
  return { stdout: [formatTimeline(provider, events), ...notes].join('\n'), exitCode: 0 };
};

const short = (hash: string): string => `${hash.slice(0, 12)}…`;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `mcp-hangar audit anchor`: the head of the chain as `position:hash`, to keep somewhere else and check later. */
export const auditAnchorCommand = async (records: Records): Promise<CliOutcome> => ({ stdout: formatHead(await records.chain.head()), exitCode: 0 });

/** Reads `--anchor position:hash` values; a usage error (exit 2) names the first that is not one. */
export const parseAnchors = (values: readonly string[]): { readonly heads: readonly ChainHead[] } | { readonly usage: CliOutcome } => {
  const heads: ChainHead[] = [];
  for (const value of values) {
    const head = parseHead(value);
    if (head === undefined) {
      return { usage: { stderr: `mcp-hangar audit verify: --anchor ${value} is not position:hash (as \`mcp-hangar audit anchor\` prints it)`, exitCode: 2 } };
    }
    heads.push(head);
  }
  return { heads };
};

/**
 * `mcp-hangar audit verify [--anchor position:hash]...`: the hash chain over every stored event (passing over
 * breaks a hangar was told to accept), every anchor of the anchor file, and each head given. Exit 1 naming
 * the first bad position, each anchor the store no longer holds, each line of the anchor file that is not one.
 */
export const auditVerifyCommand = async (records: Records, path: string, given: readonly ChainHead[] = []): Promise<CliOutcome> => {
  const audit = await records.chain.audit(given);
  const out: string[] = [];
  const err: string[] = [];
  if (audit.broken === undefined) {
    const accepted = audit.accepted.length === 0 ? '' : `, but for ${plural(audit.accepted.length, 'accepted break')}:`;
    out.push(`${path}: hash chain intact over ${audit.count} events${accepted}`);
    for (const a of audit.accepted) out.push(`  position ${a.position}: ${a.reason} (accepted ${a.acceptedAt})`);
    for (const p of await records.chain.prunes()) {
      out.push(
        `pruned: ${p.events} tool-call events up to #${p.throughPosition} on ${p.prunedAt}; the export that holds them: ${p.exportPath} (check it with audit verify --file)`,
      );
    }
  } else {
    err.push(`${path}: hash chain BROKEN at position ${audit.broken.position}: ${audit.broken.reason} (${audit.count} events checked)`);
  }
  const { anchors } = audit;
  if (!anchors.exists) {
    out.push(`anchors: none yet (${anchors.location}); a serving hangar writes them — until then a cut-off of the newest events cannot be seen`);
  } else {
    const latest =
      anchors.latest === undefined ? '' : `, the newest ${anchors.latest.head.position}:${short(anchors.latest.head.hash)} (anchored ${anchors.latest.at})`;
    const forgiven = anchors.forgiven === 0 ? '' : `; ${anchors.forgiven} no longer held, covered by an accepted break`;
    out.push(`anchors: ${anchors.held} held in ${anchors.location}${latest}${forgiven}`);
    for (const f of anchors.failed) {
      err.push(
        `${path}: the anchored head ${f.record.head.position}:${short(f.record.head.hash)} (anchored ${f.record.at}) is no longer in the store: ${f.reason}`,
      );
    }
    for (const p of anchors.problems) err.push(`${anchors.location} line ${p.line}: ${p.message}`);
  }
  for (const g of audit.given) {
    if (g.notHeld === undefined) out.push(`anchor ${g.head.position}:${short(g.head.hash)}: held`);
    else err.push(`${path}: does not hold the anchor ${g.head.position}:${short(g.head.hash)}: ${g.notHeld}`);
  }
  return {
    ...(out.length > 0 ? { stdout: out.join('\n') } : {}),
    ...(err.length > 0 ? { stderr: err.join('\n') } : {}),
    exitCode: audit.ok ? 0 : 1,
  };
};

/** `mcp-hangar audit verify --file FILE.jsonl`: an export verified on its own; exit 1 naming the first bad line and position. */
export const auditVerifyFileCommand = (file: string, result: ExportVerification): CliOutcome => {
  if (result.ok) {
    const anchors = result.anchors.length === 0 ? '' : `; holds ${result.anchors.map((a) => `${a.position}:${short(a.hash)}`).join(', ')}`;
    return {
      stdout: `${file}: export intact: positions ${result.from}..${result.to} (${result.count} events), last hash ${short(result.lastHash)}, made ${result.createdAt}${anchors}`,
      exitCode: 0,
    };
  }
  const where = [result.line === undefined ? undefined : `line ${result.line}`, result.position === undefined ? undefined : `position ${result.position}`]
    .filter((w) => w !== undefined)
    .join(', ');
  return { stderr: `${file}: export BROKEN${where === '' ? '' : ` at ${where}`}: ${result.reason}`, exitCode: 1 };
};

/**
 * `mcp-hangar audit export --before <time|position> --out FILE.jsonl`: every event before that point, as
 * stored, verified as written. Exit 2 when the file exists (never overwritten) or the point is not one; 1
 * when there is nothing before it or the chain is broken inside the range (no file is left).
 */
export const auditExportCommand = async (records: Records, path: string, options: { readonly before: string; readonly out: string }): Promise<CliOutcome> => {
  const before = parseReplayPoint(options.before);
  if (before === undefined)
    return { stderr: `mcp-hangar audit export: --before '${options.before}' is neither an ISO time nor a global position`, exitCode: 2 };
  const result = await records.chain.export({ before, out: options.out });
  if (result.ok) {
    const s = result.summary;
    return {
      stdout: [
        `${s.path}: ${s.count} events, positions ${s.from}..${s.to}, last hash ${s.lastHash}`,
        `sha256 ${s.sha256}; logged in ${s.log}`,
        `check it with: mcp-hangar audit verify --file ${s.path}`,
      ].join('\n'),
      exitCode: 0,
    };
  }
  switch (result.kind) {
    case 'exists':
      return { stderr: `mcp-hangar audit export: ${result.path} exists; an export never overwrites a file (choose another --out)`, exitCode: 2 };
    case 'nothing':
      return { stderr: `mcp-hangar audit export: ${path} holds no event before ${options.before}; nothing exported`, exitCode: 1 };
    case 'broken':
      return {
        stderr: `mcp-hangar audit export: ${path}: hash chain BROKEN at position ${result.position}: ${result.reason}; nothing exported (an export must verify on its own: export --before a point ahead of the break, and see mcp-hangar audit verify)`,
        exitCode: 1,
      };
  }
};

/**
 * `mcp-hangar audit prune --before POINT`: removes the tool-call events before the point that an export
 * holds. Refused (exit 1) without such an export; nothing before the point exits 3.
 */
export const auditPruneCommand = async (
  prune: (before: ReplayPoint, asGiven: string) => Promise<PruneOutcome>,
  path: string,
  options: { readonly before: string },
): Promise<CliOutcome> => {
  const before = parseReplayPoint(options.before);
  if (before === undefined) return { stderr: `mcp-hangar audit prune: --before '${options.before}' is neither an ISO time nor a global position`, exitCode: 2 };
  const outcome = await prune(before, options.before);
  switch (outcome.kind) {
    case 'nothing':
      return { stderr: `mcp-hangar audit prune: ${path}: nothing to prune: ${outcome.reason}`, exitCode: 3 };
    case 'refused':
      return { stderr: `mcp-hangar audit prune: ${path}: refused, nothing removed: ${outcome.problem}\n${outcome.hint}`, exitCode: 1 };
    case 'pruned':
      return {
        stdout: [
          `pruned ${outcome.events} tool-call events at or before position ${outcome.through} from ${path}`,
          `kept: every lifecycle event, the newest event of each stream, and the anchored events; the chain links over the gaps`,
          `their export: ${outcome.export.path} (positions ${outcome.export.fromPosition}..${outcome.export.throughPosition}, sha256 ${outcome.export.sha256})`,
          `snapshots of ${outcome.snapshots} provider streams saved at position ${outcome.through}; replay before it says the range was pruned`,
          `check what remains with: mcp-hangar audit verify`,
        ].join('\n'),
        exitCode: 0,
      };
  }
};

/**
 * What `serve` prints when the boot check finds the chain broken (exit 1): where and why, where it checked
 * from, and how to proceed.
 */
export const chainBrokenRefusal = (check: BootCheck, store: string, anchors: string, configPath: string): string => {
  const shown = check.breaks.slice(0, 5);
  const config = `-c ${configPath}`;
  const lines = [
    `mcp-hangar: refusing to serve: the hash chain of the event store ${store} is broken`,
    ...shown.map((b) => `  at position ${b.position}: ${b.reason}`),
    ...(check.breaks.length > shown.length ? [`  … ${check.tooMany ? 'more than ' : ''}${check.breaks.length} breaks in all`] : []),
    check.from === undefined
      ? `(checked the whole chain${check.anchored ? ': no anchor of it is still held' : ': there is no anchor file yet'}; anchors: ${anchors})`
      : `(checked from the anchor ${check.from.head.position}:${short(check.from.head.hash)} of ${check.from.at} to the head; anchors: ${anchors})`,
    'The store was changed outside the hangar: events were altered, deleted or cut off. Nothing was written.',
    `Check the whole store: mcp-hangar audit verify ${config}`,
  ];
  if (check.tooMany) {
    lines.push(`With more than ${check.breaks.length} breaks this is not a log to serve from: restore the store from a backup.`);
  } else {
    lines.push(
      'Then restore the store from a backup, or serve on it as it is:',
      `  mcp-hangar serve --accept-broken-chain ${config}`,
      '(the acceptance is recorded: a ChainBreakAccepted event per break, and a line in the anchor file; from then on boots and `audit verify` pass over these breaks, and no other)',
    );
  }
  return lines.join('\n');
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
