/**
 * The marker every provider process carries in its environment, inherited by everything it starts (a
 * process in a new session or a daemon included, unless it clears its environment):
 *
 *     MCP_HANGAR_PROCESS=<hangar run>/<provider id>/<start number>
 *     MCP_HANGAR_PROCESS=812.5063817.4026531836.4026531834/math/3
 *
 * The hangar run is `<pid>.<start time>.<pid namespace>.<time namespace>`: the hangar's pid, its start
 * time in clock ticks since boot (field 22 of `/proc/<pid>/stat`) and the inodes of its pid and time
 * namespaces (0 for a kernel without time namespaces). Pid and start time together name one process for
 * the life of the machine, so anyone can tell whether the hangar that owns a marker is still running,
 * without guessing from a pid that may have been reused; the namespaces keep a hangar from judging (and
 * ending) the processes of a hangar whose pids, or whose clock of start times, it does not share. Two
 * hangars on one store never share a run. The start number counts starts in the whole hangar process, so stopping
 * one start of a provider never touches another's processes. Nothing in it is secret.
 * Pure functions only: reading `/proc` and signalling are proc-sweep.ts's.
 */
export const MARKER_VARIABLE = 'MCP_HANGAR_PROCESS';

/** One run of a hangar process. */
export interface HangarRun {
  readonly pid: number;
  /** Clock ticks after boot at which the process started (`/proc/<pid>/stat`, field 22). */
  readonly startTime: number;
  /** Inode of its pid namespace (`/proc/<pid>/ns/pid`). */
  readonly pidNamespace: number;
  /** Inode of its time namespace (`/proc/<pid>/ns/time`), which shifts the start times it reads; 0 where there is none. */
  readonly timeNamespace: number;
}

/** What a marker says: which hangar run started the provider, which provider, which of its starts. */
export interface ProviderMarker {
  readonly run: HangarRun;
  readonly provider: string;
  readonly start: number;
}

export const formatRun = (run: HangarRun): string => `${run.pid}.${run.startTime}.${run.pidNamespace}.${run.timeNamespace}`;
export const formatMarker = (marker: ProviderMarker): string => `${formatRun(marker.run)}/${marker.provider}/${marker.start}`;

const NUMBER = '(0|[1-9][0-9]{0,15})';
const RUN = `${NUMBER}\\.${NUMBER}\\.${NUMBER}\\.${NUMBER}`;
const RUN_PATTERN = new RegExp(`^${RUN}$`);
// The provider id pattern of src/domain/shared/ids.ts: no "/" can appear in it.
const MARKER_PATTERN = new RegExp(`^${RUN}/([A-Za-z][A-Za-z0-9_-]{0,63})/${NUMBER}$`);

const runOf = (m: RegExpExecArray): HangarRun | null => {
  const run = { pid: Number(m[1]), startTime: Number(m[2]), pidNamespace: Number(m[3]), timeNamespace: Number(m[4]) };
  return run.pid > 1 && Object.values(run).every(Number.isSafeInteger) ? run : null;
};

/** A hangar run as formatRun wrote it; null for anything else. */
export const parseRun = (text: string): HangarRun | null => {
  const m = RUN_PATTERN.exec(text);
  return m ? runOf(m) : null;
};

/** A marker's value as formatMarker wrote it; null for anything else (no partial or lenient parse). */
export const parseMarker = (value: string): ProviderMarker | null => {
  const m = MARKER_PATTERN.exec(value);
  const run = m ? runOf(m) : null;
  const start = Number(m?.[6]);
  return m && run && start >= 1 ? { run, provider: m[5]!, start } : null;
};

/** Both namespaces alike: the same pids, the same clock of start times. */
export const sameNamespaces = (a: HangarRun, b: HangarRun): boolean => a.pidNamespace === b.pidNamespace && a.timeNamespace === b.timeNamespace;
export const sameRun = (a: HangarRun, b: HangarRun): boolean => a.pid === b.pid && a.startTime === b.startTime && sameNamespaces(a, b);

const ASSIGNMENT = Buffer.from(`${MARKER_VARIABLE}=`);

/**
 * The marker's value in a process's environment as `/proc/<pid>/environ` gives it (NUL-separated
 * `NAME=value` entries), or null. The first assignment counts, as for getenv(); the name must start an
 * entry, so `XMCP_HANGAR_PROCESS=` is not it.
 */
export const markerInEnviron = (environ: Buffer): string | null => {
  for (let at = environ.indexOf(ASSIGNMENT); at >= 0; at = environ.indexOf(ASSIGNMENT, at + 1)) {
    if (at > 0 && environ[at - 1] !== 0) continue;
    const from = at + ASSIGNMENT.length;
    const end = environ.indexOf(0, from);
    return environ.toString('latin1', from, end < 0 ? environ.length : end);
  }
  return null;
};

/** The facts of a `/proc/<pid>/stat` line the sweep needs: state letter, parent pid, start time. */
export interface ProcessStat {
  readonly state: string;
  readonly ppid: number;
  readonly startTime: number;
}

/**
 * Parses `/proc/<pid>/stat`. The command name in parentheses may itself hold spaces and parentheses, so
 * fields are counted after the last ")". Null when the line does not have that shape.
 */
export const parseStat = (line: string): ProcessStat | null => {
  const close = line.lastIndexOf(')');
  if (close < 0) return null;
  const fields = line.slice(close + 2).split(' '); // fields[0] is field 3 (state), so field n is fields[n - 3]
  const state = fields[0];
  const ppid = Number(fields[1]);
  const startTime = Number(fields[19]);
  if (state === undefined || !/^[A-Za-z]$/.test(state) || !Number.isInteger(ppid) || !Number.isSafeInteger(startTime) || fields[19] === '') return null;
  return { state, ppid, startTime };
};

/** Zombie or dead: the process has exited and only its parent has not collected it yet. */
export const hasExited = (stat: ProcessStat): boolean => stat.state === 'Z' || stat.state === 'X' || stat.state === 'x';
