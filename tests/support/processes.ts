import { readFileSync, readdirSync } from 'node:fs';

/** Pids of live processes whose environment contains `marker` (Linux /proc). */
export const processesWithMarker = (marker: string): number[] => {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (!environ.includes(marker)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (/\) Z /.test(stat)) continue; // a zombie is already dead; its parent has yet to reap it
      found.push(Number(entry));
    } catch {
      // gone meanwhile, or not readable
    }
  }
  return found;
};
