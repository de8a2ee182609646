import { parseMarker, sameNamespaces, sameRun, type HangarRun } from './process-marker.js';

/** A process whose environment carries a marker: its pid and the marker's value, as read. */
export interface MarkedProcess {
  readonly pid: number;
  readonly marker: string;
}

/** Which marked processes a sweep ends. */
export type SweepScope =
  /** What one start of a provider left when it ended: exactly that marker. */
  | { readonly kind: 'start'; readonly marker: string }
  /** Everything one hangar run started (its exit hook, its watchdog). */
  | { readonly kind: 'run'; readonly run: HangarRun }
  /** What hangar runs that are no longer running left, in the sweeper's pid and time namespaces (a booting hangar). */
  | { readonly kind: 'orphans'; readonly self: HangarRun };

export interface SweepContext {
  /** The sweeping process, never signalled. */
  readonly selfPid: number;
  /** Whether a hangar run is still running; asked once per run, for orphans only. When unsure it must say true. */
  readonly runAlive: (run: HangarRun) => boolean;
}

/**
 * The pids a sweep signals, decided over a listing of marked processes: only processes whose marker is
 * well-formed and fits the scope exactly; never pid 0 or 1, never the sweeper itself; for orphans, never a
 * process of a hangar in other pid or time namespaces (its pid and start time are not ours to judge) nor
 * of a run that is alive.
 */
export const sweepTargets = (processes: readonly MarkedProcess[], scope: SweepScope, context: SweepContext): number[] => {
  const deadRuns = new Map<string, boolean>();
  const orphaned = (run: HangarRun, self: HangarRun): boolean => {
    if (!sameNamespaces(run, self) || sameRun(run, self)) return false;
    const key = `${run.pid}.${run.startTime}`;
    let dead = deadRuns.get(key);
    if (dead === undefined) deadRuns.set(key, (dead = !context.runAlive(run)));
    return dead;
  };
  const targets: number[] = [];
  for (const { pid, marker } of processes) {
    if (!Number.isInteger(pid) || pid <= 1 || pid === context.selfPid) continue;
    const parsed = parseMarker(marker);
    if (parsed === null) continue;
    const fits = scope.kind === 'start' ? marker === scope.marker : scope.kind === 'run' ? sameRun(parsed.run, scope.run) : orphaned(parsed.run, scope.self);
    if (fits) targets.push(pid);
  }
  return targets;
};
