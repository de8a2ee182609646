import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  FILESYSTEM_SERVER,
  MEMORY_SERVER,
  UNLIMITED,
  connectHangar,
  tempDirs,
  writeConfig,
  type CallResult,
  type ConnectedHangar,
} from '../support/hangar-harness.js';

/**
 * The front door with real third-party servers from npm: @modelcontextprotocol/server-filesystem and
 * server-memory behind the hangar, their tools listed directly (write_file no longer hides behind the same
 * tool as read_file: each keeps its own annotations) and called as a client of the server itself would.
 */
const dirs = tempDirs('hangar-front-door-');
let hangar: ConnectedHangar;
let files: string;
let direct: { fs: Client; memory: Client };

const clientOf = async (args: string[], env: Record<string, string> = {}): Promise<Client> => {
  const client = new Client({ name: 'direct', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args, env: { PATH: process.env['PATH'] ?? '', ...env }, stderr: 'ignore' }));
  return client;
};
const byName = (tools: readonly Tool[]) => new Map(tools.map((t) => [t.name, t]));

describe('filesystem and memory servers behind the hangar, their tools exposed directly', { timeout: 120_000 }, () => {
  before(async () => {
    files = dirs.make();
    writeFileSync(join(files, 'notes.txt'), 'hello from the hangar\n');
    const memoryFile = join(dirs.make(), 'memory.jsonl');
    const config = writeConfig(
      dirs.make(),
      `providers:\n  fs:\n    command: [node, ${JSON.stringify(FILESYSTEM_SERVER)}, ${JSON.stringify(files)}]\n  memory:\n    command: [node, ${JSON.stringify(MEMORY_SERVER)}]\n    env: { MEMORY_FILE_PATH: ${JSON.stringify(memoryFile)} }\n`,
    );
    hangar = await connectHangar(config, UNLIMITED);
    // Warm both, so that their tools are known (a cold provider that never ran has none to list).
    assert.equal((await hangar.call('registry_warm', {})).isError, undefined);
    direct = {
      fs: await clientOf([FILESYSTEM_SERVER, files]),
      memory: await clientOf([MEMORY_SERVER], { MEMORY_FILE_PATH: join(dirs.make(), 'direct-memory.jsonl') }),
    };
  });
  after(async () => {
    await hangar?.close();
    await direct?.fs.close();
    await direct?.memory.close();
    dirs.removeAll();
  });

  it('lists every tool of both servers as <provider>__<tool>, with annotations and schemas as the servers list them', async () => {
    const listed = byName((await hangar.client.listTools()).tools);
    for (const [provider, client] of [
      ['fs', direct.fs],
      ['memory', direct.memory],
    ] as const) {
      const theirs = (await client.listTools()).tools;
      assert.ok(theirs.length > 3, `${provider} lists its tools`);
      for (const tool of theirs) {
        const ours = listed.get(`${provider}__${tool.name}`);
        assert.ok(ours, `${provider}__${tool.name} is listed`);
        assert.deepEqual(
          [ours.description, ours.inputSchema, ours.outputSchema, ours.annotations, ours.title],
          [tool.description, tool.inputSchema, tool.outputSchema, tool.annotations, tool.title],
          `${provider}__${tool.name} as the server lists it`,
        );
      }
    }
    assert.equal(listed.get('fs__read_text_file')?.annotations?.readOnlyHint ?? listed.get('fs__read_file')?.annotations?.readOnlyHint, true);
    assert.notEqual(listed.get('fs__write_file')?.annotations?.readOnlyHint, true, 'write_file is not presented as read-only');
  });

  it('reads and writes files through the direct tools, as a direct client does', async () => {
    const read = (client: Client, name: string) => client.callTool({ name, arguments: { path: join(files, 'notes.txt') } }) as Promise<CallResult>;
    const readTool = byName((await direct.fs.listTools()).tools).has('read_text_file') ? 'read_text_file' : 'read_file';
    assert.deepEqual((await read(hangar.client, `fs__${readTool}`)).content, (await read(direct.fs, readTool)).content);
    const written = (await hangar.client.callTool({
      name: 'fs__write_file',
      arguments: { path: join(files, 'new.txt'), content: 'written through the hangar' },
    })) as CallResult;
    assert.notEqual(written.isError, true, JSON.stringify(written));
    assert.equal(readFileSync(join(files, 'new.txt'), 'utf8'), 'written through the hangar');
    const outside = (await hangar.client.callTool({ name: `fs__${readTool}`, arguments: { path: '/etc/hostname' } })) as CallResult;
    assert.equal(outside.isError, true, "the server's own refusal comes back as its tool error");
  });

  it('keeps a knowledge graph through the memory server, with results equal to a direct client', async () => {
    const entities = { entities: [{ name: 'hangar', entityType: 'project', observations: ['fronts MCP servers'] }] };
    const ours = (await hangar.client.callTool({ name: 'memory__create_entities', arguments: entities })) as CallResult;
    const theirs = (await direct.memory.callTool({ name: 'create_entities', arguments: entities })) as CallResult;
    assert.deepEqual(ours.content, theirs.content);
    const graph = (await hangar.client.callTool({ name: 'memory__read_graph', arguments: {} })) as CallResult;
    assert.match(JSON.stringify(graph.content), /fronts MCP servers/);
  });
});
