import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { formatMarker, hasExited, markerInEnviron, parseStat, type HangarRun } from './process-marker.js';
import { sweepTargets, type MarkedProcess, type SweepScope } from './sweep-targets.js';

/*
 * Finding and ending the processes that carry a provider marker (see process-marker.ts), through Linux
 * /proc. Only node built-ins: the watchdog process runs this too. A sweep reads every /proc/<pid>/environ
 * this user may read — about a millisecond for a hundred processes — so it runs when a provider ends, when
 * the hangar ends and once at boot, never per call. Races are expected: a process that vanishes mid-scan,
 * an environment another user owns (EACCES), a zombie (its environment reads empty) are all skipped.
 */

let procIsOurs: boolean | undefined;
/** /proc is Linux's and shows this process's pid namespace: its pids are the pids process.kill() takes. */
const usableProc = (): boolean => {
  if (procIsOurs === undefined) {
    try {
      procIsOurs = readlinkSync('/proc/self') === String(process.pid);
    } catch {
      procIsOurs = false;
    }
  }
  return procIsOurs;
};

/** The inode of one of this process's namespaces; null when the kernel has no such namespace. */
const namespaceOf = (kind: 'pid' | 'time'): number | null => {
  try {
    const inode = new RegExp(`^${kind}:\\[(\\d+)\\]$`).exec(readlinkSync(`/proc/self/ns/${kind}`))?.[1];
    return inode === undefined ? null : Number(inode);
  } catch {
    return null;
  }
};

/** This process's run as /proc shows it; null where markers cannot work (no /proc, another namespace's /proc). */
const readRun = (): HangarRun | null => {
  if (!usableProc()) return null;
  try {
    const stat = parseStat(readFileSync('/proc/self/stat', 'latin1'));
    const pidNamespace = namespaceOf('pid');
    return stat && pidNamespace ? { pid: process.pid, startTime: stat.startTime, pidNamespace, timeNamespace: namespaceOf('time') ?? 0 } : null;
  } catch {
    return null;
  }
};

let run: HangarRun | null | undefined;
/** This hangar process's run, read once; null where markers cannot be used (then only process groups end providers). */
export const thisRun = (): HangarRun | null => (run === undefined ? (run = readRun()) : run);

let starts = 0;
/** A marker for a new start of `provider`, unique among every start in every hangar; null where markers cannot be used. */
export const nextProviderMarker = (provider: string): string | null => {
  const current = thisRun();
  return current && formatMarker({ run: current, provider, start: ++starts });
};

/** Every process whose environment this user can read and that carries a marker. */
export const readMarkedProcesses = (): MarkedProcess[] => {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: MarkedProcess[] = [];
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue; // not a process
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${entry}/environ`);
    } catch {
      continue; // gone meanwhile (ENOENT, ESRCH), or another user's (EACCES)
    }
    const marker = markerInEnviron(environ);
    if (marker !== null) found.push({ pid: Number(entry), marker });
  }
  return found;
};

/** Whether a hangar run is still running. When /proc cannot tell (hidden by hidepid, unreadable), only ESRCH says it is gone. */
export const runAlive = (owner: HangarRun): boolean => {
  let line: string;
  try {
    line = readFileSync(`/proc/${owner.pid}/stat`, 'latin1');
  } catch {
    try {
      process.kill(owner.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code !== 'ESRCH';
    }
  }
  const stat = parseStat(line);
  return stat === null || (stat.startTime === owner.startTime && !hasExited(stat));
};

/** What a sweep did: the pids it signalled, and those it was not permitted to (EPERM). */
export interface SweepOutcome {
  readonly signalled: readonly number[];
  readonly refused: readonly number[];
}

/** One scan: signals every process the scope selects that is not in `tried` yet, and adds it there. How many it tried. */
const pass = (scope: SweepScope, signal: NodeJS.Signals, tried: Set<number>, outcome: { signalled: number[]; refused: number[] }): number => {
  let fresh = 0;
  for (const pid of sweepTargets(readMarkedProcesses(), scope, { selfPid: process.pid, runAlive })) {
    if (tried.has(pid)) continue;
    tried.add(pid);
    fresh++;
    try {
      process.kill(pid, signal);
      outcome.signalled.push(pid);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPERM') outcome.refused.push(pid); // ESRCH: gone meanwhile
    }
  }
  return fresh;
};

/** Sends `signal` once to every process the scope selects. Does nothing where /proc is not usable. */
export const signalMarked = (scope: SweepScope, signal: NodeJS.Signals): SweepOutcome => {
  const outcome = { signalled: [] as number[], refused: [] as number[] };
  if (usableProc()) pass(scope, signal, new Set(), outcome);
  return outcome;
};

/**
 * SIGKILLs every process the scope selects, and scans again while a scan finds a process it had not
 * signalled yet (one forked while the previous scan ran): at most `scans` scans. A SIGKILLed process can
 * start nothing more, so this converges. Does nothing where /proc is not usable.
 */
export const killMarked = (scope: SweepScope, scans = 4): SweepOutcome => {
  const outcome = { signalled: [] as number[], refused: [] as number[] };
  if (!usableProc()) return outcome;
  const tried = new Set<number>();
  for (let scan = 0; scan < scans; scan++) if (pass(scope, 'SIGKILL', tried, outcome) === 0) break;
  return outcome;
};

/** At a hangar's boot: SIGKILLs what hangar runs that are no longer running left behind (their watchdog died with them). */
export const endOrphanedProviderProcesses = (): SweepOutcome => {
  const self = thisRun();
  return self ? killMarked({ kind: 'orphans', self }) : { signalled: [], refused: [] };
};
