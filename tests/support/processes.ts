import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Alive and not a zombie (a zombie is dead; its parent just has not reaped it yet). Linux /proc. */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return process.platform !== 'linux';
  }
};

/** Waits up to `ms` for `pid` to be gone; true when it is. */
export const waitUntilDead = async (pid: number, ms = 3000): Promise<boolean> => {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (!isAlive(pid)) return true;
  return !isAlive(pid);
};

/** Pids of live processes whose `/proc/<pid>/<file>` (cmdline or environ) contains `needle`. */
const processesWhose = (file: 'cmdline' | 'environ', needle: string): number[] =>
  readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readFileSync(`/proc/${entry}/${file}`, 'latin1').includes(needle) && isAlive(Number(entry));
      } catch {
        return false; // gone meanwhile, or not readable
      }
    })
    .map(Number);

/** Pids of live processes whose environment contains `marker`. */
export const processesWithMarker = (marker: string): number[] => processesWhose('environ', marker);

/** Pids of live processes whose command line contains `tag`. */
export const processesTagged = (tag: string): number[] => processesWhose('cmdline', tag);

/** Pids of live processes whose parent is `pid` (Linux /proc). */
export const childrenOf = (pid: number): number[] =>
  readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid && isAlive(Number(entry));
      } catch {
        return false;
      }
    })
    .map(Number);

/** The command line of `pid`, arguments joined by spaces; empty when it is gone. */
export const commandLineOf = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ');
  } catch {
    return '';
  }
};
