import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  EVERYTHING_SERVER,
  MATH_SERVER,
  connectHangar,
  errorOf,
  eventually,
  tempDir,
  writeConfig,
  type ConnectedHangar,
  UNLIMITED,
} from '../support/hangar-harness.js';
import { withoutCreationTimes } from '../support/normalise.js';

const MATH_TOOLS = `
    tools:
      - name: add
        description: Add two numbers
        inputSchema: { type: object, properties: { a: { type: number }, b: { type: number } }, required: [a, b] }`;

/**
 * One provider id per test of the shared hangar, so that no test sees what another did: each test
 * calls, lists and reads the history of its own providers only.
 */
const config = (dir: string) =>
  writeConfig(
    dir,
    `
event_store: { path: state/hangar.db }
providers:
  math:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
    description: Arithmetic
    idle_ttl_s: 0
${MATH_TOOLS}
  crowd:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
    idle_ttl_s: 0
  everything:
    command: [node, ${JSON.stringify(EVERYTHING_SERVER)}, stdio]
    idle_ttl_s: 0
  everything-env:
    command: [node, ${JSON.stringify(EVERYTHING_SERVER)}, stdio]
    env: { HANGAR_E2E_MARKER: "from-config" }
    idle_ttl_s: 0
  calc:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
    idle_ttl_s: 0
  broken:
    command: [definitely-not-a-command-xyz, --stdio]
    max_consecutive_failures: 5
  toggled:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
    idle_ttl_s: 0
  sleepy:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
    idle_ttl_s: 0.3
`,
  );

/** A registry of its own for the test that lists the whole registry: nothing else touches it. */
const listingConfig = (dir: string) =>
  writeConfig(
    dir,
    `
providers:
  math:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
    description: Arithmetic
${MATH_TOOLS}
  crowd:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
  broken:
    command: [definitely-not-a-command-xyz, --stdio]
`,
  );

type History = { events: { type: string; data: Record<string, unknown>; position: number }[] };

const historyOf = async (hangar: ConnectedHangar, provider: string, types?: string[]) =>
  (await hangar.call('registry_history', { provider, limit: 1000, ...(types ? { types } : {}) })).structuredContent as unknown as History;
const stateIn = async (hangar: ConnectedHangar, provider: string) =>
  ((await hangar.call('registry_list')).structuredContent as { providers: { id: string; state: string }[] }).providers.find((p) => p.id === provider)?.state;

