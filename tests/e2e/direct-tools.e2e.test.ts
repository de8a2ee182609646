import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  EVERYTHING_SERVER,
  FAULTY_SERVER,
  MATH_SERVER,
  UNLIMITED,
  connectHangar,
  eventually,
  tempDirs,
  writeConfig,
  type CallResult,
  type ConnectedHangar,
} from '../support/hangar-harness.js';
import { connect as connectHttp, startHttp } from '../support/http-hangar.js';

/**
 * The front door: every provider's tools listed beside the registry tools as `<provider>__<tool>`, from the
 * catalog (a cold provider is not started to list them), called like any tool through the same path as
 * registry_invoke, and `notifications/tools/list_changed` only when the listing really changes.
 */
const dirs = tempDirs('hangar-direct-');
const open: ConnectedHangar[] = [];
after(async () => {
  await Promise.all(open.map((h) => h.close().catch(() => undefined)));
  dirs.removeAll();
});

const connect = async (config: string): Promise<ConnectedHangar> => {
  const hangar = await connectHangar(config, UNLIMITED);
  open.push(hangar);
  return hangar;
};

const listDirectly = async (command: string[]): Promise<{ client: Client; tools: Tool[] }> => {
  const client = new Client({ name: 'direct', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: command[0]!, args: command.slice(1), stderr: 'ignore' }));
  return { client, tools: (await client.listTools()).tools };
};

const REGISTRY_COUNT = 14;
const providersYaml = `
providers:
  math:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
  everything:
    command: [node, ${JSON.stringify(EVERYTHING_SERVER)}, stdio]
`;

/** A store in which every provider of `yaml` ran once (their tools are known), then the hangar stopped. */
const ranOnce = async (yaml: string): Promise<string> => {
  const config = writeConfig(dirs.make(), `event_store: { path: state/hangar.db }\n${yaml}`);
  const first = await connectHangar(config, UNLIMITED);
  const warmed = await first.call('registry_warm', {});
  assert.equal(warmed.isError, undefined, JSON.stringify(warmed));
  await first.close();
  return config;
};

describe('direct tools (expose: both, the default)', () => {
  let config: string;
  let hangar: ConnectedHangar;

  it('lists every provider tool of a cold hangar from the catalogue, as the provider lists it, without starting anything', async () => {
    config = await ranOnce(providersYaml);
    hangar = await connect(config);
    const { tools } = await hangar.client.listTools();
    const names = tools.map((t) => t.name);
    assert.ok(
      names.slice(0, REGISTRY_COUNT).every((n) => n.startsWith('registry_')),
      'registry tools first',
    );
    const list = (await hangar.call('registry_list')).structuredContent as { providers: { id: string; state: string }[] };
    assert.deepEqual(
      list.providers.map((p) => p.state),
      ['cold', 'cold'],
    );
    for (const [provider, command] of [
      ['everything', ['node', EVERYTHING_SERVER, 'stdio']],
      ['math', ['node', MATH_SERVER]],
    ] as const) {
      const direct = await listDirectly([...command]);
      await direct.client.close();
      const listed = tools.filter((t) => t.name.startsWith(`${provider}__`));
      assert.deepEqual(
        listed.map((t) => t.name),
        direct.tools.map((t) => `${provider}__${t.name}`).sort(),
      );
      for (const tool of direct.tools) {
        const mine = listed.find((t) => t.name === `${provider}__${tool.name}`);
        assert.ok(mine, tool.name);
        for (const field of ['description', 'inputSchema', 'outputSchema', 'annotations', 'title'] as const) {
          assert.deepEqual(mine[field], tool[field], `${provider}/${tool.name}: ${field}`);
        }
      }
    }
    // Providers by id: everything before math.
    const firstMath = names.findIndex((n) => n.startsWith('math__'));
    const lastEverything = names.findLastIndex((n) => n.startsWith('everything__'));
    assert.ok(lastEverything < firstMath);
    assert.deepEqual((await hangar.call('registry_list')).structuredContent?.['providers'] as unknown[], list.providers, 'listing started nothing');
  });

  it('a direct call answers as the provider does, starting it lazily, recorded like registry_invoke', async () => {
    const direct = await listDirectly(['node', MATH_SERVER]);
    const expected = await direct.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    await direct.client.close();
    const result = await hangar.call('math__add', { a: 2, b: 3 });
    assert.deepEqual(result, expected);
    const viaInvoke = await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 2, b: 3 } });
    assert.deepEqual(viaInvoke, result);
    const echoed = await hangar.call('everything__echo', { message: 'hi' });
    const directEverything = await listDirectly(['node', EVERYTHING_SERVER, 'stdio']);
    assert.deepEqual(echoed, await directEverything.client.callTool({ name: 'echo', arguments: { message: 'hi' } }));
    await directEverything.client.close();
    const history = (await hangar.call('registry_history', { provider: 'math', types: ['ToolInvoked'] })).structuredContent as {
      events: { data: { tool: string } }[];
    };
    assert.deepEqual(
      history.events.map((e) => e.data.tool),
      ['add', 'add'],
    );
    // A tool error is the provider's own result, as through registry_invoke.
    const divided = await hangar.call('math__divide', { a: 1, b: 0 });
    assert.equal(divided.isError, true);
    // Arguments the provider's schema refuses are refused as through registry_invoke.
    // The hangar's own error carries its structured form in _meta: clients check structuredContent against the outputSchema.
    const wrong = await hangar.call('math__add', { a: 'two' });
    assert.equal(wrong.isError, true);
    assert.equal(wrong.structuredContent, undefined);
    assert.equal((wrong['_meta'] as Record<string, { code: string }>)['mcp-hangar/error']?.code, 'INVALID_ARGUMENTS');
    assert.match(wrong.content[0]?.text ?? '', /^INVALID_ARGUMENTS/);
  });

  it('an unknown tool name is TOOL_NOT_FOUND', async () => {
    const result = await hangar.call('math__modulo', { a: 1, b: 2 });
    assert.equal(result.isError, true);
    assert.match(result.content[0]?.text ?? '', /^TOOL_NOT_FOUND/);
  });
});

