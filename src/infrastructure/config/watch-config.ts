import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

/** How long the file must stay quiet before a change is reported: editors write a file in several steps. */
export const CONFIG_WATCH_DEBOUNCE_MS = 200;

/**
 * Calls `onChange` once the config file at `path` changed and then stayed unchanged for `debounceMs`.
 * The folder is watched, not the file, so that an editor that saves by writing a new file and renaming it
 * over the old one (the file's inode changes) is still seen. Returns the function that stops watching.
 * A folder that cannot be watched is reported to `onError` and nothing is watched.
 */
export const watchConfigFile = (
  path: string,
  onChange: () => void,
  options: { readonly debounceMs?: number; readonly onError?: (error: unknown) => void } = {},
): (() => void) => {
  const { debounceMs = CONFIG_WATCH_DEBOUNCE_MS, onError = () => undefined } = options;
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
      if (filename !== null && filename !== name) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, debounceMs);
      timer.unref();
    });
  } catch (error) {
    onError(error);
    return () => undefined;
  }
  watcher.on('error', onError);
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
};
