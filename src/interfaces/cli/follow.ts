import { setTimeout as sleep } from 'node:timers/promises';

/** Something with a global position: what `--follow` resumes after. */
interface Positioned {
  readonly position: number;
}

/**
 * `history --follow`: reads the events from `from` on every `intervalMs` and hands each new batch to `emit`
 * (which resolves once it is written), until `stop` is aborted. Reads only: the store stays read-only.
 * Resolves with the position to resume from.
 */
export const followEvents = async <E extends Positioned>(
  read: (fromPosition: number) => Promise<readonly E[]>,
  from: number,
  emit: (events: readonly E[]) => Promise<void>,
  stop: AbortSignal,
  intervalMs = 500,
): Promise<number> => {
  let next = from;
  while (!stop.aborted) {
    try {
      await sleep(intervalMs, undefined, { signal: stop });
    } catch {
      break; // aborted while waiting
    }
    const events = await read(next);
    if (events.length === 0) continue;
    await emit(events);
    next = (events[events.length - 1] as E).position + 1;
  }
  return next;
};
