import { GroupWatchdog } from './group-watchdog.js';
import { killMarked, thisRun } from './proc-sweep.js';

// Provider process groups still alive; killed synchronously if the hangar exits normally, and by the
// watchdog process if the hangar dies without running any exit hook (SIGKILL, OOM kill). Both also end
// every process still carrying one of this hangar run's markers, wherever it went.
const livePids = new Set<number>();
const watchdog = new GroupWatchdog();
let exitHookInstalled = false;
const killLiveGroups = (): void => {
  for (const pid of livePids) signalGroup(pid, 'SIGKILL');
  const run = thisRun();
  if (run) killMarked({ kind: 'run', run });
};
/** A provider's process group started: killed with the hangar, however the hangar ends. */
export const track = (pid: number): void => {
  livePids.add(pid);
  watchdog.add(pid);
  if (!exitHookInstalled) {
    process.on('exit', killLiveGroups);
    exitHookInstalled = true;
  }
};

/** Signals the whole process group led by `pid`; unless `groupOnly`, falls back to the process alone (Windows). */
export const signalGroup = (pid: number, signal: NodeJS.Signals, groupOnly = false): void => {
  try {
    process.kill(-pid, signal);
  } catch {
    if (groupOnly) return;
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
};

/** A provider's process group is gone. */
export const untrack = (pid: number): void => {
  livePids.delete(pid);
  watchdog.remove(pid);
};
