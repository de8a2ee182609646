import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The repository root (tests run from dist/tests/...). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const HANGAR_MAIN = join(REPO_ROOT, 'dist/src/main.js');
export const MATH_SERVER = join(REPO_ROOT, 'dist/examples/providers/math/server.js');
export const FAULTY_SERVER = join(REPO_ROOT, 'dist/tests/fixtures/providers/faulty-server.js');
export const UNUSUAL_RESULTS_SERVER = join(REPO_ROOT, 'dist/tests/fixtures/providers/unusual-results/server.js');
export const EVERYTHING_SERVER = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const FILESYSTEM_SERVER = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
export const MEMORY_SERVER = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-memory/dist/index.js');

/**
 * The environment for a hangar whose calls measure something other than the rate limit (several tests
 * share one hangar, or one test makes many calls): the limit is off.
 */
export const UNLIMITED = { MCP_RATE_LIMIT_RPS: '0' } as const;

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

/** A JSON-RPC response as a raw client reads it. */
export interface RawAnswer {
  readonly id: number;
  readonly result?: CallResult;
  readonly error?: { readonly code: number; readonly message: string };
}

/** The built hangar spoken to in raw JSON-RPC lines. */
export interface RawHangar {
  /** Writes `line` (one JSON-RPC request, without its newline) and resolves with the response carrying `id`. */
  request(id: number, line: string): Promise<RawAnswer>;
  /** Writes `line` (one line, without its newline; anything at all) and resolves once it was written. */
  send(line: string): Promise<void>;
  /** The ids of every response so far, in order (the initialize exchange's 0 included); notifications are not responses. */
  answered(): readonly unknown[];
  /** The line (as text, without its newline) of the response carrying `id`, once it came. */
  lineOf(id: number): string | undefined;
  /** Everything the hangar wrote to stderr so far. */
  stderr(): string;
  /** Closes stdin (the hangar shuts down) and waits for the exit code. */
  close(): Promise<number | null>;
}

/**
 * Spawns the built hangar over stdio and initializes it by hand, for requests the SDK's client cannot send:
 * it serializes with JSON.stringify, which overflows on a value nested some thousands of levels deep.
 */
export const connectRaw = (configPath: string, env: Record<string, string> = {}): Promise<RawHangar> =>
  connectRawProcess([HANGAR_MAIN, 'serve', '--config', configPath], env);

/** Spawns `args` with this Node.js (an MCP server over stdio) and initializes it by hand, as {@link connectRaw} does. */
export const connectRawProcess = async (args: string[], env: Record<string, string> = {}): Promise<RawHangar> => {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_LOG_LEVEL: 'warn', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waiting = new Map<number, (answer: RawAnswer) => void>();
  const answered: unknown[] = [];
  const lines = new Map<number, string>();
  let stderr = '';
  let pending = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end);
      const message = JSON.parse(line) as Partial<RawAnswer>;
      pending = pending.slice(end + 1);
      if (!('id' in message)) continue; // a notification (tools/list_changed, progress), not an answer
      answered.push(message.id);
      if (typeof message.id === 'number') lines.set(message.id, line);
      if (typeof message.id === 'number') waiting.get(message.id)?.(message as RawAnswer);
    }
  });
  const request: RawHangar['request'] = (id, line) =>
    new Promise((resolve, reject) => {
      waiting.set(id, resolve);
      void exited.then((code) => reject(new Error(`${args.join(' ')} exited (${code}) before answering ${id}; stderr: ${stderr}`)));
      child.stdin.write(`${line}\n`);
    });
  const initialize = { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'hangar-e2e-raw', version: '1.0.0' } };
  await request(0, JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: initialize }));
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  return {
    request,
    send: (line) => new Promise((resolve) => child.stdin.write(`${line}\n`, () => resolve())),
    answered: () => [...answered],
    lineOf: (id) => lines.get(id),
    stderr: () => stderr,
    close: () => {
      child.stdin.end();
      return exited;
    },
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

const execFileAsync = promisify(execFile);

/** What a run of the hangar's command line came to. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built hangar's command line with `args`; resolves to its exit code and output (never rejects on a non-zero exit). */
export const runCli = async (...args: string[]): Promise<CliRun> => {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [HANGAR_MAIN, ...args], {
      env: { ...process.env, MCP_LOG_LEVEL: 'warn' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const error = e as { code: number; stdout: string; stderr: string };
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
};

/**
 * Runs the built hangar with `args` until it exits: `input` is written to its stdin, which is then closed
 * unless `keepStdinOpen` (so that a `serve` that exits can only have exited on its own). Killed after 30 s.
 */
export const runHangar = (
  args: readonly string[],
  options: { readonly env?: Record<string, string>; readonly input?: string; readonly keepStdinOpen?: boolean } = {},
): Promise<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HANGAR_MAIN, ...args], { env: { ...process.env, MCP_LOG_LEVEL: 'warn', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined); // it may be gone before it reads
    if (options.keepStdinOpen === true) child.stdin.write(options.input ?? '');
    else child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });

/** The `initialize` request a raw client sends first (id 1), as one line. */
export const INITIALIZE_LINE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});
