#!/usr/bin/env node
/**
 * The provider watchdog: a tiny process started once per hangar, as `watchdog-main <hangar pid> <grace ms>
 * <hangar run>`. The hangar writes `+<pgid>` when a provider's process group starts and `-<pgid>` when it
 * ends. When the hangar goes away for any reason — even SIGKILL, which runs no exit hook — this process
 * sees its stdin close (or the hangar's run end) and ends every process group still listed and every
 * process carrying one of the run's markers (process-marker.ts), wherever it went: SIGTERM, then SIGKILL
 * after a grace period. Uses only node built-ins and writes nothing anywhere.
 */
import { killMarked, runAlive, signalMarked } from './proc-sweep.js';
import { parseRun } from './process-marker.js';
import type { SweepScope } from './sweep-targets.js';

const hangarPid = Number(process.argv[2]);
const graceMs = Number(process.argv[3] ?? 1500);
const given = parseRun(process.argv[4] ?? '');
const run = given?.pid === hangarPid ? given : null; // null where the hangar could not use markers
const marked: SweepScope | null = run && { kind: 'run', run };
const groups = new Set<number>();
let buffered = '';
let ending = false;

const signal = (pgid: number, sig: NodeJS.Signals): boolean => {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
};

const end = (): void => {
  if (ending) return;
  ending = true;
  const alive = [...groups].filter((pgid) => signal(pgid, 'SIGTERM'));
  const escaped = marked ? signalMarked(marked, 'SIGTERM').signalled : [];
  if (alive.length === 0 && escaped.length === 0) process.exit(0);
  setTimeout(() => {
    for (const pgid of alive) signal(pgid, 'SIGKILL');
    if (marked) killMarked(marked);
    process.exit(0);
  }, graceMs);
};

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buffered += chunk;
  let newline: number;
  while ((newline = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, newline).trim();
    buffered = buffered.slice(newline + 1);
    const pgid = Number(line.slice(1));
    if (!Number.isInteger(pgid) || pgid <= 1) continue;
    if (line.startsWith('+')) groups.add(pgid);
    else if (line.startsWith('-')) groups.delete(pgid);
  }
});
process.stdin.on('end', end);
process.stdin.on('close', end);
process.stdin.on('error', end);
// A second line of defence: the pipe should close with the hangar, but check that its run goes on as well
// (by start time where /proc tells it, so a reused pid or a zombie hangar does not count as alive).
const hangarAlive = (): boolean => {
  if (run) return runAlive(run);
  try {
    process.kill(hangarPid, 0);
    return true;
  } catch {
    return false;
  }
};
setInterval(() => {
  if (!hangarAlive()) end();
}, 1000);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, end);
