/**
 * The history section of `npm run bench` (BENCH_ONLY=history): the targets of "history at scale" measured
 * on a store of HISTORY_BENCH_EVENTS recorded invocations (default 1,000,000) over 10 providers, built by
 * history-store.ts and cached. Each figure has a baseline taken in the same run where one means something:
 * the same measure on a store with no history (the same 10 providers, registered and restarted once).
 *
 * - boot: spawn of the built hangar (`node dist/src/main.js serve`) on a copy of the store → first answered
 *   `registry_list`, and → first answered `registry_invoke` (which cold-starts a provider); peak RSS (VmHWM);
 * - over MCP on that hangar: `registry_history` limit 50, `registry_audit` by provider and day (when the
 *   build has it), and calls of others while a big read runs: `registry_invoke` latencies from the same
 *   client while `registry_history` (limit 1000) or `registry_replay` (at the end of the history) is kept
 *   in flight, against an idle baseline;
 * - the command line, wall time of the whole process (node's own startup included): `replay --at` mid-history
 *   and near its end, `history --limit 50`, `audit --provider --since --until` (when the build has it),
 *   `audit verify`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HANGAR_MAIN, connect, median, percentile, type Connected } from './harness.js';
import { HISTORY_END, HISTORY_START, copyStore, historyConfigText, historyStore, type HistoryStore } from './history-store.js';

/** One row of the history table. */
export interface HistoryRow {
  readonly measure: string;
  readonly baseline: string;
  readonly figure: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: string;
}

