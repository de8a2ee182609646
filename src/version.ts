import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (two folders above dist/src). */
export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

/** The package's root folder (where config/ and examples/ live). */
export const PACKAGE_ROOT: URL = new URL('../../', import.meta.url);
