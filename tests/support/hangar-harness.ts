import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/tests/...). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const HANGAR_MAIN = join(REPO_ROOT, 'dist/src/main.js');
export const MATH_SERVER = join(REPO_ROOT, 'dist/examples/providers/math/server.js');
export const FAULTY_SERVER = join(REPO_ROOT, 'dist/tests/fixtures/providers/faulty-server.js');
export const EVERYTHING_SERVER = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

/** A fresh temporary folder, removed by the returned function. */
export const tempDir = (prefix = 'hangar-test-'): { path: string; remove: () => void } => {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
};

/** Temporary folders made on demand, one per test that needs one; `removeAll` (in `after`) removes them. */
export const tempDirs = (prefix = 'hangar-test-'): { make: () => string; removeAll: () => void } => {
  const made: { remove: () => void }[] = [];
  return {
    make: () => {
      const dir = tempDir(prefix);
      made.push(dir);
      return dir.path;
    },
    removeAll: () => made.splice(0).forEach((dir) => dir.remove()),
  };
};

/** Writes `hangar.yaml` with `yaml` into `dir`; returns its path. */
export const writeConfig = (dir: string, yaml: string, name = 'hangar.yaml'): string => {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
};

export interface ConnectedHangar {
  readonly client: Client;
  readonly pid: number | null;
  /** Everything the hangar wrote to stderr so far. */
  stderr(): string;
  /** Calls a registry tool and returns its result. */
  call(name: string, args?: Record<string, unknown>): Promise<CallResult>;
  close(): Promise<void>;
}

export interface CallResult {
  readonly isError?: boolean;
  readonly content: readonly { type: string; text?: string; [k: string]: unknown }[];
  readonly structuredContent?: Record<string, unknown>;
  readonly [k: string]: unknown;
}

/** Spawns the built hangar over stdio with `configPath`, connected through the SDK's Client. */
export const connectHangar = async (configPath: string, env: Record<string, string> = {}): Promise<ConnectedHangar> => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [HANGAR_MAIN, 'serve', '--config', configPath],
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_LOG_LEVEL: 'warn', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'hangar-e2e', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    pid: transport.pid,
    stderr: () => stderr,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallResult,
    close: () => client.close(),
  };
};

/** The structured error of a failed registry call. */
export const errorOf = (result: CallResult) => (result.structuredContent as { error: Record<string, unknown> & { code: string; hints: string[] } }).error;

/** Polls `check` until it returns true or `timeoutMs` passes (for states another process reaches). */
export const eventually = async (check: () => Promise<boolean>, timeoutMs = 5000, stepMs = 50): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
};

export { isAlive as alive } from './processes.js';
