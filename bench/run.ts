/**
 * `npm run bench`: mcp-hangar against a baseline measured in the same run. Not a test: it prints figures
 * and ratios, and never fails on them.
 */
import { benchBoot500, medianAndRange } from './boot.bench.js';
import { benchBookkeeping } from './bookkeeping.bench.js';
import { benchHttp } from './http.bench.js';
import { benchEventStore } from './event-store.bench.js';
import { benchFrontDoor } from './front-door.bench.js';
import { benchHistory, type HistoryFigures } from './history.bench.js';
import {
  BYTE_RELAY,
  HANGAR_MAIN,
  MATH_SERVER,
  connect,
  cpuMicros,
  hangarConfig,
  latencies,
  mathProvider,
  median,
  percentile,
  rssMb,
  throughput,
} from './harness.js';

const WARM_CALLS = Number(process.env['BENCH_CALLS'] ?? 3000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
/** Repeated runs of the warm comparison; each figure is reported as the range over them. */
const WARM_RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const rows: string[][] = [];
const row = (...cells: (string | number)[]) => rows.push(cells.map((c) => (typeof c === 'number' ? c.toFixed(c < 10 ? 3 : 1) : c)));

const add = { name: 'add', arguments: { a: 1, b: 2 } };

interface WarmFigures {
  readonly p50: { direct: number; relay: number; hangar: number };
  readonly p99: { direct: number; relay: number; hangar: number };
  readonly perSecond: { direct: number; relay: number; hangar: number };
  /** µs of CPU per call in the process between client and provider, at 1 and at 16 in flight. */
  readonly cpu1: { relay: number; hangar: number };
  readonly cpu16: { relay: number; hangar: number };
  readonly rss: number;
}

/** One run of the warm-call comparison: direct, byte relay and hangar, interleaved in batches. */
const warmRun = async (): Promise<WarmFigures> => {
  const direct = await connect([MATH_SERVER]);
  const relay = await connect([BYTE_RELAY, MATH_SERVER]);
  const cfg = hangarConfig(mathProvider('math'));
  const hangar = await connect([HANGAR_MAIN, 'serve', '--config', cfg.path]);
  try {
    const viaHangar = () => hangar.client.callTool({ name: 'registry_invoke', arguments: { provider: 'math', tool: 'add', arguments: { a: 1, b: 2 } } });
    const viaDirect = () => direct.client.callTool(add);
    const viaRelay = () => relay.client.callTool(add);
    for (const warm of [viaDirect, viaRelay, viaHangar]) await latencies(warm, 500);
    const cpu = { relay: 0, hangar: 0 };
    /** Runs `work` and adds the CPU that `pid` spent meanwhile to `cpu[key]`. */
    const metered = async <T>(key: keyof typeof cpu, pid: number | null, work: () => Promise<T>): Promise<T> => {
      const before = cpuMicros(pid as number);
      const out = await work();
      cpu[key] += cpuMicros(pid as number) - before;
      return out;
    };
    // Interleaved batches: this machine's speed drifts over seconds, and all three must see the same drift.
    const d: number[] = [];
    const r: number[] = [];
    const h: number[] = [];
    for (let batch = 0; batch < WARM_CALLS / 100; batch++) {
      d.push(...(await latencies(viaDirect, 100)));
      r.push(...(await metered('relay', relay.pid, () => latencies(viaRelay, 100))));
      h.push(...(await metered('hangar', hangar.pid, () => latencies(viaHangar, 100))));
    }
    const cpu1 = { relay: cpu.relay / WARM_CALLS, hangar: cpu.hangar / WARM_CALLS };
    cpu.relay = 0;
    cpu.hangar = 0;
    for (const sample of [d, r, h]) sample.sort((a, b) => a - b);
    const perSecond = { direct: 0, relay: 0, hangar: 0 };
    const batches = 5;
    for (let batch = 0; batch < batches; batch++) {
      perSecond.direct += (await throughput(viaDirect, WARM_CALLS / batches, 16)) / batches;
      perSecond.relay += (await metered('relay', relay.pid, () => throughput(viaRelay, WARM_CALLS / batches, 16))) / batches;
      perSecond.hangar += (await metered('hangar', hangar.pid, () => throughput(viaHangar, WARM_CALLS / batches, 16))) / batches;
    }
    return {
      p50: { direct: percentile(d, 50), relay: percentile(r, 50), hangar: percentile(h, 50) },
      p99: { direct: percentile(d, 99), relay: percentile(r, 99), hangar: percentile(h, 99) },
      perSecond,
      cpu1,
      cpu16: { relay: cpu.relay / WARM_CALLS, hangar: cpu.hangar / WARM_CALLS },
      rss: rssMb(hangar.pid as number),
    };
  } finally {
    await hangar.close();
    await relay.close();
    await direct.close();
    cfg.cleanup();
  }
};

/** "a–b" over the runs, or one figure when there was one run. */
const range = (values: readonly number[], digits = 2): string => {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo.toFixed(digits) === hi.toFixed(digits) ? lo.toFixed(digits) : `${lo.toFixed(digits)}–${hi.toFixed(digits)}`;
};

const warmCalls = async () => {
  const runs: WarmFigures[] = [];
  for (let i = 0; i < WARM_RUNS; i++) runs.push(await warmRun());
  const ratios = (pick: (f: WarmFigures) => { direct: number; relay: number; hangar: number }, of: 'relay' | 'hangar') =>
    `${range(runs.map((f) => pick(f)[of] / pick(f).direct))}×`;
  const of = (pick: (f: WarmFigures) => number, digits = 3) => range(runs.map(pick), digits);
  row(
    'warm call p50 (ms)',
    of((f) => f.p50.direct),
    of((f) => f.p50.hangar),
    ratios((f) => f.p50, 'hangar'),
    '≤ 2.3×',
  );
  row(
    '  a byte relay, the floor of any stdio hop (ms)',
    '',
    of((f) => f.p50.relay),
    ratios((f) => f.p50, 'relay'),
    '',
  );
  row(
    'warm call p99 (ms)',
    of((f) => f.p99.direct),
    of((f) => f.p99.hangar),
    ratios((f) => f.p99, 'hangar'),
    '',
  );
  row(
    '  a byte relay (ms)',
    '',
    of((f) => f.p99.relay),
    ratios((f) => f.p99, 'relay'),
    '',
  );
  row(
    '16 in flight (calls/s)',
    of((f) => f.perSecond.direct, 0),
    of((f) => f.perSecond.hangar, 0),
    ratios((f) => f.perSecond, 'hangar'),
    '≥ 0.5×',
  );
  row(
    '  a byte relay (calls/s)',
    '',
    of((f) => f.perSecond.relay, 0),
    ratios((f) => f.perSecond, 'relay'),
    '',
  );
  row(
    'hangar CPU per call, 1 in flight (µs)',
    '',
    of((f) => f.cpu1.hangar, 0),
    '',
    '≤ 300',
  );
  row(
    '  a byte relay (µs)',
    '',
    of((f) => f.cpu1.relay, 0),
    '',
    '',
  );
  row(
    'hangar CPU per call, 16 in flight (µs)',
    '',
    of((f) => f.cpu16.hangar, 0),
    '',
    '≤ 120',
  );
  row(
    '  a byte relay (µs)',
    '',
    of((f) => f.cpu16.relay, 0),
    '',
    '',
  );
  row(
    'hangar RSS after calls (MB)',
    '',
    of((f) => f.rss, 1),
    '',
    '',
  );
};

const coldStart = async () => {
  const direct: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    const c = await connect([MATH_SERVER]);
    await c.client.listTools();
    await c.client.callTool(add);
    direct.push(performance.now() - t);
    await c.close();
  }
  const cfg = hangarConfig(mathProvider('math'));
  const hangar = await connect([HANGAR_MAIN, 'serve', '--config', cfg.path]);
  const through: number[] = [];
  const crowd: number[] = [];
  const spawns: number[] = [];
  const invoke = (a: number) => hangar.client.callTool({ name: 'registry_invoke', arguments: { provider: 'math', tool: 'add', arguments: { a, b: 2 } } });
  const starts = async () =>
    (
      (await hangar.client.callTool({ name: 'registry_history', arguments: { provider: 'math', types: ['ProviderStarted'], limit: 1000 } }))
        .structuredContent as { events: unknown[] }
    ).events.length;
  try {
    for (let i = 0; i < ROUNDS; i++) {
      await hangar.client.callTool({ name: 'registry_stop', arguments: { provider: 'math' } });
      const t = performance.now();
      await invoke(1);
      through.push(performance.now() - t);
    }
    for (let i = 0; i < ROUNDS; i++) {
      await hangar.client.callTool({ name: 'registry_stop', arguments: { provider: 'math' } });
      const before = await starts();
      const t = performance.now();
      await Promise.all(Array.from({ length: 20 }, (_, k) => invoke(k)));
      crowd.push(performance.now() - t);
      spawns.push((await starts()) - before);
    }
  } finally {
    await hangar.close();
    cfg.cleanup();
  }
  row('cold start + first call (ms)', median(direct), median(through), `${(median(through) / median(direct)).toFixed(2)}×`, '');
  row('20 concurrent calls, cold (ms)', '', median(crowd), `${(median(crowd) / median(through)).toFixed(2)}× one cold call`, '≤ 1.2×');
  row('  spawns per 20 concurrent cold calls', '', Math.max(...spawns), '', 'exactly 1');
};