export interface HistoryFigures {
  readonly invocations: number;
  readonly store: HistoryStore;
  readonly rows: readonly HistoryRow[];
  readonly notes: readonly string[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Long reads over MCP must not hit the SDK's 60 s default. */
const LONG = { timeout: 30 * 60_000 };
/** The moments the bench asks about: mid-history (a weekday afternoon), near its end, and one day for the audit query. */
const MID = new Date(HISTORY_START + 15 * DAY + 13 * HOUR + 7 * 60_000 + 31_000).toISOString();
const NEAR_END = new Date(HISTORY_END - 2 * HOUR).toISOString();
const AUDIT_DAY = HISTORY_START + 14 * DAY;

const CACHED = { primed: 'found cached', written: 'written store found cached, primed now', nothing: 'written and primed now' } as const;

const fmt = (ms: number, digits = 0): string => (Number.isFinite(ms) ? ms.toFixed(digits) : '—');

/** "median (min–max)" of a sample, or the one value. */
const spread = (values: readonly number[], digits = 0): string => {
  if (values.length === 0) return '—';
  const lo = fmt(Math.min(...values), digits);
  const hi = fmt(Math.max(...values), digits);
  const mid = fmt(median(values), digits);
  return lo === hi ? mid : `${mid} (${lo}–${hi})`;
};

const verdict = (met: boolean): string => (met ? 'MET' : 'NOT MET');

/** Peak resident set size of a process so far, in MB (VmHWM), or NaN once it is gone. */
const peakRssMb = (pid: number | null): number => {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
};

interface CliRun {
  readonly ms: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built command line to its end: wall time of the whole process. */
const cli = (args: readonly string[]): CliRun => {
  const t = performance.now();
  const run = spawnSync(process.execPath, [HANGAR_MAIN, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { PATH: process.env['PATH'] ?? '', MCP_LOG_LEVEL: 'warn' },
  });
  return { ms: performance.now() - t, status: run.status, stdout: run.stdout, stderr: run.stderr };
};

const firstLine = (text: string): string => text.split('\n').find((l) => l.trim() !== '') ?? '';

/** A folder with a config over `storeDir`'s events.db. */
const configIn = (storeDir: string): string => {
  const path = join(storeDir, 'hangar.yaml');
  writeFileSync(path, historyConfigText(join(storeDir, 'events.db')));
  return path;
};

type CallResult = { isError?: boolean; structuredContent?: Record<string, unknown>; content?: unknown };

const call = async (hangar: Connected, name: string, args: Record<string, unknown>): Promise<CallResult> =>
  (await hangar.client.callTool({ name, arguments: args }, undefined, LONG)) as CallResult;

const invokeArgs = (provider: string, a: number) => ({ provider, tool: 'add', arguments: { a, b: 2 } });

/** What one boot of a hangar measured, and the hangar, still running. */
interface Boot {
  readonly hangar: Connected;
  readonly toList: number;
  readonly toInvoke: number;
  readonly rssAfterBoot: number;
}

/** Spawns the hangar on `config` and times it to its first answered registry_list, then registry_invoke (cold p0). */
const boot = async (config: string): Promise<Boot> => {
  const t = performance.now();
  const hangar = await connect([HANGAR_MAIN, 'serve', '--config', config]);
  try {
    const list = await call(hangar, 'registry_list', {});
    const toList = performance.now() - t;
    if (list.isError === true) throw new Error(`registry_list failed: ${JSON.stringify(list.content)}`);
    const invoked = await call(hangar, 'registry_invoke', invokeArgs('p0', 1));
    const toInvoke = performance.now() - t;
    if (invoked.isError === true) throw new Error(`registry_invoke failed: ${JSON.stringify(invoked.content)}`);
    return { hangar, toList, toInvoke, rssAfterBoot: peakRssMb(hangar.pid) };
  } catch (error) {
    await hangar.close().catch(() => undefined);
    throw error;
  }
};

/** Sequential registry_invoke calls on a warm provider: latencies in ms. */
const invokes = async (hangar: Connected, count: number): Promise<number[]> => {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await call(hangar, 'registry_invoke', invokeArgs('p0', i));
    out.push(performance.now() - t);
  }
  return out;
};

/**
 * Calls of others while a big read runs: `read` is kept in flight (issued again as soon as it answers) for
 * at least `windowMs` and at least one whole read, while registry_invoke calls go one after the other on
 * the same connection. Returns their latencies and the reads' durations.
 */
const underRead = async (hangar: Connected, read: () => Promise<unknown>, windowMs = 2000): Promise<{ calls: number[]; reads: number[] }> => {
  const calls: number[] = [];
  const reads: number[] = [];
  const started = performance.now();
  let stop = false;
  const reader = (async () => {
    while (!stop) {
      const t = performance.now();
      await read();
      reads.push(performance.now() - t);
    }
  })();
  let i = 0;
  while (performance.now() - started < windowMs || reads.length === 0 || calls.length < 5) {
    const t = performance.now();
    await call(hangar, 'registry_invoke', invokeArgs('p0', i++));
    calls.push(performance.now() - t);
  }
  stop = true;
  await reader;
  return { calls, reads };
};

/** The text of a tool result. */
const textOf = (result: CallResult): string =>
  Array.isArray(result.content) ? (result.content as { text?: string }[]).map((c) => c.text ?? '').join('\n') : '';

/** The first array in a tool's structuredContent: the rows an audit query returned. */
const rowsOf = (result: CallResult): number => {
  const arrays = Object.values(result.structuredContent ?? {}).filter(Array.isArray) as unknown[][];
  return arrays[0]?.length ?? NaN;
};

/** What the measures need of one hangar run: per-round samples of each figure. */
interface Samples {
  toList: number[];
  toInvoke: number[];
  rssAfterBoot: number[];
  rssPeak: number[];
  historyMcp: number[];
  auditMcp: number[];
  auditRows: number[];
  /** Why registry_audit could not be measured: not listed, or it refused the query. */
  auditMissing: string | undefined;
  idle: number[];
  underHistory: number[];
  historyReads: number[];
  underReplay: number[];
  replayReads: number[];
}

const samples = (): Samples => ({
  toList: [],
  toInvoke: [],
  rssAfterBoot: [],
  rssPeak: [],
  historyMcp: [],
  auditMcp: [],
  auditRows: [],
  auditMissing: undefined,
  idle: [],
  underHistory: [],
  historyReads: [],
  underReplay: [],
  replayReads: [],
});

const auditDayArgs = { provider: 'p3', since: new Date(AUDIT_DAY).toISOString(), until: new Date(AUDIT_DAY + DAY).toISOString() };

/** One round: boot on `config`, the MCP reads, the calls of others under big reads; then the hangar ends. */
const round = async (config: string, into: Samples, withReads: boolean): Promise<void> => {
  const b = await boot(config);
  const { hangar } = b;
  try {
    into.toList.push(b.toList);
    into.toInvoke.push(b.toInvoke);
    into.rssAfterBoot.push(b.rssAfterBoot);
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const history = await call(hangar, 'registry_history', { provider: 'p3', limit: 50 });
      into.historyMcp.push(performance.now() - t);
      const events = (history.structuredContent?.['events'] as unknown[] | undefined)?.length;
      if (history.isError === true || (withReads && events !== 50))
        throw new Error(`registry_history gave ${events} events: ${JSON.stringify(history.content)}`);
    }
    const tools = (await hangar.client.listTools()).tools.map((tool) => tool.name);
    into.auditMissing = tools.includes('registry_audit') ? undefined : 'not listed by this build';
    for (let i = 0; i < 5 && into.auditMissing === undefined; i++) {
      const t = performance.now();
      const audit = await call(hangar, 'registry_audit', auditDayArgs);
      into.auditMcp.push(performance.now() - t);
      if (audit.isError === true) into.auditMissing = `refused the query: ${firstLine(textOf(audit))}`;
      else into.auditRows.push(rowsOf(audit));
    }
    await invokes(hangar, 100); // warm
    into.idle.push(...(await invokes(hangar, 300)));
    if (withReads) {
      const history = await underRead(hangar, () => call(hangar, 'registry_history', { provider: 'p5', limit: 1000 }));
      into.underHistory.push(...history.calls);
      into.historyReads.push(...history.reads);
      const replay = await underRead(hangar, () => call(hangar, 'registry_replay', { provider: 'p6', at: NEAR_END }));
      into.underReplay.push(...replay.calls);
      into.replayReads.push(...replay.reads);
    }
    into.rssPeak.push(peakRssMb(hangar.pid));
  } finally {
    await hangar.close();
  }
};

/** The command-line measures on the store of `config`, `rounds` times each. */
const cliMeasures = (config: string, rounds: number, points: { readonly mid: string; readonly end: string }) => {
  const times = (args: readonly string[], check: (run: CliRun) => void): number[] => {
    const out: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const run = cli(args);
      check(run);
      out.push(run.ms);
    }
    return out;
  };
  const ok = (what: string) => (run: CliRun) => {
    if (run.status !== 0) throw new Error(`${what} exited ${run.status}: ${firstLine(run.stderr)}`);
  };
  const replayMid = times(['replay', 'p4', '--at', points.mid, '-c', config], ok('replay --at mid'));
  const replayEnd = times(['replay', 'p4', '--at', points.end, '-c', config], ok('replay --at near the end'));
  const history = times(['history', 'p3', '--limit', '50', '-c', config], ok('history --limit 50'));
  const auditArgs = ['audit', '--provider', 'p3', '--since', auditDayArgs.since, '--until', auditDayArgs.until, '-c', config];
  const probe = cli(auditArgs);
  // A build without audit queries: commander refuses the options (or the command) with exit 2. Exit 3 is an
  // answer too: no call matched (the baseline store has none).
  let audit: { readonly ms: number[]; readonly rows: number } | { readonly missing: string };
  const answered = (run: CliRun) => {
    if (run.status !== 0 && run.status !== 3) throw new Error(`audit --provider --since --until exited ${run.status}: ${firstLine(run.stderr)}`);
  };
  if (probe.status === 0 || probe.status === 3) {
    audit = { ms: times(auditArgs, answered), rows: probe.stdout.split('\n').filter((l) => l.trim() !== '').length };
  } else audit = { missing: `${probe.status === 2 ? 'not in this build' : `exit ${probe.status}`}: ${firstLine(probe.stderr)}` };
  const verify = times(['audit', 'verify', '-c', config], ok('audit verify'));
  return { replayMid, replayEnd, history, audit, verify };
};

