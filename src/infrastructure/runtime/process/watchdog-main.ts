#!/usr/bin/env node
/**
 * The provider watchdog: a tiny process started once per hangar. The hangar writes `+<pgid>` when a
 * provider's process group starts and `-<pgid>` when it ends. When the hangar goes away for any reason —
 * even SIGKILL, which runs no exit hook — this process sees its stdin close (or the hangar's pid vanish)
 * and ends every process group still listed: SIGTERM, then SIGKILL after a grace period.
 * Uses only node built-ins and writes nothing anywhere.
 */
const hangarPid = Number(process.argv[2]);
const graceMs = Number(process.argv[3] ?? 1500);
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
  if (alive.length === 0) process.exit(0);
  setTimeout(() => {
    for (const pgid of alive) signal(pgid, 'SIGKILL');
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
// A second line of defence: the pipe should close with the hangar, but check its pid as well.
setInterval(() => {
  try {
    process.kill(hangarPid, 0);
  } catch {
    end();
  }
}, 1000);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, end);
