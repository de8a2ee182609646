import type { execa as Execa } from 'execa';
import type { SubprocessLaunch } from '../../../application/ports/provider-runtime.js';
import { MARKER_VARIABLE } from './process-marker.js';

const POSIX_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TERM', 'LANG', 'TMPDIR'];
const WINDOWS_ENV = [
  'APPDATA',
  'HOMEDRIVE',
  'HOMEPATH',
  'LOCALAPPDATA',
  'PATH',
  'PATHEXT',
  'PROCESSOR_ARCHITECTURE',
  'PROGRAMFILES',
  'SYSTEMDRIVE',
  'SYSTEMROOT',
  'TEMP',
  'TMP',
  'USERNAME',
  'USERPROFILE',
  'COMSPEC',
  'WINDIR',
];

/** A minimal inherited environment (PATH, HOME, ...) with the provider's own variables merged over it. */
const providerEnvironment = (own: Readonly<Record<string, string>>): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const key of process.platform === 'win32' ? WINDOWS_ENV : POSIX_ENV) {
    const value = process.env[key];
    // Values starting with "()" are exported shell functions, a known injection vector.
    if (value !== undefined && !value.startsWith('()')) env[key] = value;
  }
  return { ...env, ...own };
};

// execa is loaded with the first provider start: a hangar whose providers are all cold never pays for it.
let execaModule: Promise<typeof Execa> | undefined;
export const loadExeca = (): Promise<typeof Execa> => (execaModule ??= import('execa').then((m) => m.execa));

/**
 * Starts a provider. `marker` (see process-marker.ts) goes into its environment, over any value the
 * config gave the same variable, so that everything it starts can be found again, even outside its group.
 */
export const spawnProvider = (execa: typeof Execa, file: string, args: readonly string[], launch: SubprocessLaunch, marker: string | null) =>
  execa(file, args, {
    cwd: launch.cwd,
    env: marker === null ? providerEnvironment(launch.env) : { ...providerEnvironment(launch.env), [MARKER_VARIABLE]: marker },
    extendEnv: false,
    detached: true, // its own process group, so stop() can signal everything it started
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    encoding: 'buffer',
  });
export type Child = ReturnType<typeof spawnProvider>;