describe('expose modes and filters', () => {
  it('expose: registry lists only the registry tools; direct names are not served', async () => {
    const hangar = await connect(await ranOnce(`expose: registry\n${providersYaml}`));
    const { tools } = await hangar.client.listTools();
    assert.equal(tools.length, REGISTRY_COUNT);
    assert.ok(tools.every((t) => t.name.startsWith('registry_')));
    const result = await hangar.call('math__add', { a: 1, b: 2 });
    assert.match(result.content[0]?.text ?? '', /^TOOL_NOT_FOUND/);
  });

  it('expose: direct lists only the provider tools (registry tools stay callable); a provider may opt out', async () => {
    const yaml = `expose: { mode: direct }\n${providersYaml}    expose: registry\n`;
    const hangar = await connect(await ranOnce(yaml));
    const { tools } = await hangar.client.listTools();
    assert.ok(tools.length > 0);
    assert.ok(tools.every((t) => t.name.startsWith('math__')));
    assert.deepEqual(
      tools.map((t) => t.name),
      ['math__add', 'math__divide', 'math__multiply', 'math__subtract'],
    );
    const listed = await hangar.call('registry_list');
    assert.equal(listed.isError, undefined);
  });

  it('allow and deny filter the direct tools; prefix and separator rename them; filtered tools stay callable via registry_invoke', async () => {
    const yaml = `expose: { separator: "-" }
providers:
  math:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
    expose: { prefix: calc, allow: ["*t*", add], deny: [subtract] }
`;
    const hangar = await connect(await ranOnce(yaml));
    const names = (await hangar.client.listTools()).tools.map((t) => t.name).filter((n) => !n.startsWith('registry_'));
    assert.deepEqual(names, ['calc-add', 'calc-multiply']);
    assert.deepEqual((await hangar.call('calc-multiply', { a: 6, b: 7 })).structuredContent, { result: 42 });
    const subtract = await hangar.call('registry_invoke', { provider: 'math', tool: 'subtract', arguments: { a: 3, b: 1 } });
    assert.deepEqual(subtract.structuredContent, { result: 2 });
  });
});

