import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve, win32 } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The user's data folder for the hangar: `$XDG_DATA_HOME/mcp-hangar` when XDG_DATA_HOME is set to an absolute
 * path (the XDG spec ignores a relative one), else `%LOCALAPPDATA%\mcp-hangar` on Windows, else
 * `~/.local/share/mcp-hangar`. `HOME` (`USERPROFILE` on Windows) names the home folder when set.
 */
export const userDataFolder = (env: Env, platform: NodeJS.Platform = process.platform): string => {
  const xdg = env['XDG_DATA_HOME'];
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'mcp-hangar');
  if (platform === 'win32') {
    const local = env['LOCALAPPDATA'];
    if (local !== undefined && local !== '') return win32.join(local, 'mcp-hangar');
    return win32.join(env['USERPROFILE'] || homedir(), 'AppData', 'Local', 'mcp-hangar');
  }
  return join(env['HOME'] || homedir(), '.local', 'share', 'mcp-hangar');
};

/** The store of the bundled config when neither the file nor MCP_DATABASE_PATH names one. */
export const bundledStorePath = (env: Env, platform: NodeJS.Platform = process.platform): string =>
  (platform === 'win32' ? win32.join : join)(userDataFolder(env, platform), 'hangar.db');

/** Whether `path` is the bundled config file (followed through symbolic links, as `npm link` makes them). */
export const isBundledConfig = (path: string, bundledPath: string): boolean => {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(path) === real(bundledPath);
};