const bookkeeping = async () => {
  const b = await benchBookkeeping();
  row('hangar bookkeeping per call, in-process (µs)', b.baselineUs, b.invokeUs, '', '< 50');
  row('  of which the durable ToolInvoked append (µs)', '', b.appendUs, '', '');
  row('registry_invoke via MCP in-process (µs)', '', b.mcpPathUs, '', '');
};

const boot = async () => {
  const cfg = hangarConfig(Array.from({ length: 10 }, (_, i) => mathProvider(`p${i}`)).join(''));
  const times: number[] = [];
  const rss: number[] = [];
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      const hangar = await connect([HANGAR_MAIN, 'serve', '--config', cfg.path]);
      await hangar.client.listTools();
      times.push(performance.now() - t);
      await hangar.client.callTool({ name: 'registry_list', arguments: {} }); // booted
      await new Promise((r) => setTimeout(r, 300));
      rss.push(rssMb(hangar.pid as number));
      await hangar.close();
    }
  } finally {
    cfg.cleanup();
  }
  row('spawn → tools/list, 10 cold providers (ms)', '', median(times), '', '< 500');
  row('idle hangar RSS, `node dist/src/main.js` (MB)', '', medianAndRange(rss, 1), '', '≤ 80');
};

const boot500 = async () => {
  const { providers, rounds } = await benchBoot500(ROUNDS);
  const over = (pick: (r: (typeof rounds)[number]) => number, digits: number) => medianAndRange(rounds.map(pick), digits);
  row(
    `spawn → first registry_list answered, ${providers} cold providers (ms)`,
    '',
    over((r) => r.toFirstList, 0),
    '',
    '≤ 1500',
  );
  row(
    '  restarted on the same store (ms)',
    '',
    over((r) => r.restartToFirstList, 0),
    '',
    '',
  );
  row(
    `registry_list p50, ${providers} providers (ms)`,
    '',
    over((r) => r.listP50, 2),
    '',
    '≤ 2',
  );
  row('  processes the hangar spawned', '', String(Math.max(...rounds.map((r) => r.spawned))), '', 'none');
};