describe('mcp-hangar over stdio with real providers', { timeout: 120_000 }, () => {
  const dir = tempDir();
  let hangar: ConnectedHangar;

  before(async () => {
    hangar = await connectHangar(config(dir.path), UNLIMITED);
  });
  after(async () => {
    await hangar?.close();
    dir.remove();
  });

  const history = (provider: string, types?: string[]) => historyOf(hangar, provider, types);
  const stateOf = (provider: string) => stateIn(hangar, provider);

  it('lists the registry tools with schemas and read-only hints on queries', async () => {
    const { tools } = await hangar.client.listTools();
    // The registry tools come first; the providers' own tools (those known so far) follow them (direct-tools.e2e.test.ts).
    const names = tools
      .slice(0, 14)
      .map((t) => t.name)
      .sort();
    assert.ok(tools.slice(14).every((t) => t.name.includes('__')));
    assert.deepEqual(names, [
      'registry_audit',
      'registry_details',
      'registry_health',
      'registry_history',
      'registry_invoke',
      'registry_invoke_ex',
      'registry_invoke_stream',
      'registry_list',
      'registry_replay',
      'registry_start',
      'registry_status',
      'registry_stop',
      'registry_tools',
      'registry_warm',
    ]);
    const byName = new Map(tools.map((t) => [t.name, t]));
    assert.equal(byName.get('registry_list')?.annotations?.readOnlyHint, true);
    assert.equal(byName.get('registry_invoke')?.annotations?.readOnlyHint, false);
    assert.deepEqual(byName.get('registry_invoke')?.inputSchema.required?.sort(), ['provider', 'tool']);
  });

  it('lists providers and their predefined tools without starting them', async () => {
    // The whole registry is listed, so it gets a hangar and a store of its own.
    const own = tempDir();
    const listing = await connectHangar(listingConfig(own.path));
    try {
      const list = (await listing.call('registry_list')).structuredContent as { providers: { id: string; state: string; tools_count: number }[] };
      assert.deepEqual(
        list.providers.map((p) => [p.id, p.state]),
        [
          ['broken', 'cold'],
          ['crowd', 'cold'],
          ['math', 'cold'],
        ],
      );
      const tools = (await listing.call('registry_tools', { provider: 'math' })).structuredContent as {
        source: string;
        tools: { name: string }[];
        state: string;
      };
      assert.equal(tools.source, 'config');
      assert.deepEqual(
        tools.tools.map((t) => t.name),
        ['add'],
      );
      assert.equal(await stateIn(listing, 'math'), 'cold');
      assert.equal((await historyOf(listing, 'math', ['ProviderStartRequested'])).events.length, 0);
    } finally {
      await listing.close();
      own.remove();
    }
  });

  it('starts a cold provider on the first call and returns its result unchanged', async () => {
    assert.equal(await stateOf('math'), 'cold');
    const sum = await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 2, b: 3 } });
    assert.equal(sum.isError, undefined);
    assert.deepEqual(sum.structuredContent, { result: 5 });
    assert.deepEqual(sum.content, [{ type: 'text', text: '5' }]);
    assert.equal(await stateOf('math'), 'ready');
    const byZero = await hangar.call('registry_invoke', { provider: 'math', tool: 'divide', arguments: { a: 1, b: 0 } });
    assert.equal(byZero.isError, true);
    assert.deepEqual(byZero.content, [{ type: 'text', text: 'Division by zero: b must not be 0' }]);
    assert.equal(byZero.structuredContent, undefined, 'a tool error passes through as the provider sent it');
    const tools = (await hangar.call('registry_tools', { provider: 'math' })).structuredContent as {
      source: string;
      tools: { name: string; outputSchema?: unknown; annotations?: unknown; title?: string }[];
    };
    assert.equal(tools.source, 'discovered');
    assert.deepEqual(
      tools.tools.map((t) => t.name),
      ['add', 'subtract', 'multiply', 'divide'],
    );
    assert.ok(tools.tools[0]?.outputSchema, 'outputSchema is kept');
    assert.equal(tools.tools[0]?.title, 'Add');
    const events = (await history('math')).events.map((e) => e.type);
    assert.deepEqual(events, ['ProviderRegistered', 'ProviderStartRequested', 'ProviderStarted', 'ToolsDiscovered', 'ToolInvoked', 'ToolInvoked']);
    const invoked = (await history('math', ['ToolInvoked'])).events.map((e) => e.data['outcome']);
    assert.deepEqual(invoked, ['success', 'tool_error']);
  });

  it('spawns exactly one process for ten concurrent first calls', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => hangar.call('registry_invoke', { provider: 'crowd', tool: 'multiply', arguments: { a: i, b: 10 } })),
    );
    assert.deepEqual(
      results.map((r) => (r.structuredContent as { result: number }).result),
      Array.from({ length: 10 }, (_, i) => i * 10),
    );
    const starts = await history('crowd', ['ProviderStartRequested', 'ProviderStarted']);
    assert.deepEqual(
      starts.events.map((e) => e.type),
      ['ProviderStartRequested', 'ProviderStarted'],
    );
    assert.equal((await history('crowd', ['ToolInvoked'])).events.length, 10);
  });

  it('passes every content type of a third-party server through unchanged', async () => {
    const direct = new Client({ name: 'direct', version: '1' });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING_SERVER, 'stdio'] }));
    try {
      const cases: [string, Record<string, unknown>][] = [
        ['echo', { message: 'hello hangar' }],
        ['get-sum', { a: 40, b: 2 }],
        ['get-tiny-image', {}],
        ['get-structured-content', { location: 'New York' }],
        ['get-resource-reference', { resourceType: 'Text', resourceId: 1 }],
        ['get-annotated-message', { messageType: 'error', includeImage: true }],
      ];
      for (const [tool, args] of cases) {
        const expected = await direct.callTool({ name: tool, arguments: args });
        const viaHangar = await hangar.call('registry_invoke', { provider: 'everything', tool, arguments: args });
        assert.deepEqual(withoutCreationTimes(viaHangar), withoutCreationTimes(expected), `${tool} differs`);
      }
      const types = new Set(
        (await hangar.call('registry_invoke', { provider: 'everything', tool: 'get-tiny-image', arguments: {} })).content.map((c) => c.type),
      );
      assert.ok(types.has('image'));
    } finally {
      await direct.close();
    }
  });

  it("passes the provider's configured env to it", async () => {
    const result = await hangar.call('registry_invoke', { provider: 'everything-env', tool: 'get-env', arguments: {} });
    assert.equal(result.isError, undefined);
    assert.match(result.content[0]?.text ?? '', /from-config/);
  });

  it('answers bad calls with rich errors and loses nothing', async () => {
    const unknown = await hangar.call('registry_invoke', { provider: 'calk', tool: 'add', arguments: {} });
    assert.equal(unknown.isError, true);
    assert.equal(errorOf(unknown).code, 'PROVIDER_NOT_FOUND');
    assert.match(String(errorOf(unknown).message), /did you mean 'calc'/);
    assert.ok(errorOf(unknown).correlation_id);

    const noTool = await hangar.call('registry_invoke', { provider: 'calc', tool: 'ad', arguments: { a: 1, b: 2 } });
    assert.equal(errorOf(noTool).code, 'TOOL_NOT_FOUND');
    assert.match(errorOf(noTool).hints.join(' '), /add/);

    const badArgs = await hangar.call('registry_invoke', { provider: 'calc', tool: 'add', arguments: { a: 'one', b: 2 } });
    assert.equal(errorOf(badArgs).code, 'INVALID_ARGUMENTS');
    assert.match(String(errorOf(badArgs).message), /'a'/);
    assert.match(errorOf(badArgs).hints.join(' '), /registry_tools\('calc'\)/);

    const notObject = await hangar.call('registry_invoke', { provider: 'calc', tool: 'add', arguments: [1, 2] });
    assert.equal(errorOf(notObject).code, 'INVALID_ARGUMENTS');

    const badId = await hangar.call('registry_invoke', { provider: '../etc', tool: 'add' });
    assert.equal(errorOf(badId).code, 'INVALID_ARGUMENTS');

    const noCommand = await hangar.call('registry_invoke', { provider: 'broken', tool: 'anything', arguments: {} });
    assert.equal(noCommand.isError, true);
    assert.equal(errorOf(noCommand).code, 'PROVIDER_START_FAILED');
    assert.match(errorOf(noCommand).hints.join(' '), /command/i);
    assert.equal(await stateOf('broken'), 'cold');

    const failures = (await history('calc', ['ToolInvocationFailed'])).events.map((e) => e.data['errorCode']);
    assert.deepEqual(failures, ['TOOL_NOT_FOUND', 'INVALID_ARGUMENTS']);
    const broken = (await history('broken')).events.map((e) => e.type);
    assert.deepEqual(broken, ['ProviderRegistered', 'ProviderStartRequested', 'ProviderStartFailed', 'ToolInvocationFailed']);

    const stillServing = await hangar.call('registry_invoke', { provider: 'calc', tool: 'add', arguments: { a: 1, b: 1 } });
    assert.deepEqual(stillServing.structuredContent, { result: 2 });
  });

  it('stops and starts a provider on request, and reports its details', async () => {
    assert.equal(await stateOf('toggled'), 'cold');
    const started = await hangar.call('registry_start', { provider: 'toggled' });
    assert.equal((started.structuredContent as { state: string }).state, 'ready');
    for (const a of [1, 2, 3]) {
      const sum = await hangar.call('registry_invoke', { provider: 'toggled', tool: 'add', arguments: { a, b: 10 } });
      assert.deepEqual(sum.structuredContent, { result: a + 10 });
    }
    const startedAgain = await hangar.call('registry_start', { provider: 'toggled' });
    assert.equal((startedAgain.structuredContent as { state: string }).state, 'ready', 'starting a running provider is a no-op');
    const details = (await hangar.call('registry_details', { provider: 'toggled' })).structuredContent as {
      state: string;
      process: { pid: unknown };
      counters: { invocations: number; starts: number };
      config: { env_keys: string[] };
    };
    assert.equal(details.state, 'ready');
    assert.equal(typeof details.process.pid, 'number');
    assert.equal(details.counters.invocations, 3);
    assert.equal(details.counters.starts, 1);
    assert.deepEqual(details.config.env_keys, []);
    const stopped = await hangar.call('registry_stop', { provider: 'toggled' });
    assert.equal((stopped.structuredContent as { state: string }).state, 'cold');
    assert.equal(await stateOf('toggled'), 'cold');
    const again = await hangar.call('registry_invoke', { provider: 'toggled', tool: 'subtract', arguments: { a: 5, b: 3 } });
    assert.deepEqual(again.structuredContent, { result: 2 });
    const stops = (await history('toggled', ['ProviderStopped'])).events.map((e) => e.data['reason']);
    assert.deepEqual(stops, ['user_request']);
  });

  it('stops an idle provider after idle_ttl_s and restarts it transparently, tools still listed', async () => {
    await hangar.call('registry_invoke', { provider: 'sleepy', tool: 'add', arguments: { a: 1, b: 2 } });
    await eventually(async () => (await stateOf('sleepy')) === 'cold', 5000);
    const tools = (await hangar.call('registry_tools', { provider: 'sleepy' })).structuredContent as { tools: unknown[]; state: string };
    assert.equal(tools.tools.length, 4);
    assert.equal(tools.state, 'cold');
    const result = await hangar.call('registry_invoke', { provider: 'sleepy', tool: 'add', arguments: { a: 2, b: 2 } });
    assert.deepEqual(result.structuredContent, { result: 4 });
    const stops = (await history('sleepy', ['ProviderStopped'])).events.map((e) => e.data['reason']);
    assert.equal(stops[0], 'idle');
  });
});
