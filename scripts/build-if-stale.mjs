#!/usr/bin/env node
// `npm start`'s prestart: runs tsc only when the build is missing or older than a source, so that starting an
// unchanged tree costs a file walk (a few ms), not a compile. tsc's output goes to stderr: stdout is the MCP channel.
//
// The build is fresh when dist/.tsbuildinfo exists, the outputs `npm start` runs exist, and no file or folder of
// the compiled tree (tsconfig.json, package.json, src, tests, examples, bench) was modified after the last build
// this script saw succeed began. Folders count, so a deleted or renamed source is a change too. After a successful
// tsc the stamp (tsbuildinfo's mtime) is set to the time tsc started, so an edit made while it ran is seen next
// time; after a failed one it is set to 1970, so the next start compiles (and reports the errors) again.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const stamp = join(root, 'dist', '.tsbuildinfo');
const outputs = ['dist/src/main.js', 'dist/examples/providers/math/server.js'].map((p) => join(root, p));
const inputs = ['tsconfig.json', 'package.json', 'src', 'tests', 'examples', 'bench'].map((p) => join(root, p));

/** The newest mtime (ms) of `path` and, for a folder, of everything under it. */
const newest = (path) => {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newest(join(path, name))), stat.mtimeMs);
};

const builtAt = existsSync(stamp) ? statSync(stamp).mtimeMs : -1;
const fresh = builtAt >= 0 && outputs.every((p) => existsSync(p)) && inputs.every((p) => newest(p) < builtAt);
if (fresh) process.exit(0);

process.stderr.write('mcp-hangar: building (tsc)...\n');
const started = new Date();
// An incremental tsc does not notice a deleted output: without the outputs, it starts from scratch.
if (!outputs.every((p) => existsSync(p))) rmSync(stamp, { force: true });
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
const when = result.status === 0 ? started : new Date(0);
if (existsSync(stamp)) utimesSync(stamp, when, when);
process.exit(result.status ?? 1);
