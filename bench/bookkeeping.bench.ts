import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProviderConnection, ProviderRuntime, ToolCallResult } from '../src/application/ports/provider-runtime.js';
import { createHangar } from '../src/composition-root.js';
import type { ProviderEvent } from '../src/domain/provider/events.js';
import { createHangarServer } from '../src/interfaces/mcp/hangar-server.js';
import type { Logger } from '../src/application/ports/logger.js';
import { hangarConfig, subprocess } from '../tests/support/hangar-config.js';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };
const RESULT: ToolCallResult = { content: [{ type: 'text', text: '3' }], structuredContent: { result: 3 } };
const TOOLS = [{ name: 'add', inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] } }];

/** A provider connection that answers at once, so that only the hangar's own work is measured. */
const instantConnection = (): ProviderConnection => ({
  pid: null,
  protocolVersion: '2025-06-18',
  serverInfo: { name: 'instant', version: '1' },
  tools: TOOLS,
  capabilities: { tools: {} },
  request: async () => ({}),
  listTools: async () => TOOLS,
  onNotification: () => () => undefined,
  callTool: async () => RESULT,
  ping: async () => undefined,
  stop: async () => undefined,
  exited: new Promise<never>(() => undefined),
  diagnostics: () => ({ stderrTail: '', skippedStdoutLines: 0, lastSkippedLines: [] }),
});
const instantRuntime: ProviderRuntime = { start: async () => instantConnection() };

const perCallUs = async (calls: number, fn: () => Promise<unknown>): Promise<number> => {
  for (let i = 0; i < Math.min(2000, calls); i++) await fn();
  const t = performance.now();
  for (let i = 0; i < calls; i++) await fn();
  return ((performance.now() - t) * 1000) / calls;
};

/**
 * The cost the hangar adds to one call, measured in-process: `app.invoke` (validation, breaker,
 * single-flight lookup, ToolInvoked appended to a real SQLite file, projection update) against calling
 * the same instant connection directly; and the whole registry_invoke path through the MCP server
 * (SDK request handling and our tool layer) over an in-memory transport.
 */
export async function benchBookkeeping(calls = 20_000) {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-bookkeeping-'));
  const hangar = await createHangar(
    {
      ...hangarConfig(join(dir, 'h.db'), { instant: { ...subprocess(['none'], { idleTtlS: 0 }, dir), tools: TOOLS } }),
      retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1000, jitter: 0.2 },
      rateLimit: { rps: 1e9, burst: 1e9 },
    },
    { runtime: instantRuntime, logger: silent },
  );
  try {
    const args = { a: 1, b: 2 };
    const direct = instantConnection();
    const baseline = await perCallUs(calls, () => direct.callTool('add', args, { timeoutMs: 1000 }));
    const invoke = await perCallUs(calls, () => hangar.app.invoke({ provider: 'instant', tool: 'add', arguments: args, correlationId: 'bench' }));
    let version = (await hangar.store.readStream('provider-append-only')).length;
    const event: ProviderEvent = {
      type: 'ToolInvoked',
      data: { tool: 'add', correlationId: 'bench', durationMs: 0, outcome: 'success', argumentsDigest: 'd', resultSize: 60 },
    };
    const append = await perCallUs(calls, () =>
      hangar.store.append('provider-append-only', [event], version++, { occurredAt: new Date().toISOString(), correlationId: 'bench' }),
    );

    const server = createHangarServer(hangar.app, silent, 'bench');
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(clientSide);
    const call = { name: 'registry_invoke', arguments: { provider: 'instant', tool: 'add', arguments: args } };
    const viaMcp = await perCallUs(Math.round(calls / 2), () => client.callTool(call));
    await client.close();
    return { baselineUs: baseline, invokeUs: invoke - baseline, appendUs: append, mcpPathUs: viaMcp };
  } finally {
    await hangar.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}