describe('names clients accept', () => {
  it('a name over 64 characters is shortened with a hash suffix and round-trips; every name is unique and valid', async () => {
    const dir = dirs.make();
    const toolsFile = join(dir, 'tools.txt');
    const long = `a_tool_with_a_rather_long_name_${'x'.repeat(40)}`;
    writeFileSync(toolsFile, `${long}\nlist\n`);
    const id = `provider_with_a_long_identifier_${'p'.repeat(20)}`;
    const yaml = `providers:
  ${id}:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    env: { FAULTY_TOOLS_FILE: ${JSON.stringify(toolsFile)} }
  other:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    env: { FAULTY_TOOLS_FILE: ${JSON.stringify(toolsFile)} }
    expose: { prefix: registry, allow: [list] }
`;
    const hangar = await connect(await ranOnce(yaml));
    const { tools } = await hangar.client.listTools();
    assert.ok(tools.every((t) => t.name.length <= 64 && /^[A-Za-z0-9_-]+$/.test(t.name)));
    const full = `${id}__${long}`;
    const expected = `${full.slice(0, 57)}_${createHash('sha256').update(full).digest('hex').slice(0, 6)}`;
    assert.ok(
      tools.some((t) => t.name === expected),
      `expected ${expected}`,
    );
    const answer = (await hangar.call(expected, { value: 'v' })) as CallResult;
    assert.deepEqual(answer.content, [{ type: 'text', text: '{"value":"v"}' }]);
    // A prefix that looks like the registry's is fine while the names differ (`registry__list`, not `registry_list`).
    assert.ok(tools.some((t) => t.name === 'registry__list'));
    assert.equal(new Set(tools.map((t) => t.name)).size, tools.length, 'names are unique');
  });

  it('a direct name that a registry tool holds gets a hash suffix instead', async () => {
    const dir = dirs.make();
    const toolsFile = join(dir, 'tools.txt');
    writeFileSync(toolsFile, 'list\n');
    const yaml = `expose: { separator: "_" }
providers:
  registry:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    env: { FAULTY_TOOLS_FILE: ${JSON.stringify(toolsFile)} }
    expose: { allow: [list] }
`;
    const hangar = await connect(await ranOnce(yaml));
    const names = (await hangar.client.listTools()).tools.map((t) => t.name);
    const renamed = `registry_list_${createHash('sha256').update('registry/list').digest('hex').slice(0, 6)}`;
    assert.deepEqual(names.slice(REGISTRY_COUNT), [renamed]);
    assert.equal(names.filter((n) => n === 'registry_list').length, 1);
    const answer = await hangar.call(renamed, { value: 'x' });
    assert.deepEqual(answer.content, [{ type: 'text', text: '{"value":"x"}' }]);
    assert.match(hangar.stderr(), /direct tool name collision/);
  });
});

describe('notifications/tools/list_changed', () => {
  it('is declared, sent once when a provider lists different tools, and not on a restart that lists the same', async () => {
    const dir = dirs.make();
    const toolsFile = join(dir, 'tools.txt');
    writeFileSync(toolsFile, 'first\n');
    const config = writeConfig(
      dir,
      `event_store: { path: state/hangar.db }
providers:
  shifty:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    env: { FAULTY_TOOLS_FILE: ${JSON.stringify(toolsFile)} }
`,
    );
    const hangar = await connect(config);
    assert.equal(hangar.client.getServerCapabilities()?.tools?.listChanged, true);
    let changes = 0;
    hangar.client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes++;
    });
    const names = async () => (await hangar.client.listTools()).tools.map((t) => t.name).filter((n) => n.startsWith('shifty__'));
    assert.deepEqual(await names(), [], 'tools unknown before the first start');

    // The first start discovers the tools: a real change.
    assert.equal((await hangar.call('registry_start', { provider: 'shifty' })).isError, undefined);
    await eventually(async () => changes === 1);
    assert.ok((await names()).includes('shifty__first'));

    // Stop and start again with the same tools: nothing to announce.
    await hangar.call('registry_stop', { provider: 'shifty' });
    await hangar.call('registry_start', { provider: 'shifty' });
    await hangar.call('registry_list');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(changes, 1);

    // The provider now lists another tool: announced once.
    writeFileSync(toolsFile, 'first\nsecond\n');
    await hangar.call('registry_stop', { provider: 'shifty' });
    await hangar.call('registry_start', { provider: 'shifty' });
    await eventually(async () => changes === 2);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(changes, 2);
    assert.ok((await names()).includes('shifty__second'));
    assert.deepEqual((await hangar.call('shifty__second', { value: 'y' })).content, [{ type: 'text', text: '{"value":"y"}' }]);
  });
});

describe('notifications/tools/list_changed over HTTP', { timeout: 60_000 }, () => {
  it('reaches every session (Streamable HTTP and SSE) once when the tools change', async () => {
    const dir = dirs.make();
    const hangar = await startHttp(writeConfig(dir, `providers:\n  math:\n    command: [node, ${JSON.stringify(MATH_SERVER)}]\n`));
    try {
      const clients = [await connectHttp(hangar, 'streamable'), await connectHttp(hangar, 'sse')];
      const changes = [0, 0];
      clients.forEach((client, i) =>
        client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
          changes[i]!++;
        }),
      );
      // Let the Streamable HTTP client open its standalone event stream (where unsolicited notifications go).
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await clients[0]!.callTool({ name: 'registry_start', arguments: { provider: 'math' } })).isError, undefined);
      await eventually(async () => changes[0] === 1 && changes[1] === 1);
      const names = (await clients[1]!.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('math__add'));
      await clients[0]!.callTool({ name: 'registry_stop', arguments: { provider: 'math' } });
      await clients[0]!.callTool({ name: 'registry_start', arguments: { provider: 'math' } });
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(changes, [1, 1]);
      await Promise.all(clients.map((c) => c.close()));
    } finally {
      await hangar.stop();
    }
  });
});
