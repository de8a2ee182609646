import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { HANGAR_MAIN, UNLIMITED } from './hangar-harness.js';

export interface HttpHangar {
  readonly child: ChildProcess;
  /** http://127.0.0.1:PORT (no path). */
  readonly base: string;
  readonly exited: Promise<number | null>;
  stderr(): string;
  stop(): Promise<void>;
}

export const ENV = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_LOG_LEVEL: 'info', ...UNLIMITED };

/** Spawns the built hangar in HTTP mode on a free port; resolves once it printed its URL. */
export const startHttp = async (configPath: string, args: string[] = [], env: Record<string, string> = {}): Promise<HttpHangar> => {
  const child = spawn(process.execPath, [HANGAR_MAIN, 'serve', '--http', '--port', '0', '-c', configPath, ...args], {
    env: { ...ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const base = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = /serving MCP over HTTP at (http:\/\/[^\s]+)\/mcp/.exec(stderr);
      if (found?.[1] !== undefined) resolve(found[1]);
    });
    void exited.then((code) => reject(new Error(`the hangar exited (${code}) before listening:\n${stderr}`)));
  });
  return {
    child,
    base,
    exited,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
};

export type Kind = 'streamable' | 'sse';
export const connect = async (hangar: HttpHangar, kind: Kind, headers: Record<string, string> = {}): Promise<Client> => {
  const client = new Client({ name: `http-e2e-${kind}`, version: '1.0.0' });
  const requestInit = { headers };
  await client.connect(
    kind === 'streamable'
      ? new StreamableHTTPClientTransport(new URL(`${hangar.base}/mcp`), { requestInit })
      : new SSEClientTransport(new URL(`${hangar.base}/sse`), {
          requestInit,
          eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
        }),
  );
  return client;
};