const http = async () => {
  const f = await benchHttp(WARM_CALLS);
  row('HTTP warm call p50 (ms)', f.p50.direct, f.p50.hangar, `+${((f.p50.hangar - f.p50.direct) * 1000).toFixed(0)} µs`, '≤ +250 µs');
  row('HTTP warm call p99 (ms)', f.p99.direct, f.p99.hangar, `${(f.p99.hangar / f.p99.direct).toFixed(2)}×`, '');
  row('HTTP 16 in flight (calls/s)', f.perSecond.direct, f.perSecond.hangar, `${(f.perSecond.hangar / f.perSecond.direct).toFixed(2)}×`, '≥ 0.9×');
  row('HTTP sessions held (stops at 4000)', '', f.sessions, '', '4000');
  row('  resident memory per session (KB)', '', f.rssPerSessionKb, '', '');
};

const store = async () => {
  const figures = await benchEventStore();
  row('durable ToolInvoked appends/s', '', figures.appendsPerSecond, '', '≥ 20000');
  row('durable ToolInvoked appends/s, 16 per turn', '', figures.batchedAppendsPerSecond, '', '');
};

const frontDoor = async () => {
  const f = await benchFrontDoor(WARM_CALLS);
  const { provider, direct, invoke } = f.callP50;
  row('direct tool math__add p50 (ms)', provider, direct, `${(direct / provider).toFixed(2)}×`, '');
  row('registry_invoke of math/add p50 (ms)', provider, invoke, `${(invoke / provider).toFixed(2)}×; direct/invoke ${(direct / invoke).toFixed(2)}×`, '');
  for (const [mode, p50] of Object.entries(f.listP50))
    row(`tools/list p50, ${f.providers} providers × ${f.toolsEach} tools, expose: ${mode} (ms)`, '', p50, '', '');
  row(`registry_search_tools p50, ${f.providers * f.toolsEach} tools (ms)`, '', f.searchP50, '', '');
};

