import { existsSync, readFileSync } from 'node:fs';

/**
 * The transactions committed to the WAL of the SQLite file at `path` since the WAL was last reset: frames
 * whose header carries the size of the database after a commit (non-zero only on the last frame of each
 * transaction) and the salts of the WAL header (frames left from before a reset do not count).
 */
export const commitsInWal = (path: string): number => {
  if (!existsSync(`${path}-wal`)) return 0;
  const wal = readFileSync(`${path}-wal`);
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const [salt1, salt2] = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  let commits = 0;
  for (let frame = 32; frame + 24 + pageSize <= wal.length; frame += 24 + pageSize) {
    if (wal.readUInt32BE(frame + 8) !== salt1 || wal.readUInt32BE(frame + 12) !== salt2) break;
    if (wal.readUInt32BE(frame + 4) !== 0) commits++;
  }
  return commits;
};
