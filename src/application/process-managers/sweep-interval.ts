/**
 * How often a periodic sweep should look for due work: a quarter of the shortest period among
 * `periodsS` (seconds; non-positive ones mean "never" and are ignored), between `floorMs` and 5 s.
 */
export const sweepEveryMs = (periodsS: readonly number[], floorMs: number): number => {
  const due = periodsS.filter((p) => p > 0);
  if (due.length === 0) return 5000;
  return Math.min(5000, Math.max(floorMs, (Math.min(...due) * 1000) / 4));
};
