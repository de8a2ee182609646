import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  FAULTY_SERVER,
  MATH_SERVER,
  connectHangar,
  connectRaw,
  errorOf,
  tempDirs,
  writeConfig,
  type CallResult,
  UNLIMITED,
} from '../support/hangar-harness.js';

/**
 * `patterned` predefines its echo tool with a pattern that backtracks catastrophically in a backtracking
 * engine; while the provider is cold, that schema is the one the hangar checks arguments against.
 */
const config = (dir: string) =>
  writeConfig(
    dir,
    `
event_store: { path: state/hangar.db }
providers:
  patterned:
    command: [node, ${JSON.stringify(FAULTY_SERVER)}]
    tools:
      - name: echo
        inputSchema: { type: object, properties: { text: { type: string, pattern: '^(a+)+$' } }, required: [text] }
  math:
    command: [node, ${JSON.stringify(MATH_SERVER)}]
    idle_ttl_s: 0
`,
  );

/** 25 a's and a '!': a backtracking engine tries 2^25 ways to fail `^(a+)+$` (about 1.4 s on the 2-core machines). */
const CRAFTED = `${'a'.repeat(25)}!`;

const invoke = (provider: string, tool: string, args: unknown, extra = '') =>
  `"params":{"name":"registry_invoke"${extra},"arguments":{"provider":"${provider}","tool":"${tool}","arguments":${typeof args === 'string' ? args : JSON.stringify(args)}}}`;
const line = (id: number, params: string) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call",${params}}`;
/** `{"a":{"a":...1...}}`, `levels` objects deep, written as text: JSON.stringify of such a value overflows. */
const deepJson = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

const resultOf = (answer: { result?: CallResult; error?: unknown }): CallResult => {
  assert.ok(answer.result, `expected a tool result, got ${JSON.stringify(answer).slice(0, 500)}`);
  return answer.result;
};

describe('hostile input neither stalls nor breaks the hangar', { timeout: 60_000 }, () => {
  const dirs = tempDirs();
  after(() => dirs.removeAll());

  it('answers a catastrophic-backtracking argument within 100 ms, and a call to another provider is not held up', async () => {
    const hangar = await connectHangar(config(dirs.make()), UNLIMITED);
    try {
      // Warm up outside the measurement: math runs, Ajv is loaded and the schema compiled by a refused call
      // (a refused call starts nothing, so `patterned` stays cold and its predefined schema stays in force).
      assert.deepEqual((await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 1, b: 2 } })).structuredContent, { result: 3 });
      assert.equal(errorOf(await hangar.call('registry_invoke', { provider: 'patterned', tool: 'echo', arguments: { text: 'b' } })).code, 'INVALID_ARGUMENTS');

      const timed = async (args: Record<string, unknown>) => {
        const started = performance.now();
        const result = await hangar.call('registry_invoke', args);
        return { result, ms: performance.now() - started };
      };
      // Sent together: the math call is read after the crafted one, so a blocked event loop would hold it too.
      const [crafted, math] = await Promise.all([
        timed({ provider: 'patterned', tool: 'echo', arguments: { text: CRAFTED } }),
        timed({ provider: 'math', tool: 'add', arguments: { a: 2, b: 3 } }),
      ]);
      assert.equal(errorOf(crafted.result).code, 'INVALID_ARGUMENTS');
      assert.match(String(errorOf(crafted.result)['message']), /'text' must match pattern/);
      assert.ok(crafted.ms < 100, `the crafted call took ${crafted.ms.toFixed(1)} ms`);
      assert.deepEqual(math.result.structuredContent, { result: 5 });
      assert.ok(math.ms < 100, `the concurrent math call took ${math.ms.toFixed(1)} ms`);
    } finally {
      await hangar.close();
    }
  });

  it('refuses arguments nested 100,000 levels deep as INVALID_ARGUMENTS, and keeps serving', async () => {
    const hangar = await connectRaw(config(dirs.make()), UNLIMITED);
    try {
      const deep = deepJson(100_000);
      const refused = resultOf(await hangar.request(1, line(1, invoke('math', 'add', `{"x":${deep}}`))));
      assert.equal(errorOf(refused).code, 'INVALID_ARGUMENTS');
      assert.match(String(errorOf(refused)['message']), /arguments are nested deeper than 32 levels/);

      const refusedEx = resultOf(
        await hangar.request(2, line(2, `"params":{"name":"registry_invoke_ex","arguments":{"provider":"math","tool":"add","arguments":{"x":${deep}}}}`)),
      );
      assert.equal(errorOf(refusedEx).code, 'INVALID_ARGUMENTS');

      // The same depth elsewhere in the request: in a registry tool's own field it is refused, in _meta ignored.
      const inTimeout = resultOf(
        await hangar.request(3, line(3, `"params":{"name":"registry_invoke","arguments":{"provider":"math","tool":"add","arguments":{},"timeout":${deep}}}`)),
      );
      assert.equal(errorOf(inTimeout).code, 'INVALID_ARGUMENTS');
      const inMeta = resultOf(await hangar.request(4, line(4, invoke('math', 'add', { a: 1, b: 2 }, `,"_meta":{"x":${deep}}`))));
      assert.deepEqual(inMeta.structuredContent, { result: 3 });

      const normal = resultOf(await hangar.request(5, line(5, invoke('math', 'add', { a: 20, b: 22 }))));
      assert.deepEqual(normal.structuredContent, { result: 42 });
      assert.doesNotMatch(hangar.stderr(), /call stack|INTERNAL_ERROR|unexpectedly/);
    } finally {
      assert.equal(await hangar.close(), 0);
    }
  });
});
