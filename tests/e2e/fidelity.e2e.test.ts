import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { CASES, RESULTS, type CaseName } from '../fixtures/providers/unusual-results/cases.js';
import {
  UNUSUAL_RESULTS_SERVER,
  connectHangar,
  connectRaw,
  connectRawProcess,
  tempDir,
  writeConfig,
  type ConnectedHangar,
  type RawHangar,
  UNLIMITED,
} from '../support/hangar-harness.js';

/**
 * The product promise: a provider's tool result reaches the client through `registry_invoke` as the
 * provider sent it. The provider (tests/fixtures/providers/unusual-results) writes each result as literal
 * JSON text; each case compares the `result` member of the provider's own answer line (read by a raw
 * client on its stdio) with the `result` member of the hangar's answer line (read by a raw client on the
 * hangar's stdio), both parsed with JSON.parse.
 */
const config = (dir: string) =>
  writeConfig(
    dir,
    `
providers:
  unusual:
    command: [node, ${JSON.stringify(UNUSUAL_RESULTS_SERVER)}]
`,
  );

const invokeLine = (id: number, tool: CaseName) =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"registry_invoke","arguments":{"provider":"unusual","tool":"${tool}","arguments":{}}}}`;

/** The fixture provider spoken to directly, in raw JSON-RPC lines: `tool`'s answer as the text it wrote. */
const callDirectly = async (provider: RawHangar, id: number, tool: CaseName): Promise<string> => {
  await provider.request(id, JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: {} } }));
  return provider.lineOf(id) as string;
};

const show = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  if (Object.is(value, -0)) return '-0';
  const text = JSON.stringify(value);
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
};

/** Where `actual` first differs from `expected` (own keys, prototypes, Object.is on primitives), or null. */
const firstDifference = (actual: unknown, expected: unknown, path: string): string | null => {
  if (Object.is(actual, expected)) return null;
  const bothObjects = typeof actual === 'object' && actual !== null && typeof expected === 'object' && expected !== null;
  if (!bothObjects || Array.isArray(actual) !== Array.isArray(expected)) return `${path}: the hangar sent ${show(actual)}, the provider ${show(expected)}`;
  if (Object.getPrototypeOf(actual) !== Object.getPrototypeOf(expected)) return `${path}: the prototypes differ`;
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  for (const key of new Set([...Object.keys(e), ...Object.keys(a)])) {
    const inner = `${path}${Array.isArray(e) ? `[${key}]` : `.${key}`}`;
    if (!Object.hasOwn(a, key)) return `${inner}: the hangar sent nothing, the provider ${show(e[key])}`;
    if (!Object.hasOwn(e, key)) return `${inner}: the hangar sent ${show(a[key])}, the provider nothing`;
    const found = firstDifference(a[key], e[key], inner);
    if (found) return found;
  }
  return null;
};

const resultOfLine = (line: string): unknown => (JSON.parse(line) as { result?: unknown }).result;

describe("a provider's result reaches a raw client through registry_invoke as the provider sent it", { timeout: 60_000 }, () => {
  const dir = tempDir();
  let hangar: RawHangar;
  let provider: RawHangar;
  /** The provider's own answer line to each case. */
  const direct = new Map<CaseName, string>();

  before(async () => {
    provider = await connectRawProcess([UNUSUAL_RESULTS_SERVER]);
    for (const [index, name] of CASES.entries()) direct.set(name, await callDirectly(provider, index + 1, name));
    hangar = await connectRaw(config(dir.path), UNLIMITED);
  });
  after(async () => {
    await provider?.close();
    await hangar?.close();
    dir.remove();
  });

  for (const [index, name] of CASES.entries()) {
    it(`${name}: the hangar's result equals the provider's`, async () => {
      const providerLine = direct.get(name)!;
      assert.ok(providerLine.includes(RESULTS[name]), `the provider did not send the ${name} text verbatim`);
      const expected = resultOfLine(providerLine);

      const id = index + 1;
      const answer = await hangar.request(id, invokeLine(id, name));
      assert.equal(answer.error, undefined, `the hangar answered with a JSON-RPC error: ${show(answer.error)}`);
      const actual = resultOfLine(hangar.lineOf(id)!);
      assert.deepStrictEqual(actual, expected, firstDifference(actual, expected, 'result') ?? 'the results differ');
    });
  }

  it('big_numbers: integers a double cannot hold reach the client digit for digit', async () => {
    // The JSON text itself, not a parse of it: JSON.parse rounds 9007199254740993 to 9007199254740992.
    const digits = [
      ['total', '9007199254740993'],
      ['u64', '12345678901234567890'],
      ['above53', '9007199254740993'],
      ['negAbove53', '-9007199254740993'],
    ] as const;
    const providerLine = direct.get('big_numbers')!;
    const id = 100;
    const answer = await hangar.request(id, invokeLine(id, 'big_numbers'));
    assert.equal(answer.error, undefined, `the hangar answered with a JSON-RPC error: ${show(answer.error)}`);
    const line = hangar.lineOf(id)!;
    for (const [key, number] of digits) {
      const spelled = new RegExp(`"${key}"\\s*:\\s*${number}[\\s,}\\]]`);
      assert.match(providerLine, spelled);
      const sent = new RegExp(`"${key}"\\s*:\\s*(-?[0-9.eE+-]+)`).exec(line)?.[1];
      assert.match(line, spelled, `${key}: the provider sent ${number}, the hangar ${sent ?? 'nothing'}`);
    }
    assert.match(line, /\[9007199254740993\s*,\s*0\.1\]/, 'list: the provider sent [9007199254740993,0.1]');
  });

  it('a direct tool (unusual__<case>) takes the same lane: every result as the provider wrote it', async () => {
    for (const [index, name] of CASES.entries()) {
      const id = 200 + index;
      const line = `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"unusual__${name}","arguments":{}}}`;
      const answer = await hangar.request(id, line);
      assert.equal(answer.error, undefined, `${name}: a JSON-RPC error: ${show(answer.error)}`);
      const actual = resultOfLine(hangar.lineOf(id)!);
      const expected = resultOfLine(direct.get(name)!);
      assert.deepStrictEqual(actual, expected, firstDifference(actual, expected, `${name}: result`) ?? 'the results differ');
    }
    const big = hangar.lineOf(200 + CASES.indexOf('big_numbers'))!;
    assert.match(big, /"above53"\s*:\s*9007199254740993[\s,}\]]/);
  });
});

/**
 * The SDK's Client parses every tools/call result with its CallToolResultSchema (SDK 1.32): it strips
 * unknown keys inside content blocks (and inside annotations and embedded resources) and rejects a result
 * with an unknown content type, even when it talks to the provider directly. So a stock Client cannot see
 * all of what the provider sent: the first test of each case checks that it gets through the hangar
 * exactly what it gets from the provider directly (a value, or the same rejection); the second reads the
 * result with a pass-through schema (Client.request), which sees everything.
 */
describe("a provider's result reaches an SDK Client through registry_invoke as the provider sent it", { timeout: 60_000 }, () => {
  const dir = tempDir();
  let hangar: ConnectedHangar;
  let direct: Client;
  const PassThrough = z.looseObject({});

  type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
  const settle = (promise: Promise<unknown>): Promise<Outcome> =>
    promise.then(
      (value) => ({ ok: true, value }),
      (error: unknown) => ({ ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  const viaHangar = (tool: CaseName) => ({ name: 'registry_invoke', arguments: { provider: 'unusual', tool, arguments: {} } });

  before(async () => {
    hangar = await connectHangar(config(dir.path), UNLIMITED);
    direct = new Client({ name: 'fidelity-direct', version: '1.0.0' });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [UNUSUAL_RESULTS_SERVER], stderr: 'pipe' }));
  });
  after(async () => {
    await direct?.close();
    await hangar?.close();
    dir.remove();
  });

  for (const name of ['extra_keys', 'unknown_type'] as const) {
    it(`${name}: a stock Client gets through the hangar what it gets from the provider`, async () => {
      const fromProvider = await settle(direct.callTool({ name, arguments: {} }));
      const throughHangar = await settle(hangar.client.callTool(viaHangar(name)));
      const outcome = (o: Outcome) => (o.ok ? `the result ${show(o.value)}` : `the rejection ${show(o.error)}`);
      assert.deepStrictEqual(
        throughHangar,
        fromProvider,
        `through the hangar the Client got ${outcome(throughHangar)}; from the provider ${outcome(fromProvider)}`,
      );
    });

    it(`${name}: a Client reading the result with a pass-through schema gets the provider's result`, async () => {
      const fromProvider = await direct.request({ method: 'tools/call', params: { name, arguments: {} } }, PassThrough);
      const throughHangar = await settle(hangar.client.request({ method: 'tools/call', params: viaHangar(name) }, PassThrough));
      assert.ok(throughHangar.ok, `the hangar refused: ${throughHangar.ok ? '' : throughHangar.error}`);
      assert.deepStrictEqual(throughHangar.value, fromProvider, firstDifference(throughHangar.value, fromProvider, 'result') ?? 'the results differ');
    });
  }
});
