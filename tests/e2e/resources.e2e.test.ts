import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  LoggingMessageNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  EVERYTHING_SERVER,
  FAULTY_SERVER,
  MATH_SERVER,
  UNLIMITED,
  connectHangar,
  eventually,
  tempDirs,
  writeConfig,
  type ConnectedHangar,
} from '../support/hangar-harness.js';

/**
 * The front door beyond tools: the running providers' resources (as hangar://<provider>/<encoded uri>),
 * resource templates, prompts (<provider>__<prompt>), completions and log messages, through the hangar,
 * compared with a client of the same provider directly.
 */
const dirs = tempDirs('hangar-resources-');
const open: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(open.map((h) => h.close().catch(() => undefined)));
  dirs.removeAll();
});

const yaml = `
providers:
  math:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
  everything:
    command: [node, ${JSON.stringify(EVERYTHING_SERVER)}, stdio]
`;

const hangarUri = (provider: string, uri: string) => `hangar://${provider}/${encodeURIComponent(uri)}`;

describe('resources, prompts, completions and logging through the hangar', () => {
  let hangar: ConnectedHangar;
  let direct: Client;
  const logs: LoggingMessageNotification['params'][] = [];
  let resourceListChanged = 0;

  before(async () => {
    hangar = await connectHangar(writeConfig(dirs.make(), yaml), UNLIMITED);
    open.push(hangar);
    hangar.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
    hangar.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void resourceListChanged++);
    direct = new Client({ name: 'direct', version: '1.0.0' });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'], stderr: 'ignore' }));
    open.push(direct);
  });

  it('declares resources, prompts, completions and logging', () => {
    const caps = hangar.client.getServerCapabilities();
    assert.deepEqual(caps?.resources, { listChanged: true });
    assert.deepEqual(caps?.prompts, { listChanged: true });
    assert.deepEqual(caps?.completions, {});
    assert.deepEqual(caps?.logging, {});
  });

  it('lists no resources while no provider runs, and reading a cold provider resource starts it', async () => {
    assert.deepEqual((await hangar.client.listResources()).resources, []);
    const { resources } = await direct.listResources();
    const first = resources[0]!;
    const read = await hangar.client.readResource({ uri: hangarUri('everything', first.uri) });
    const expected = await direct.readResource({ uri: first.uri });
    assert.deepEqual(
      read.contents,
      expected.contents.map((c) => ({ ...c, uri: hangarUri('everything', c.uri) })),
    );
    await eventually(async () => resourceListChanged >= 1);
  });

  it('lists the running providers resources and templates, namespaced, and reads each back as a direct read', async () => {
    const through = (await hangar.client.listResources()).resources;
    const { resources } = await direct.listResources();
    assert.deepEqual(
      through,
      resources.map((r) => ({ ...r, uri: hangarUri('everything', r.uri) })),
    );
    for (const resource of resources.slice(0, 5)) {
      const read = await hangar.client.readResource({ uri: hangarUri('everything', resource.uri) });
      const expected = await direct.readResource({ uri: resource.uri });
      assert.deepEqual(
        read.contents.map((c) => ({ ...c, uri: decodeURIComponent(c.uri.slice('hangar://everything/'.length)) })),
        expected.contents,
      );
    }
    const templates = (await hangar.client.listResourceTemplates()).resourceTemplates;
    const directTemplates = (await direct.listResourceTemplates()).resourceTemplates;
    assert.equal(templates.length, directTemplates.length);
    assert.ok(templates.every((t) => t.uriTemplate.startsWith('hangar://everything/') && t.uriTemplate.includes('{')));
    // A client's expansion of a hangar template reads the provider's own expansion.
    const template = templates[0]!.uriTemplate;
    const expanded = template.replace(/\{[^}]*\}/, '3');
    const read = await hangar.client.readResource({ uri: expanded });
    const original = directTemplates[0]!.uriTemplate.replace(/\{[^}]*\}/, '3');
    assert.deepEqual(
      read.contents,
      (await direct.readResource({ uri: original })).contents.map((c) => ({ ...c, uri: hangarUri('everything', c.uri) })),
    );
  });

  it('reads the resource_link of a tool result by its original uri', async () => {
    const result = await hangar.call('everything__get-resource-links', { count: 2 });
    const links = result.content.filter((c) => c.type === 'resource_link');
    assert.ok(links.length >= 1, JSON.stringify(result));
    for (const link of links) {
      const read = await hangar.client.readResource({ uri: link['uri'] as string });
      const expected = await direct.readResource({ uri: link['uri'] as string });
      assert.deepEqual(read.contents, expected.contents);
    }
  });

  it('lists prompts as <provider>__<prompt>, gets one and completes its argument', async () => {
    const { prompts } = await hangar.client.listPrompts();
    const directPrompts = (await direct.listPrompts()).prompts;
    assert.deepEqual(
      prompts,
      directPrompts.map((p) => ({ ...p, name: `everything__${p.name}` })),
    );
    const got = await hangar.client.getPrompt({ name: 'everything__completable-prompt', arguments: { department: 'Sales', name: 'Eve' } });
    assert.deepEqual(got, await direct.getPrompt({ name: 'completable-prompt', arguments: { department: 'Sales', name: 'Eve' } }));
    const completed = await hangar.client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'department', value: 'Eng' },
    });
    assert.deepEqual(completed.completion.values, ['Engineering']);
    await assert.rejects(hangar.client.getPrompt({ name: 'nobody__x' }), /no prompt/);
  });

  it('relays the providers log messages with the provider named, at the level set', async () => {
    await hangar.client.setLoggingLevel('debug');
    await hangar.call('everything__toggle-simulated-logging', {});
    await eventually(async () => logs.some((l) => l.logger === 'everything'), 10_000);
    await hangar.call('everything__toggle-simulated-logging', {});
  });
});

describe("a provider's own tools/list_changed", () => {
  it('lists its tools again, records them and tells the client, whose tools/list then holds the new tool', async () => {
    const hangar = await connectHangar(writeConfig(dirs.make(), `providers:\n  faulty:\n    command: [node, ${JSON.stringify(FAULTY_SERVER)}]\n`), UNLIMITED);
    open.push(hangar);
    let changed = 0;
    hangar.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    const added = await hangar.call('registry_invoke', { provider: 'faulty', tool: 'add_tool', arguments: { name: 'brand_new' } });
    assert.equal(added.isError, undefined, JSON.stringify(added));
    await eventually(async () => (await hangar.client.listTools()).tools.some((t) => t.name === 'faulty__brand_new'));
    assert.ok(changed >= 1);
    const called = await hangar.call('faulty__brand_new', {});
    assert.deepEqual(called.content, [{ type: 'text', text: 'brand_new' }]);
    const history = await hangar.call('registry_history', { provider: 'faulty' });
    const events = JSON.stringify(history.structuredContent);
    assert.equal((events.match(/"ToolsDiscovered"/g) ?? []).length, 2, events.slice(0, 2000));
  });
});
