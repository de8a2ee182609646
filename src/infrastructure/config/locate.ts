import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Where to look for the config file, given explicitly so the choice is testable. */
export interface LocateConfigOptions {
  /** `--config PATH` from the command line, if given. */
  readonly cliPath?: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The working directory: relative `--config`/`MCP_CONFIG` paths and `config.yaml` are looked up here. */
  readonly cwd: string;
  /** The config shipped with the package, used when nothing else is found. */
  readonly bundledPath: string;
}

/**
 * Picks the config file: `--config`, else `MCP_CONFIG`, else `<cwd>/config.yaml` when it exists, else the
 * bundled config. Returns an absolute path; it does not check that an explicitly named file exists (loading
 * it reports that with a clear message).
 */
export const locateConfig = (options: LocateConfigOptions): string => {
  const explicit = [options.cliPath, options.env['MCP_CONFIG']].find((p) => p !== undefined && p !== '');
  if (explicit !== undefined) return resolve(options.cwd, explicit);
  const local = resolve(options.cwd, 'config.yaml');
  if (existsSync(local)) return local;
  return resolve(options.cwd, options.bundledPath);
};
