import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const HANGAR_MAIN = join(ROOT, 'dist/src/main.js');
export const MATH_SERVER = join(ROOT, 'dist/examples/providers/math/server.js');
export const BYTE_RELAY = join(ROOT, 'dist/bench/byte-relay.js');

export const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
export const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

export interface Connected {
  client: Client;
  pid: number | null;
  close(): Promise<void>;
}

/**
 * A client connected over stdio to `args` run by this Node.js, with no flags of its own: the hangar runs
 * as `node dist/src/main.js`, the way the README tells MCP clients to launch it.
 */
export const connect = async (args: string[], env: Record<string, string> = {}): Promise<Connected> => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    env: { PATH: process.env['PATH'] ?? '', MCP_LOG_LEVEL: 'warn', MCP_RATE_LIMIT_RPS: '1000000', MCP_RATE_LIMIT_BURST: '1000000', ...env },
    stderr: process.env['BENCH_STDERR'] === '1' ? 'inherit' : 'ignore',
  });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  return { client, pid: transport.pid, close: () => client.close() };
};

/** A temp folder with a hangar config of `providers` (YAML text); returns the config path and a cleanup. */
export const hangarConfig = (providersYaml: string): { path: string; cleanup: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-bench-'));
  const path = join(dir, 'hangar.yaml');
  writeFileSync(path, `providers:\n${providersYaml}`);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};

export const mathProvider = (id: string, extra = '') => `  ${id}:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n    idle_ttl_s: 0\n${extra}`;

/** Resident set size of a process in MB, from /proc. */
export const rssMb = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
};

/**
 * CPU time (user + system) the kernel has accounted to a process and all its threads so far, in µs, from
 * /proc/<pid>/stat (clock ticks of 10 ms: measure over enough calls to make that small).
 */
export const cpuMicros = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
};
const CLOCK_TICKS = 100;

/** Sequential calls: latencies in ms, sorted. */
export const latencies = async (call: () => Promise<unknown>, count: number): Promise<number[]> => {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await call();
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
};

/** `total` calls with `inFlight` at a time: calls per second. */
export const throughput = async (call: () => Promise<unknown>, total: number, inFlight: number): Promise<number> => {
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next++ < total) await call();
    }),
  );
  return total / ((performance.now() - t) / 1000);
};
