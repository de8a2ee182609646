import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, resolve } from 'node:path';
import type { HangarConfig } from '../../application/config.js';

/** Something in a valid config that will likely fail at run time; `path` is the YAML path ('' for the file). */
export interface ConfigWarning {
  readonly path: string;
  readonly message: string;
}

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

const isExecutable = (path: string): boolean => {
  if (process.platform === 'win32') return true;
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The names a bare command may have on disk (`.exe`, `.cmd`, ... on Windows). */
const candidates = (name: string): readonly string[] => {
  if (process.platform !== 'win32') return [name];
  const extensions = (process.env['PATHEXT'] ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '');
  return [name, ...extensions.map((e) => `${name}${e.toLowerCase()}`), ...extensions.map((e) => `${name}${e}`)];
};

/** Whether `name` (no slash) is an executable file in one of the folders of `pathVariable`. */
export const onPath = (name: string, pathVariable: string): boolean =>
  pathVariable
    .split(delimiter)
    .filter((dir) => dir !== '')
    .some((dir) => candidates(name).some((file) => isFile(resolve(dir, file)) && isExecutable(resolve(dir, file))));

const looksLikePath = (command: string): boolean => command.includes('/') || (process.platform === 'win32' && command.includes('\\')) || isAbsolute(command);

/**
 * What `validate` warns about: a config with no providers, and each subprocess provider whose program
 * cannot be started as written — found the way the runtime starts it: `node` is the running Node.js; a
 * command with a slash is a file relative to the provider's cwd (the config's folder unless `cwd` says
 * otherwise); any other is looked up on the provider's PATH (its own `env.PATH`, else the hangar's).
 * `node SCRIPT` also checks that the script exists. Reads the file system, starts nothing.
 */
export const launchWarnings = (config: HangarConfig, env: NodeJS.ProcessEnv = process.env): readonly ConfigWarning[] => {
  if (config.providers.size === 0)
    return [{ path: 'providers', message: 'no providers are configured — the hangar will serve its registry tools with nothing behind them' }];
  const warnings: ConfigWarning[] = [];
  for (const [id, provider] of config.providers) {
    const { command, cwd, env: own } = provider.launch;
    const where = `providers.${id}`;
    if (!existsSync(cwd)) {
      warnings.push({ path: `${where}.cwd`, message: `the working directory ${cwd} does not exist — the provider will fail to start` });
      continue;
    }
    const [first, ...args] = command;
    if (first === undefined) continue;
    if (first === 'node') {
      const script = args[0];
      if (script !== undefined && !script.startsWith('-') && !isFile(resolve(cwd, script))) {
        warnings.push({ path: `${where}.command`, message: `the script ${resolve(cwd, script)} does not exist — the provider will fail to start` });
      }
    } else if (looksLikePath(first)) {
      const file = resolve(cwd, first);
      if (!isFile(file)) warnings.push({ path: `${where}.command`, message: `${file} does not exist — the provider will fail to start` });
      else if (!isExecutable(file)) warnings.push({ path: `${where}.command`, message: `${file} is not executable — the provider will fail to start` });
    } else {
      const pathVariable = own['PATH'] ?? env['PATH'] ?? '';
      if (!onPath(first, pathVariable)) {
        warnings.push({
          path: `${where}.command`,
          message: `'${first}' is not found on PATH — the provider will fail to start (install it, or give its full path)`,
        });
      }
    }
  }
  return warnings;
};
