/** A store file the hangar cannot use, with the file, the cause and what to do. */
export class StoreUnusable extends Error {
  override readonly name = 'StoreUnusable';
  constructor(
    readonly path: string,
    /** What is wrong with it, in words. */
    readonly reason: string,
    readonly hint: string,
    /** True when the trouble is the place (permissions, a read-only disk, a file where a folder should be), not the file's content. */
    readonly place = false,
  ) {
    super(`event store ${path}: ${reason}`);
  }
}

const CAUSES: Readonly<Record<string, { readonly cause: string; readonly hint: string; readonly place?: true }>> = {
  SQLITE_NOTADB: {
    cause: 'the file is not an SQLite database',
    hint: 'point event_store.path (or MCP_DATABASE_PATH) at the hangar’s store, or move this file away to start a new one',
  },
  SQLITE_CORRUPT: {
    cause: 'the database is damaged (malformed or truncated)',
    hint: 'restore it from a copy; moving it away starts a new store, without its history',
  },
  SQLITE_READONLY: { cause: 'the database cannot be written (read-only)', hint: 'make the file and its folder writable by this user', place: true },
  SQLITE_CANTOPEN: { cause: 'the database cannot be opened', hint: 'check that its folder exists and that this user may write there', place: true },
  SQLITE_PERM: { cause: 'permission denied', hint: 'make the file and its folder writable by this user', place: true },
  SQLITE_FULL: { cause: 'the disk is full', hint: 'free space on the disk that holds the store' },
  EACCES: { cause: 'permission denied', hint: 'make the store’s folder writable by this user, or set event_store.path elsewhere', place: true },
  EPERM: { cause: 'operation not permitted', hint: 'make the store’s folder writable by this user, or set event_store.path elsewhere', place: true },
  EROFS: { cause: 'the file system is read-only', hint: 'set event_store.path (or MCP_DATABASE_PATH) to a writable place', place: true },
  ENOTDIR: { cause: 'a part of the path is a file, not a folder', hint: 'check event_store.path (or MCP_DATABASE_PATH)', place: true },
};

/** The code of an SQLite or file-system error (`SQLITE_CORRUPT_VTAB` counts as `SQLITE_CORRUPT`). */
const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  return Object.keys(CAUSES).find((known) => code === known || code.startsWith(`${known}_`));
};

/** Turns whatever opening or reading the store at `path` threw into a StoreUnusable naming the file and the cause. */
export const storeUnusable = (path: string, error: unknown): StoreUnusable => {
  if (error instanceof StoreUnusable) return error;
  const known = CAUSES[codeOf(error) ?? ''];
  const message = error instanceof Error ? error.message : String(error);
  if (known) return new StoreUnusable(path, `${known.cause} (${message})`, known.hint, known.place === true);
  return new StoreUnusable(path, message, 'check the file, or set event_store.path (or MCP_DATABASE_PATH) to another place');
};
