#!/usr/bin/env node
// Runs every compiled test file (dist/tests/**/*.test.js) with node's built-in test runner.
// Usage: node scripts/run-tests.mjs [filter...]  — filters are substrings of test file paths.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const testsDir = join(root, 'dist', 'tests');
const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : path.endsWith('.test.js') ? [path] : [];
  });
// tsc never deletes outputs: a compiled test whose source is gone is stale and must not run.
const hasSource = (compiled) => existsSync(join(root, relative(join(root, 'dist'), compiled).replace(/\.js$/, '.ts')));

const filters = process.argv.slice(2);
const files = walk(testsDir)
  .filter(hasSource)
  .filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under dist/tests (did the build run?)');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