/** Recorded invocations in the history section's store (HISTORY_BENCH_EVENTS; 100000 for a quick run). */
const HISTORY_INVOCATIONS = Number(process.env['HISTORY_BENCH_EVENTS'] ?? 1_000_000);
const HISTORY_ROUNDS = Number(process.env['HISTORY_BENCH_ROUNDS'] ?? 3);

// BENCH_ONLY=warm,cold,http,boot,boot500,store,bookkeeping,frontdoor runs a subset. The history section
// (a store of a million invocations, built once and cached, then several boots on it) runs only when named:
// BENCH_ONLY=history, or added to a list.
const only = new Set((process.env['BENCH_ONLY'] ?? 'warm,cold,http,boot,boot500,store,bookkeeping,frontdoor').split(','));
if (only.has('warm')) await warmCalls();
if (only.has('cold')) await coldStart();
if (only.has('http')) await http();
if (only.has('boot')) await boot();
if (only.has('boot500')) await boot500();
if (only.has('store')) await store();
if (only.has('bookkeeping')) await bookkeeping();
if (only.has('frontdoor')) await frontDoor();
const history: HistoryFigures | undefined = only.has('history') ? await benchHistory(HISTORY_INVOCATIONS, HISTORY_ROUNDS) : undefined;

/** Writes a table: a header, a rule, the rows, each column as wide as its widest cell. */
const table = (header: string[], cells: string[][]) => {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${cells.map(line).join('\n')}\n`);
};
if (rows.length > 0) {
  table(['measure', 'direct (baseline)', 'through hangar', 'ratio', 'target'], rows);
  process.stdout.write(
    `node ${process.version}, ${WARM_RUNS} runs of ${WARM_CALLS} warm calls (ranges are over the runs), ${ROUNDS} rounds of cold starts and boots (median (min–max))\n`,
  );
}
if (history !== undefined) {
  process.stdout.write(`\nhistory at scale: ${history.invocations.toLocaleString('en')} recorded invocations over 10 providers\n`);
  table(
    ['measure', 'baseline (no history)', 'figure', 'ratio', 'target', 'verdict'],
    history.rows.map((r) => [r.measure, r.baseline, r.figure, r.ratio, r.target, r.verdict]),
  );
  process.stdout.write(
    `${history.notes.join('\n')}\nnode ${process.version}, ${HISTORY_ROUNDS} boots and ${HISTORY_ROUNDS} runs of each command (median (min–max))\n`,
  );
}
