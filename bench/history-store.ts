/**
 * The store of the history bench: a month of recorded history over 10 providers, written with the real
 * event store (SqliteEventStore, the composition root's event registry) and decided by the real deciders,
 * then "primed" by one run of the built hangar on it (as a store that a hangar wrote and shut down), and
 * cached on disk so that repeated runs of the bench reuse it.
 *
 * Each provider's history is what the hangar would have recorded for calls arriving at those times: every
 * call goes through the provider decider's `decide` the way `invoke-tool` drives it (AdmitCall, a start when
 * the provider is not ready, then RecordInvocation or RecordInvocationFailure), so that refusals (an open
 * circuit, a degraded provider) come from the decider itself, and the streams fold cleanly. Lifecycle:
 * registration, starts, idle stops, restarts of the hangar (one of which died), a config change and back, a
 * crash followed by starts that fail until the provider is degraded and its circuit opens, a circuit opened
 * by timeouts that a probe closes, a failed health check. The instance stream (`instance-1`) records each
 * run of the hangar.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registrationOf } from '../src/application/commands/open-instance.js';
import type { ProviderConfig } from '../src/application/config.js';
import type { EventMetadata } from '../src/application/ports/event-store.js';
import type { HangarEvent } from '../src/domain/hangar-event.js';
import { instanceDecider, type InstanceCommand, type InstanceState } from '../src/domain/instance/instance.decider.js';
import type { ProviderCommand } from '../src/domain/provider/commands.js';
import type { ProviderEvent } from '../src/domain/provider/events.js';
import { providerDecider } from '../src/domain/provider/provider.decider.js';
import { isRunning, type ProviderState } from '../src/domain/provider/state.js';
import type { ProviderRegistration, ToolDefinition } from '../src/domain/provider/tool-definition.js';
import { isDomainError, type ErrorCode } from '../src/domain/shared/errors.js';
import { instanceId, providerId } from '../src/domain/shared/ids.js';
import { instanceStreamId, providerStreamId } from '../src/domain/shared/streams.js';
import { loadConfig } from '../src/infrastructure/config/load-config.js';
import { hangarEventRegistry } from '../src/infrastructure/persistence/hangar-event-schemas.js';
import { openSqliteEventStore } from '../src/infrastructure/persistence/sqlite/sqlite-event-store.js';
import { ProcessProviderRuntime } from '../src/infrastructure/runtime/process/process-provider-runtime.js';
import { sha256Hasher } from '../src/infrastructure/system/system-clock.js';
import { VERSION } from '../src/version.js';
import { HANGAR_MAIN, MATH_SERVER, connect } from './harness.js';

/** Bump when the builder writes a different history: cached stores of other versions are not reused. */
export const BUILDER_VERSION = 1;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DAY = 86_400_000;
/** The month recorded: 2026-10-01 to 2026-10-31 (UTC). */
export const HISTORY_START = Date.parse('2026-10-01T00:00:00.000Z');
export const HISTORY_DAYS = 30;
export const HISTORY_END = HISTORY_START + HISTORY_DAYS * DAY;
const PROVIDERS = 10;
const INSTANCE = instanceId(1);
/** Appends handed to the store in one turn (one transaction: the store's group commit). */
const APPENDS_PER_TURN = 4096;

/** What the builder wrote, kept beside the store as meta.json. */
export interface HistoryMeta {
  readonly builderVersion: number;
  readonly invocations: number;
  /** Every event the builder wrote (invocations, lifecycle, instance). */
  readonly events: number;
  readonly providers: readonly { readonly id: string; readonly invocations: number; readonly events: number }[];
  readonly start: string;
  readonly end: string;
  /** How long writing the store took, in ms (the run that built it). */
  readonly buildMs: number;
  /** How long the priming run of the hangar took from spawn to its first answered registry_list, in ms. */
  readonly primeBootMs: number;
  /** Events in the store once primed (the priming run adds a few). */
  readonly primedEvents: number;
  readonly bytes: number;
}