/**
 * Builds (or finds cached) the history store of `invocations` invocations and measures every target on
 * copies of it; `rounds` boots and `rounds` runs of each command.
 */
export const benchHistory = async (invocations: number, rounds: number): Promise<HistoryFigures> => {
  const loadBefore = loadavg()[0] ?? NaN;
  const store = await historyStore(invocations);
  const notes: string[] = [];
  const rows: HistoryRow[] = [];
  const row = (measure: string, baseline: string, figure: string, ratio: string, target: string, met?: boolean) =>
    rows.push({ measure, baseline, figure, ratio, target, verdict: met === undefined ? '' : verdict(met) });

  // Node alone, started the same way as the command line.
  const bare: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    bare.push(performance.now() - t);
  }

  // Baseline: the same providers on a store with no history (registered by a first run, then restarted).
  const base = mkdtempSync(join(tmpdir(), 'hangar-bench-history-base-'));
  const history = mkdtempSync(join(tmpdir(), 'hangar-bench-history-'));
  const baseline = samples();
  const measured = samples();
  try {
    const baseConfig = configIn(base);
    const first = await boot(baseConfig);
    await first.hangar.close();
    for (let i = 0; i < rounds; i++) await round(baseConfig, baseline, false);
    // The baseline's events are from this run: replay them as of now.
    const now = new Date().toISOString();
    const baseCli = cliMeasures(baseConfig, rounds, { mid: now, end: now });

    let config = '';
    for (let i = 0; i < rounds; i++) {
      // Each boot on a fresh copy: the cached store stays as it was built.
      const dir = join(history, `round-${i}`);
      copyStore(store.dir, dir);
      config = configIn(dir);
      await round(config, measured, true);
      if (i < rounds - 1) rmSync(dir, { recursive: true, force: true });
    }
    const histCli = cliMeasures(config, rounds, { mid: MID, end: NEAR_END });

    const ratio = (figure: number[], base: number[]) => `${(median(figure) / median(base)).toFixed(1)}×`;
    const m = median;
    /**
     * A command-line figure: wall time of the whole process, the verdict on it; the ratio column also says
     * what the history added to the same command on a store with none (the command line's own floor).
     */
    const cliRow = (measure: string, base: number[], figure: number[], target: number) => {
      const added = m(figure) - m(base);
      const met = m(figure) <= target;
      row(`${measure}, CLI wall (ms)`, spread(base), spread(figure), `${ratio(figure, base)}, +${fmt(added)} over no history`, `≤ ${target}`, met);
      if (!met && added <= target) (rows[rows.length - 1] as { verdict: string }).verdict = 'NOT MET (added ≤ target)';
    };
    row(
      'spawn → first registry_list answered (ms)',
      spread(baseline.toList),
      spread(measured.toList),
      ratio(measured.toList, baseline.toList),
      '≤ 1500',
      m(measured.toList) <= 1500,
    );
    row(
      'spawn → first registry_invoke answered, cold provider (ms)',
      spread(baseline.toInvoke),
      spread(measured.toInvoke),
      ratio(measured.toInvoke, baseline.toInvoke),
      '≤ 1500',
      m(measured.toInvoke) <= 1500,
    );
    row(
      'hangar peak RSS after boot + first call (MB)',
      spread(baseline.rssAfterBoot, 1),
      spread(measured.rssAfterBoot, 1),
      ratio(measured.rssAfterBoot, baseline.rssAfterBoot),
      '(398 MB at 150k before)',
    );
    row('hangar peak RSS after the reads below (MB)', spread(baseline.rssPeak, 1), spread(measured.rssPeak, 1), ratio(measured.rssPeak, baseline.rssPeak), '');
    cliRow('replay p4 --at mid-history', baseCli.replayMid, histCli.replayMid, 1000);
    cliRow('replay p4 --at near the end', baseCli.replayEnd, histCli.replayEnd, 1000);
    cliRow('history p3 --limit 50', baseCli.history, histCli.history, 100);
    row(
      'registry_history p3 limit 50, over MCP (ms)',
      spread(baseline.historyMcp, 1),
      spread(measured.historyMcp, 1),
      ratio(measured.historyMcp, baseline.historyMcp),
      '≤ 100',
      m(measured.historyMcp) <= 100,
    );
    const { audit } = histCli;
    const baseAudit = baseCli.audit;
    if ('ms' in audit && 'ms' in baseAudit) {
      cliRow('audit --provider p3 --since D --until D+1', baseAudit.ms, audit.ms, 200);
      notes.push(`audit query (CLI): ${audit.rows} lines of output for p3 on ${auditDayArgs.since.slice(0, 10)}`);
    } else {
      row('audit --provider p3 --since D --until D+1, CLI wall (ms)', '', 'not available', '', '≤ 200');
      notes.push(`audit query (CLI): ${'missing' in audit ? audit.missing : 'missing' in baseAudit ? `on the baseline store, ${baseAudit.missing}` : ''}`);
    }
    if (measured.auditMissing === undefined && baseline.auditMissing === undefined) {
      row(
        'registry_audit p3, one day, over MCP (ms)',
        spread(baseline.auditMcp, 1),
        spread(measured.auditMcp, 1),
        `${ratio(measured.auditMcp, baseline.auditMcp)}; ${spread(measured.auditRows)} rows`,
        '≤ 200',
        m(measured.auditMcp) <= 200,
      );
    } else {
      row('registry_audit p3, one day, over MCP (ms)', '', 'not available', '', '≤ 200');
      notes.push(`registry_audit: ${measured.auditMissing ?? `on the baseline store, ${baseline.auditMissing}`}`);
    }
    cliRow('audit verify, whole store', baseCli.verify, histCli.verify, 5000);

    const idle = [...measured.idle].sort((a, b) => a - b);
    const blocked = (name: string, calls: number[], reads: number[]) => {
      const sorted = [...calls].sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      const max = sorted[sorted.length - 1] ?? NaN;
      row(
        `registry_invoke while ${name} runs: p50 / max (ms)`,
        `${fmt(percentile(idle, 50), 2)} / ${fmt(idle[idle.length - 1] ?? NaN, 1)} idle`,
        `${fmt(p50, 2)} / ${fmt(max, 1)}`,
        `${(p50 / percentile(idle, 50)).toFixed(1)}× p50; ${calls.length} calls, read ${spread(reads)} ms`,
        'p50 ≤ 2× idle, max ≤ 50',
        p50 <= 2 * percentile(idle, 50) && max <= 50,
      );
    };
    blocked('registry_history p5 limit 1000', measured.underHistory, measured.historyReads);
    blocked('registry_replay p6 at the end', measured.underReplay, measured.replayReads);

    const { meta } = store;
    notes.push(
      `store: ${meta.invocations.toLocaleString('en')} invocations, ${meta.primedEvents.toLocaleString('en')} events over 10 providers, ${meta.start.slice(0, 10)} to ${meta.end.slice(0, 10)}, ${(meta.bytes / 1e6).toFixed(0)} MB; ${CACHED[store.cached]} (${store.dir})`,
      `  writing it took ${(meta.buildMs / 1000).toFixed(1)} s (${fmt(meta.events / (meta.buildMs / 1000))} events/s); the first boot of a hangar on it (before any hangar had run on it) answered registry_list after ${(meta.primeBootMs / 1000).toFixed(1)} s`,
      `node alone (node -e 0): ${spread(bare)} ms, included in every CLI wall time; baseline column: the same measure on a store with no history (10 providers, registered)`,
      `load average (1 min) ${loadBefore.toFixed(1)} at the start, ${(loadavg()[0] ?? NaN).toFixed(1)} at the end, on ${cpus().length} cores`,
      `calls of others: registry_invoke on one warm provider, one after the other on the same stdio connection while the read is kept in flight (2 s at least); ${idle.length} idle calls`,
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
    rmSync(history, { recursive: true, force: true });
  }
  return { invocations, store, rows, notes };
};
