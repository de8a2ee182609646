import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  EVERYTHING_SERVER,
  MATH_SERVER,
  UNLIMITED,
  connectHangar,
  eventually,
  tempDirs,
  writeConfig,
  type ConnectedHangar,
} from '../support/hangar-harness.js';

/** `expose: search`: three tools listed, the search over the catalogue, a hit called through registry_invoke. */
const dirs = tempDirs('hangar-search-');
const open: ConnectedHangar[] = [];
after(async () => {
  await Promise.all(open.map((h) => h.close().catch(() => undefined)));
  dirs.removeAll();
});

const yaml = `
expose: search
event_store: { path: state/hangar.db }
providers:
  math:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
  everything:
    command: [node, ${JSON.stringify(EVERYTHING_SERVER)}, stdio]
`;

interface Hit {
  provider: string;
  tool: string;
  name: string | null;
  description: string;
  score: number;
  input_schema: Record<string, unknown>;
}

describe('tool search (expose: search)', () => {
  it('lists exactly the search, registry_tools and registry_invoke; searches the catalogue; a hit is called through registry_invoke', async () => {
    const config = writeConfig(dirs.make(), yaml);
    // A first run learns the providers' tools; the second starts with them in the catalogue.
    // Its listing changes as the tools become known: the search tool's description counts them, and list_changed is sent.
    const first = await connectHangar(config, UNLIMITED);
    open.push(first);
    let changed = 0;
    first.client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
    const before = (await first.client.listTools()).tools;
    assert.match(before[0]!.description ?? '', /No provider tools are known yet/);
    assert.equal((await first.call('registry_warm', {})).isError, undefined);
    const catalogued = (await first.call('registry_list')).structuredContent as { providers: { id: string; tools_count: number }[] };
    const count = catalogued.providers.reduce((n, p) => n + p.tools_count, 0);
    await eventually(async () => changed > 0);
    assert.match((await first.client.listTools()).tools[0]!.description ?? '', new RegExp(`Covers ${count} tools`));
    await first.close();

    const hangar = await connectHangar(config, UNLIMITED);
    open.push(hangar);
    const { tools } = await hangar.client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      ['registry_search_tools', 'registry_tools', 'registry_invoke'],
    );
    const description = tools[0]!.description ?? '';
    assert.match(description, new RegExp(`Covers ${count} tools of 2 providers: everything, math\\.`));
    assert.equal(tools[0]!.annotations?.readOnlyHint, true);

    const found = await hangar.call('registry_search_tools', { query: 'add numbers', limit: 3 });
    assert.equal(found.isError, undefined, JSON.stringify(found));
    const { results, total } = found.structuredContent as { results: Hit[]; total: number };
    assert.ok(results.length <= 3 && total >= results.length);
    assert.equal(`${results[0]!.provider}/${results[0]!.tool}`, 'math/add');
    assert.equal(results[0]!.name, null);
    assert.ok(results[0]!.score > 0);
    assert.deepEqual(Object.keys((results[0]!.input_schema as { properties: object }).properties).sort(), ['a', 'b']);
    const text = found.content[0]!.text ?? '';
    assert.match(text.split('\n')[0]!, /^math {2}add {2}\d+\.\d{3} {2}— Add two numbers$/);

    const sum = await hangar.call('registry_invoke', { provider: results[0]!.provider, tool: results[0]!.tool, arguments: { a: 2, b: 3 } });
    assert.equal(sum.isError, undefined, JSON.stringify(sum));
    assert.match(JSON.stringify(sum.content), /5/);

    // The registry tools not listed stay callable; limits are checked.
    assert.equal((await hangar.call('registry_list')).isError, undefined);
    const tooMany = await hangar.call('registry_search_tools', { query: 'add', limit: 51 });
    assert.equal(tooMany.isError, true);
  });
});