export interface HistoryStore {
  /** The folder holding the primed store (events.db and whatever the hangar keeps beside it); never written by the bench. */
  readonly dir: string;
  readonly meta: HistoryMeta;
  /** What this run found cached: both the written and the primed store, the written one only, or nothing. */
  readonly cached: 'primed' | 'written' | 'nothing';
  /** The YAML of the providers (the same in every config the bench writes: their digests must not change). */
  readonly providersYaml: string;
}

/** The providers' config: the bench's math provider with an explicit cwd, so that every config folder gives the same digest. */
export const historyProvidersYaml = (variant: 'current' | 'changed' = 'current'): string =>
  Array.from(
    { length: PROVIDERS },
    (_, i) =>
      `  p${i}:\n    description: math provider ${i} of the history bench\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n    cwd: ${JSON.stringify(ROOT)}\n` +
      (variant === 'changed' && i === 1 ? '    timeout_s: 60\n' : ''),
  ).join('');

/** A hangar config over `storePath` with the history bench's providers. */
export const historyConfigText = (storePath: string, variant: 'current' | 'changed' = 'current'): string =>
  `providers:\n${historyProvidersYaml(variant)}event_store:\n  path: ${JSON.stringify(storePath)}\n`;

/** Deterministic random numbers in [0, 1) (mulberry32), so that a build is the same every time. */
const random = (seed: number): (() => number) => {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

const uuid = (r: () => number): string => {
  const h = () =>
    Math.floor(r() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  const a = h();
  const b = h();
  const c = h();
  const d = h();
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${'89ab'[Math.floor(r() * 4)]}${c.slice(1, 4)}-${c.slice(4)}${d}`;
};

const iso = (ms: number): string => new Date(ms).toISOString();

/** One append the builder hands to the store, at the time it happened. */
interface Append {
  readonly atMs: number;
  readonly streamId: string;
  readonly events: readonly HangarEvent[];
  readonly expected: number;
  readonly metadata: EventMetadata;
}

/** One run of the hangar in seat 1: from its start to its shutdown, or to its death (found by the next run). */
interface Chapter {
  readonly startMs: number;
  readonly endMs: number;
  readonly end: 'shutdown' | 'died';
  /** The config in force ('changed': provider p1 ran with another timeout). */
  readonly variant: 'current' | 'changed';
}

/** Ten runs of the hangar over the month: restarted every three days or so, the seventh died (SIGKILL). */
const chapters = (): Chapter[] => {
  const starts = Array.from({ length: 10 }, (_, k) => (k === 0 ? HISTORY_START : HISTORY_START + k * 3 * DAY + 9 * 3_600_000 + k * 13 * 60_000));
  return starts.map((startMs, k) => {
    const end = k === 6 ? 'died' : 'shutdown';
    const next = starts[k + 1];
    // A restart takes a few seconds; a death is noticed when the next hangar starts, a minute and a half later.
    const endMs = next === undefined ? HISTORY_END - 60_000 : next - (end === 'died' ? 90_000 : 4_000);
    return { startMs, endMs, end, variant: k === 4 ? 'changed' : 'current' };
  });
};

/** Relative traffic by hour of the day (UTC): quiet nights, busy working hours. */
const HOURLY = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.6, 0.6, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 0.8, 0.8, 0.8, 0.8, 0.8, 0.3];

/** `count` call times (completion, ms) over the month, sorted, none while the hangar was down between runs. */
const callTimes = (count: number, r: () => number, runs: readonly Chapter[]): Float64Array => {
  const dayWeights = Array.from({ length: HISTORY_DAYS }, (_, d) => ((d + 3) % 7 >= 5 ? 0.4 : 1)); // 2026-10-01 is a Thursday
  const pick = (weights: readonly number[]): number => {
    const total = weights.reduce((a, b) => a + b, 0);
    let x = r() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i] as number;
      if (x < 0) return i;
    }
    return weights.length - 1;
  };
  const down = runs.slice(0, -1).map((c, k) => [c.endMs, (runs[k + 1] as Chapter).startMs + 1_000] as const);
  const last = runs[runs.length - 1] as Chapter;
  const times = new Float64Array(count);
  for (let i = 0; i < count;) {
    const t = HISTORY_START + pick(dayWeights) * DAY + pick(HOURLY) * 3_600_000 + Math.floor(r() * 3_600_000);
    if (t < HISTORY_START + 1_000 || t >= last.endMs || down.some(([from, to]) => t >= from && t < to)) continue;
    times[i++] = t;
  }
  return times.sort();
};

/** What the runtime reported when the bench's math provider really started: recorded as every start's outcome. */
interface StartedFacts {
  readonly protocolVersion: string | null;
  readonly serverInfo: { readonly name: string; readonly version: string } | null;
  readonly tools: readonly ToolDefinition[];
  readonly toolsDigest: string;
}

const realStart = async (config: ProviderConfig): Promise<StartedFacts> => {
  const runtime = new ProcessProviderRuntime();
  const connection = await runtime.start(providerId('p0'), config.launch, { startTimeoutMs: 30_000 });
  try {
    const { protocolVersion, serverInfo, tools } = connection;
    return { protocolVersion, serverInfo, tools, toolsDigest: sha256Hasher.digest(tools) };
  } finally {
    await connection.stop();
  }
};

type Context = { readonly correlationId?: string; readonly caller?: string };

/** A provider's stream as the command handler keeps it: decide, append at the expected version, evolve. */
class ProviderStream {
  state: ProviderState = providerDecider.initialState();
  version = 0;
  lastMs = 0;
  events = 0;
  readonly out: Append[] = [];
  constructor(readonly streamId: string) {}

  /** Decides `command` at `atMs` (never before the stream's last event); throws the decider's refusals. */
  run(atMs: number, command: ProviderCommand, context: Context = {}): number {
    const at = Math.max(atMs, this.lastMs);
    const events: readonly ProviderEvent[] = providerDecider.decide(command, this.state);
    if (events.length > 0) {
      this.out.push({ atMs: at, streamId: this.streamId, events, expected: this.version, metadata: { occurredAt: iso(at), ...context } });
      for (const event of events) this.state = providerDecider.evolve(this.state, event);
      this.version += events.length;
      this.events += events.length;
      this.lastMs = at;
    }
    return at;
  }
}

const CALLERS = ['alice', 'bob', 'ci-pipeline', 'agent-research', 'agent-ops'];
const TOOLS = ['add', 'add', 'add', 'subtract', 'multiply', 'multiply', 'divide'];

/** One provider's appends over the month, in time order. */
function* providerHistory(
  index: number,
  count: number,
  runs: readonly Chapter[],
  registrations: { readonly current: ProviderRegistration; readonly changed: ProviderRegistration },
  started: StartedFacts,
  counted: { events: number },
): Generator<Append> {
  const id = providerId(`p${index}`);
  const r = random(1000 + index);
  const stream = new ProviderStream(providerStreamId(id, INSTANCE));
  const times = callTimes(count, r, runs);
  const idleTtlMs = registrations.current.settings.idleTtlS * 1000;
  /** When the run of the hangar that holds `t` ended (nothing is recorded from then until the next run). */
  const runEnd = (t: number): number => runs.find((c) => t >= c.startMs && t < c.endMs)?.endMs ?? -Infinity;
  /** When the idle reaper stops the provider, unless a call comes first (Infinity: never, the run ends before). */
  let idleAt = Infinity;
  const used = (t: number) => {
    const due = t + idleTtlMs + Math.floor(r() * 5_000);
    idleAt = due < runEnd(t) ? due : Infinity;
  };
  let crashNext = false;
  let failingStarts = 0;
  let timeoutsNext = 0;

  // Scheduled happenings, in time order: runs of the hangar starting and ending, and this provider's incidents.
  type Scheduled = { readonly atMs: number; readonly apply: (atMs: number) => void };
  const scheduled: Scheduled[] = [];
  const at = (atMs: number, apply: (atMs: number) => void) => scheduled.push({ atMs, apply });
  runs.forEach((run, k) => {
    const previous = runs[k - 1];
    // openInstance: what the previous run left running is closed when it died; then the providers register.
    if (previous?.end === 'died') at(run.startMs + 5 + index, (t) => void stream.run(t, { type: 'StopProvider', reason: 'hangar_restart' }));
    at(run.startMs + 20 + index, (t) => void stream.run(t, { type: 'RegisterProvider', providerId: id, registration: registrations[run.variant] }));
    // Shutdown stops what the hangar runs (a degraded or dead provider has no process to stop).
    if (run.end === 'shutdown')
      at(run.endMs + index, (t) => {
        if (isRunning(stream.state)) stream.run(t, { type: 'StopProvider', reason: 'shutdown' });
      });
  });
  const day = (n: number) => HISTORY_START + (n % (HISTORY_DAYS - 2)) * DAY + DAY;
  // A crash at night (the process is killed), after which its starts keep failing: degraded, circuit open.
  at(day(4 + 2 * index) + 3 * 3_600_000 + 12 * 60_000 + index * 60_000, () => void (crashNext = true));
  // An afternoon when calls time out: the circuit opens, and a probe closes it again.
  at(day(5 + 2 * index) + 14 * 3_600_000 + 30 * 60_000, () => void (timeoutsNext = stream.state.status === 'unregistered' ? 0 : 5));
  // A health check fails once, and passes a minute later.
  at(day(9 + 2 * index) + 16 * 3_600_000, (t) => {
    if (stream.state.status !== 'ready' || runEnd(t) < t) return;
    stream.run(t, { type: 'RecordHealthCheck', ok: false, message: 'ping timed out after 5000 ms', nowMs: t, jitter: r() });
    if (t + 60_000 < runEnd(t)) at(t + 60_000, (t2) => void stream.run(t2, { type: 'RecordHealthCheck', ok: true, message: '', nowMs: t2, jitter: r() }));
    scheduled.sort((a, b) => a.atMs - b.atMs);
  });
  scheduled.sort((a, b) => a.atMs - b.atMs);
  let next = 0;

  /** Applies what is due before `t`: scheduled happenings and idle stops, in time order. */
  const until = (t: number) => {
    for (;;) {
      const item = scheduled[next];
      const due = Math.min(item?.atMs ?? Infinity, stream.state.status === 'ready' ? idleAt : Infinity);
      if (due >= t) return;
      if (item !== undefined && item.atMs === due) {
        next++;
        item.apply(item.atMs);
      } else {
        stream.run(due, { type: 'StopProvider', reason: 'idle' });
        idleAt = Infinity;
      }
    }
  };

  /** One call, the way invoke-tool records it: its time is when the call arrived. */
  const call = (t: number) => {
    const correlationId = uuid(r);
    const caller = r() < 0.3 ? CALLERS[Math.floor(r() * CALLERS.length)] : undefined;
    const context: Context = caller === undefined ? { correlationId } : { correlationId, caller };
    const tool = TOOLS[Math.floor(r() * TOOLS.length)] as string;
    const invalid = r() < 0.003;
    const args = invalid ? { a: 'seven', b: 2 } : { a: Math.floor(r() * 1000), b: tool === 'divide' && r() < 0.05 ? 0 : Math.floor(r() * 100) };
    const argumentsDigest = sha256Hasher.digest(args);
    let now = Math.max(t, stream.lastMs);
    const begun = now;
    const fail = (errorCode: ErrorCode, message: string, durationMs = now - begun) =>
      void stream.run(now, { type: 'RecordInvocationFailure', tool, correlationId, durationMs, errorCode, message, argumentsDigest, nowMs: now }, context);
    const refused = (error: unknown) => {
      if (!isDomainError(error)) throw error;
      fail(error.code, error.message);
    };
    const state = stream.state;
    if (state.status === 'unregistered') throw new Error(`p${index} is not registered at ${iso(t)}`);
    if (invalid && state.discoveredTools !== null) return fail('INVALID_ARGUMENTS', `arguments do not fit ${id}.${tool}: /a: must be number`);
    try {
      stream.run(now, { type: 'AdmitCall', nowMs: now }, context);
      if (stream.state.status !== 'ready') {
        stream.run(now, { type: 'RequestStart', reason: 'invoke', nowMs: now }, context);
        now += 120 + Math.floor(r() * 250);
        if (failingStarts > 0) {
          failingStarts--;
          const message = `provider '${id}' exited with code 1 before it answered initialize`;
          const stderrTail = 'Error: connect ECONNREFUSED 127.0.0.1:5432\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1610:16)';
          stream.run(
            now,
            {
              type: 'RecordStartFailed',
              message,
              exitCode: 1,
              signal: null,
              stderrTail,
              hint: 'run the command yourself to see why it exits',
              nowMs: now,
              jitter: r(),
            },
            context,
          );
          return fail('PROVIDER_START_FAILED', message);
        }
        const { protocolVersion, serverInfo, tools, toolsDigest } = started;
        const startupMs = now - begun;
        stream.run(
          now,
          {
            type: 'RecordStarted',
            pid: 20_000 + Math.floor(r() * 40_000),
            protocolVersion,
            serverInfo,
            startupMs,
            tools,
            toolsDigest,
            toolsCount: tools.length,
          },
          context,
        );
      }
    } catch (error) {
      return refused(error);
    }
    const timeoutMs = stream.state.status === 'unregistered' ? 30_000 : stream.state.registration.settings.timeoutS * 1000;
    if (timeoutsNext > 0) {
      timeoutsNext--;
      used(now);
      return fail('TIMEOUT', `'${tool}' on '${id}' did not answer within ${timeoutMs / 1000} s`, timeoutMs);
    }
    now += 1 + Math.floor(r() * r() * 12);
    used(now);
    if (crashNext) {
      crashNext = false;
      failingStarts = 6;
      stream.run(now, { type: 'RecordCrash', exitCode: null, signal: 'SIGKILL', stderrTail: '', inFlightCalls: 1 });
      return fail('PROVIDER_CRASHED', `provider '${id}' exited (SIGKILL) while 1 call was in flight`);
    }
    const toolError = tool === 'divide' && args.b === 0;
    const resultSize = toolError ? 78 : 40 + String(args.a).length + 2;
    stream.run(
      now,
      { type: 'RecordInvocation', tool, correlationId, durationMs: now - begun, outcome: toolError ? 'tool_error' : 'success', argumentsDigest, resultSize },
      context,
    );
  };

  for (const t of times) {
    until(t);
    call(t);
    yield* stream.out;
    stream.out.length = 0;
  }
  until(Infinity);
  yield* stream.out;
  counted.events = stream.events;
}

/** The instance stream: each run of the hangar in seat 1 starts, and stops (or is found dead by the next). */
function* instanceHistory(runs: readonly Chapter[]): Generator<Append> {
  const r = random(7);
  let state: InstanceState = instanceDecider.initialState();
  let version = 0;
  const streamId = instanceStreamId(INSTANCE);
  const run = (atMs: number, command: InstanceCommand): Append | undefined => {
    const events = instanceDecider.decide(command, state);
    if (events.length === 0) return undefined;
    const append = { atMs, streamId, events, expected: version, metadata: { occurredAt: iso(atMs) } };
    for (const event of events) state = instanceDecider.evolve(state, event);
    version += events.length;
    return append;
  };
  for (const chapter of runs) {
    const started = run(chapter.startMs, { type: 'StartInstance', pid: 1000 + Math.floor(r() * 60_000), host: hostname(), version: VERSION });
    if (started) yield started;
    if (chapter.end === 'shutdown') {
      const stopped = run(chapter.endMs + 50, { type: 'StopInstance' });
      if (stopped) yield stopped;
    }
  }
}

/** Writes the history into a new store at `path`; returns the number of events per provider and in all. */
const writeHistory = async (path: string, invocations: number, configPaths: { current: string; changed: string }) => {
  const load = (file: string) => {
    const result = loadConfig(file, {});
    if (!result.ok) throw new Error(`history bench config ${file} does not load`);
    return result.config;
  };
  const current = load(configPaths.current);
  const changed = load(configPaths.changed);
  const started = await realStart(current.providers.get(providerId('p0')) as ProviderConfig);
  const runs = chapters();
  const counts = Array.from({ length: PROVIDERS }, (_, i) => Math.floor(invocations / PROVIDERS) + (i < invocations % PROVIDERS ? 1 : 0));
  const counted = counts.map(() => ({ events: 0 }));
  const sources: Iterator<Append>[] = [
    instanceHistory(runs),
    ...counts.map((count, i) => {
      const id = providerId(`p${i}`);
      const registrations = {
        current: registrationOf(current.providers.get(id) as ProviderConfig, sha256Hasher),
        changed: registrationOf(changed.providers.get(id) as ProviderConfig, sha256Hasher),
      };
      return providerHistory(i, count, runs, registrations, started, counted[i] as { events: number });
    }),
  ];
  const heads = sources.map((s) => s.next());
  const store = openSqliteEventStore(path, { registry: hangarEventRegistry() });
  let events = 0;
  try {
    let turn: Promise<unknown>[] = [];
    for (;;) {
      // The source whose next append happened first (a k-way merge: positions follow time).
      let first = -1;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i] as IteratorResult<Append>;
        if (!head.done && (first === -1 || head.value.atMs < (heads[first] as IteratorYieldResult<Append>).value.atMs)) first = i;
      }
      if (first === -1) break;
      const append = (heads[first] as IteratorYieldResult<Append>).value;
      heads[first] = (sources[first] as Iterator<Append>).next();
      turn.push(store.append(append.streamId, append.events, append.expected, append.metadata));
      events += append.events.length;
      if (turn.length >= APPENDS_PER_TURN) {
        await Promise.all(turn);
        turn = [];
      }
    }
    await Promise.all(turn);
  } finally {
    await store.close();
  }
  return { events, providers: counts.map((count, i) => ({ id: `p${i}`, invocations: count, events: (counted[i] as { events: number }).events })) };
};

/** Files of the store folder that travel with the store (the store, its WAL, what the hangar keeps beside it). */
const storeFiles = (dir: string): string[] =>
  readdirSync(dir).filter((name) => name.startsWith('events.db') && statSync(join(dir, name)).isFile() && !name.endsWith('-shm'));

/** Copies the store of `from` (a folder) into `to`, which it creates. */
export const copyStore = (from: string, to: string): void => {
  mkdirSync(to, { recursive: true });
  for (const name of storeFiles(from)) copyFileSync(join(from, name), join(to, name));
};

/** A digest of `text` and of the compiled files at `paths` (files or folders, relative to the package root). */
const digestOf = (text: string, paths: readonly string[]): string => {
  const hash = createHash('sha256').update(text);
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
    else if (path.endsWith('.js')) hash.update(path).update(readFileSync(path));
  };
  for (const path of paths) walk(join(ROOT, path));
  return hash.digest('hex').slice(0, 12);
};

/**
 * What the written store depends on: this builder, the domain (deciders, events), the store (format,
 * migrations, schemas), the config loader (registrations and their digests) and the math provider (its tools).
 */
const writtenKey = (invocations: number): string =>
  digestOf(`builder ${BUILDER_VERSION}; ${invocations} invocations; ${historyProvidersYaml()}\n`, [
    'dist/bench/history-store.js',
    'dist/src/domain',
    'dist/src/infrastructure/persistence',
    'dist/src/infrastructure/config',
    'dist/src/application/commands/open-instance.js',
    'dist/examples',
  ]);

/** What the primed store depends on besides: the whole hangar that ran on it (what it keeps beside its events). */
const primedKey = (): string => digestOf(`node ${process.version}\n`, ['dist/src']);

/** Where built stores are kept: $HISTORY_BENCH_DIR, else mcp-hangar-bench in the temp folder. */
const cacheRoot = (): string => process.env['HISTORY_BENCH_DIR'] ?? join(tmpdir(), 'mcp-hangar-bench');

const log = (line: string) => process.stderr.write(`history bench: ${line}\n`);

/** What writing the store measured, kept beside the written store as written.json. */
type Written = Pick<HistoryMeta, 'builderVersion' | 'invocations' | 'events' | 'providers' | 'start' | 'end' | 'buildMs'>;

/** The written store of `invocations` invocations in `dir`/written: from the cache, or written now. */
const writtenStore = async (dir: string, invocations: number): Promise<{ readonly written: Written; readonly cached: boolean }> => {
  const metaPath = join(dir, 'written.json');
  if (existsSync(metaPath)) return { written: JSON.parse(readFileSync(metaPath, 'utf8')) as Written, cached: true };
  rmSync(dir, { recursive: true, force: true });
  const store = join(dir, 'written');
  mkdirSync(store, { recursive: true });
  const configs = { current: join(dir, 'current.yaml'), changed: join(dir, 'changed.yaml') };
  writeFileSync(configs.current, historyConfigText(join(store, 'events.db')));
  writeFileSync(configs.changed, historyConfigText(join(store, 'events.db'), 'changed'));
  log(`writing ${invocations.toLocaleString('en')} invocations over ${PROVIDERS} providers (${HISTORY_DAYS} days) with the real event store…`);
  const t = performance.now();
  const written = await writeHistory(join(store, 'events.db'), invocations, configs);
  const buildMs = performance.now() - t;
  log(`wrote ${written.events.toLocaleString('en')} events in ${(buildMs / 1000).toFixed(1)} s`);
  const meta: Written = { builderVersion: BUILDER_VERSION, invocations, ...written, start: iso(HISTORY_START), end: iso(HISTORY_END), buildMs };
  writeFileSync(metaPath, JSON.stringify(meta, null, 2));
  return { written: meta, cached: false };
};

/** Waits (up to `ms`) until process `pid` is gone. */
const exited = async (pid: number | null, ms = 60_000): Promise<void> => {
  const until = Date.now() + ms;
  while (pid !== null && existsSync(`/proc/${pid}`) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
};

/**
 * The primed store of `invocations` recorded invocations: written once (cached per builder and store
 * format), then primed by one run of this build of the hangar (cached per build). Stores cached for
 * other builds of the same size are removed.
 */
export const historyStore = async (invocations: number): Promise<HistoryStore> => {
  const root = cacheRoot();
  const name = `history-v${BUILDER_VERSION}-${invocations}`;
  const base = join(root, `${name}-${writtenKey(invocations)}`);
  const dir = join(base, `primed-${primedKey()}`);
  const providersYaml = historyProvidersYaml();
  if (existsSync(join(dir, 'meta.json'))) {
    return { dir, meta: JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as HistoryMeta, cached: 'primed', providersYaml };
  }
  mkdirSync(root, { recursive: true });
  for (const old of readdirSync(root)) if (old.startsWith(`${name}-`) && join(root, old) !== base) rmSync(join(root, old), { recursive: true, force: true });
  const { written, cached } = await writtenStore(base, invocations);
  for (const old of readdirSync(base)) if (old.startsWith('primed-')) rmSync(join(base, old), { recursive: true, force: true });

  // Primed: one run of the built hangar on it (boot, first answer, shutdown), as a store a hangar served from.
  const work = join(base, `priming-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  try {
    copyStore(join(base, 'written'), work);
    const config = join(work, 'hangar.yaml');
    writeFileSync(config, historyConfigText(join(work, 'events.db')));
    log('priming: one run of the built hangar on the written store…');
    const t = performance.now();
    const hangar = await connect([HANGAR_MAIN, 'serve', '--config', config]);
    let primeBootMs: number;
    try {
      await hangar.client.callTool({ name: 'registry_list', arguments: {} }, undefined, { timeout: 30 * 60_000 });
      primeBootMs = performance.now() - t;
    } finally {
      await hangar.close();
      await exited(hangar.pid);
    }
    log(`primed (spawn → first registry_list ${(primeBootMs / 1000).toFixed(1)} s)`);
    const check = openSqliteEventStore(join(work, 'events.db'), { registry: hangarEventRegistry(), readonly: true });
    const primedEvents = await check.lastPosition();
    const last = (await check.readStream(instanceStreamId(INSTANCE))).at(-1);
    await check.close();
    if (last?.type !== 'InstanceStopped' || last.data.reason !== 'shutdown') throw new Error('the priming run of the hangar did not shut down cleanly');
    const bytes = storeFiles(work).reduce((sum, f) => sum + statSync(join(work, f)).size, 0);
    const meta: HistoryMeta = { ...written, primeBootMs, primedEvents, bytes };
    copyStore(work, dir);
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
    return { dir, meta, cached: cached ? 'written' : 'nothing', providersYaml };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};
