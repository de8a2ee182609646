import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { HANGAR_MAIN, connect, hangarConfig, latencies, mathProvider, median, percentile, type Connected } from './harness.js';

/** What one round of the 500-provider boot measured. */
interface BootRound {
  /** Spawn of the hangar → its answer to the first `registry_list`, in ms. */
  readonly toFirstList: number;
  /** The same after a restart on the store the first boot wrote (nothing to register: every provider is known). */
  readonly restartToFirstList: number;
  /** p50 of sequential `registry_list` calls, in ms. */
  readonly listP50: number;
  /** The most child processes the hangar had at any check (after each boot, after the list calls). */
  readonly spawned: number;
}

export interface Boot500Figures {
  readonly providers: number;
  readonly rounds: readonly BootRound[];
}

/** The pids of a process's children, from /proc (every thread's list: a child belongs to the thread that forked it). */
const childrenOf = (pid: number): number[] =>
  readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
      .split(' ')
      .filter((s) => s.trim() !== '')
      .map(Number),
  );

const listProviders = async (hangar: Connected): Promise<{ state: string }[]> =>
  ((await hangar.client.callTool({ name: 'registry_list', arguments: {} })).structuredContent as { providers: { state: string }[] }).providers;

/** The hangar's child processes now; fails the bench unless it lists every provider, all cold. */
const spawnedBy = async (hangar: Connected, providers: number): Promise<number> => {
  const listed = await listProviders(hangar);
  const notCold = listed.filter((p) => p.state !== 'cold');
  if (listed.length !== providers || notCold.length > 0)
    throw new Error(`expected ${providers} cold providers, got ${listed.length} (${notCold.length} not cold)`);
  return childrenOf(hangar.pid as number).length;
};

/** Spawns the hangar on `configPath` and times it to its first answered `registry_list`. */
const bootToFirstList = async (configPath: string, providers: number): Promise<{ hangar: Connected; ms: number }> => {
  const t = performance.now();
  const hangar = await connect([HANGAR_MAIN, 'serve', '--config', configPath]);
  const listed = await listProviders(hangar);
  const ms = performance.now() - t;
  if (listed.length !== providers) throw new Error(`expected ${providers} providers, registry_list gave ${listed.length}`);
  return { hangar, ms };
};

/**
 * A hangar with `providers` configured providers, none started: spawn → first `registry_list` answered on a
 * new store (every provider registered) and again after a restart on that store, then `registry_list`
 * latency. Each round counts the hangar's child processes (from /proc) after each boot and after the calls,
 * and checks that every provider is listed cold.
 */
export const benchBoot500 = async (rounds: number, providers = 500, listCalls = 500): Promise<Boot500Figures> => {
  const results: BootRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const cfg = hangarConfig(Array.from({ length: providers }, (_, i) => mathProvider(`p${i}`)).join(''));
    try {
      const first = await bootToFirstList(cfg.path, providers);
      const spawned = [await spawnedBy(first.hangar, providers)];
      await first.hangar.close();
      // The restart must find its seat free, or it would take another one and register every provider again.
      if (existsSync(`/proc/${first.hangar.pid}`)) throw new Error('the first hangar is still running');
      const restart = await bootToFirstList(cfg.path, providers);
      try {
        spawned.push(await spawnedBy(restart.hangar, providers));
        const list = () => restart.hangar.client.callTool({ name: 'registry_list', arguments: {} });
        await latencies(list, 100);
        const listP50 = percentile(await latencies(list, listCalls), 50);
        spawned.push(await spawnedBy(restart.hangar, providers));
        results.push({ toFirstList: first.ms, restartToFirstList: restart.ms, listP50, spawned: Math.max(...spawned) });
      } finally {
        await restart.hangar.close();
      }
    } finally {
      cfg.cleanup();
    }
  }
  return { providers, rounds: results };
};

/** "median (min–max)" of `values`. */
export const medianAndRange = (values: readonly number[], digits: number): string => {
  const lo = Math.min(...values).toFixed(digits);
  const hi = Math.max(...values).toFixed(digits);
  const mid = median(values).toFixed(digits);
  return lo === hi ? mid : `${mid} (${lo}–${hi})`;
};
