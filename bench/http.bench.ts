/**
 * HTTP mode against the same provider served directly over Streamable HTTP, measured in one run: warm-call
 * latency, calls per second with 16 in flight, and how many sessions the hangar holds (stopping at 4,000)
 * with the resident memory each costs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { HANGAR_MAIN, hangarConfig, latencies, mathProvider, percentile, rssMb, throughput } from './harness.js';
import { fileURLToPath } from 'node:url';

const MATH_HTTP = fileURLToPath(new URL('./math-http.js', import.meta.url));
const URL_IN = /http:\/\/127\.0\.0\.1:\d+\/mcp/;

/** Starts `args` with Node.js and resolves once it has printed its URL (on stdout or stderr). */
const serving = (args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; url: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env['PATH'] ?? '', MCP_LOG_LEVEL: 'warn', MCP_RATE_LIMIT_RPS: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = '';
    const look = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const url = URL_IN.exec(seen)?.[0];
      if (url !== undefined) resolve({ child, url });
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code} before serving: ${seen.slice(-500)}`)));
  });

const client = async (url: string): Promise<Client> => {
  const c = new Client({ name: 'bench-http', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(url)));
  return c;
};

/** Opens sessions with a bare `initialize` each (never closed) until `limit` or the first failure. */
const holdSessions = async (url: string, limit: number): Promise<number> => {
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench-sessions', version: '1' } },
  });
  let opened = 0;
  for (; opened < limit; opened++) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body,
    }).catch(() => null);
    if (response === null || !response.ok || response.headers.get('mcp-session-id') === null) break;
    await response.arrayBuffer();
  }
  return opened;
};

export interface HttpFigures {
  readonly p50: { readonly direct: number; readonly hangar: number };
  readonly p99: { readonly direct: number; readonly hangar: number };
  readonly perSecond: { readonly direct: number; readonly hangar: number };
  readonly sessions: number;
  readonly rssPerSessionKb: number;
}

export const benchHttp = async (calls = 2000): Promise<HttpFigures> => {
  const cfg = hangarConfig(mathProvider('math'));
  const direct = await serving([MATH_HTTP]);
  const hangar = await serving([HANGAR_MAIN, 'serve', '--http', '--port', '0', '-c', cfg.path]);
  try {
    const d = await client(direct.url);
    const h = await client(hangar.url);
    const add = { name: 'add', arguments: { a: 1, b: 2 } };
    const viaDirect = () => d.callTool(add);
    const viaHangar = () => h.callTool({ name: 'registry_invoke', arguments: { provider: 'math', tool: 'add', arguments: { a: 1, b: 2 } } });
    await latencies(viaDirect, 300);
    await latencies(viaHangar, 300);
    const dl: number[] = [];
    const hl: number[] = [];
    for (let batch = 0; batch < calls / 100; batch++) {
      dl.push(...(await latencies(viaDirect, 100)));
      hl.push(...(await latencies(viaHangar, 100)));
    }
    dl.sort((a, b) => a - b);
    hl.sort((a, b) => a - b);
    let dt = 0;
    let ht = 0;
    for (let batch = 0; batch < 4; batch++) {
      dt += (await throughput(viaDirect, calls / 4, 16)) / 4;
      ht += (await throughput(viaHangar, calls / 4, 16)) / 4;
    }
    await d.close();
    await h.close();
    const before = rssMb(hangar.child.pid as number);
    const sessions = await holdSessions(hangar.url, 4000);
    const after = rssMb(hangar.child.pid as number);
    return {
      p50: { direct: percentile(dl, 50), hangar: percentile(hl, 50) },
      p99: { direct: percentile(dl, 99), hangar: percentile(hl, 99) },
      perSecond: { direct: dt, hangar: ht },
      sessions,
      rssPerSessionKb: sessions === 0 ? NaN : ((after - before) * 1024) / sessions,
    };
  } finally {
    hangar.child.kill('SIGTERM');
    direct.child.kill('SIGTERM');
    await Promise.all([hangar.child, direct.child].map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    cfg.cleanup();
  }
};
