import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FAULTY_SERVER, MATH_SERVER, connectHangar, errorOf, tempDir, writeConfig, type ConnectedHangar, UNLIMITED } from '../support/hangar-harness.js';

/** Issue "The first hour of a new user": what the registry tools say about never-started, failed and misused providers. */
const provider = (id: string, server: string, extra = '') => `
  ${id}:
    command: [node, ${JSON.stringify(server)}]
    idle_ttl_s: 0
    timeout_s: 5
${extra}`;

type Summary = { id: string; state: string; tools_count: number | null; tools_known: boolean; start_failure: { message: string; hint?: string } | null };
type Details = {
  state: string;
  tools_known: boolean;
  tools_count: number | null;
  last_error: { code: string; message: string; hint?: string; stderr_tail?: string } | null;
  start_failure: { code: string; message: string; hint?: string; stderr_tail?: string } | null;
  circuit: { status: string; failures: number };
};

const textOf = (result: { content: readonly { text?: string }[] }) => result.content.map((c) => c.text ?? '').join('\n');

describe('the first hour: status that says the truth', { timeout: 120_000 }, () => {
  const dir = tempDir();
  let hangar: ConnectedHangar;
  before(async () => {
    const config = writeConfig(
      dir.path,
      `retry: { max_attempts: 2, initial_delay_ms: 20, max_delay_ms: 50, jitter: 0.1 }
providers:${provider('fresh', MATH_SERVER)}${provider('math', MATH_SERVER, '    circuit_breaker: { failure_threshold: 2, reset_timeout_s: 30 }\n')}${provider(
        'broken',
        FAULTY_SERVER,
        '    max_consecutive_failures: 1\n    env: { FAULTY_EXIT: "1" }\n',
      )}${provider('flaky', FAULTY_SERVER, '    max_consecutive_failures: 3\n    env: { FAULTY_EXIT: "1" }\n')}
`,
    );
    hangar = await connectHangar(config, UNLIMITED);
  });
  after(async () => {
    await hangar?.close();
    dir.remove();
  });

  const list = async () => (await hangar.call('registry_list')).structuredContent as unknown as { providers: Summary[] };
  const details = async (id: string) => (await hangar.call('registry_details', { provider: id })).structuredContent as unknown as Details;
  const lineOf = (text: string, id: string) => text.split('\n').find((l) => l.includes(` ${id} `) || l.startsWith(`${id} `)) ?? '';

  it('says "tools unknown until first start" for a provider that never started, not 0 tools', async () => {
    const listed = await hangar.call('registry_list');
    const fresh = (listed.structuredContent as unknown as { providers: Summary[] }).providers.find((p) => p.id === 'fresh');
    assert.deepEqual([fresh?.tools_count, fresh?.tools_known, fresh?.start_failure], [null, false, null]);
    assert.match(lineOf(textOf(listed), 'fresh'), /tools unknown until first start/);
    assert.doesNotMatch(textOf(listed), /\b0 tools\b/);
    const status = textOf(await hangar.call('registry_status'));
    assert.match(lineOf(status, 'fresh'), /cold {2}Will start on request \(tools unknown until first start\)/);
    const detailed = await hangar.call('registry_details', { provider: 'fresh' });
    assert.deepEqual(
      [(detailed.structuredContent as unknown as Details).tools_known, (detailed.structuredContent as unknown as Details).tools_count],
      [false, null],
    );
    assert.match(textOf(detailed), /tools: tools unknown until first start/);
  });

  it('shows a failed start with its hint in list, status and details, not "Will start on request"', async () => {
    const failed = await hangar.call('registry_invoke', { provider: 'flaky', tool: 'echo', arguments: { text: 'x' } });
    assert.equal(errorOf(failed).code, 'PROVIDER_START_FAILED');
    const flaky = (await list()).providers.find((p) => p.id === 'flaky');
    assert.equal(flaky?.state, 'cold');
    assert.match(flaky?.start_failure?.message ?? '', /exit/);
    assert.ok(flaky?.start_failure?.hint, 'the start failure carries its hint');
    const listText = textOf(await hangar.call('registry_list'));
    assert.match(lineOf(listText, 'flaky'), /last start failed: .*hint: /);
    const status = lineOf(textOf(await hangar.call('registry_status')), 'flaky');
    assert.doesNotMatch(status, /Will start on request/);
    assert.match(status, /last start failed: .* — hint: .+; next call tries again/);
    const d = await details('flaky');
    assert.equal(d.last_error?.code, 'PROVIDER_START_FAILED');
    assert.equal(d.start_failure?.hint, flaky?.start_failure?.hint);
    assert.match(d.start_failure?.stderr_tail ?? '', /cannot open \.\/missing\.db/);
    const text = textOf(await hangar.call('registry_details', { provider: 'flaky' }));
    assert.match(text, /last start failed: .* — hint: /);
    assert.match(text, /missing\.db/);
  });

  it("never records a caller's mistake as the provider's last error, nor counts it toward the circuit", async () => {
    // A timeout would be the provider's; here only mistakes: an unknown tool and bad arguments, before and after the start.
    const unknownCold = await hangar.call('registry_invoke', { provider: 'math', tool: 'addd', arguments: { a: 1, b: 2 } });
    assert.equal(errorOf(unknownCold).code, 'TOOL_NOT_FOUND');
    assert.equal((await details('math')).last_error, null);
    for (let i = 0; i < 3; i++) {
      assert.equal(errorOf(await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 'one', b: 2 } })).code, 'INVALID_ARGUMENTS');
      assert.equal(errorOf(await hangar.call('registry_invoke', { provider: 'math', tool: 'nope', arguments: {} })).code, 'TOOL_NOT_FOUND');
    }
    const d = await details('math');
    assert.equal(d.last_error, null, 'no last error after mistakes only');
    assert.deepEqual(d.circuit, { status: 'closed', failures: 0 });
    const ok = await hangar.call('registry_invoke', { provider: 'math', tool: 'add', arguments: { a: 2, b: 3 } });
    assert.notEqual(ok.isError, true, 'the circuit still admits calls');
    const failures = (
      (await hangar.call('registry_history', { provider: 'math', types: ['ToolInvocationFailed'] })).structuredContent as unknown as {
        events: { data: { errorCode: string } }[];
      }
    ).events;
    assert.equal(failures.length, 7, 'every mistake is still recorded for audit');
  });

  it('invoke_ex on a degraded provider says the failed start first: message, hint and stderr tail', async () => {
    const result = await hangar.call('registry_invoke_ex', { provider: 'broken', tool: 'echo', arguments: { text: 'x' }, max_retries: 1 });
    assert.equal(result.isError, true);
    const sc = result.structuredContent as {
      error: { code: string; hints: string[]; root_cause?: { code: string; message: string; hint?: string; stderr_tail?: string } };
      final_error_reason: string;
      recovery_hints: string[];
    };
    assert.equal(sc.error.code, 'PROVIDER_DEGRADED');
    assert.equal(sc.error.root_cause?.code, 'PROVIDER_START_FAILED');
    assert.match(sc.error.root_cause?.stderr_tail ?? '', /missing\.db/);
    assert.match(sc.final_error_reason, /^PROVIDER_START_FAILED: .* — so PROVIDER_DEGRADED: /);
    assert.equal(sc.recovery_hints[0], sc.error.root_cause?.hint, 'the start hint is the first hint');
    const lines = textOf(result).split('\n');
    assert.match(lines[0] ?? '', /^PROVIDER_START_FAILED: /);
    assert.match(lines[1] ?? '', /^PROVIDER_DEGRADED: /);
    assert.match(textOf(result), /missing\.db/);
    // The status line of the degraded provider says the same failure.
    assert.match(lineOf(textOf(await hangar.call('registry_status')), 'broken'), /degraded .* — last start failed: .* — hint: /);
  });

  it("invoke_ex on a tool's own error adds final_error_reason tool_error and a hint, and leaves the result unchanged", async () => {
    const plain = await hangar.call('registry_invoke', { provider: 'math', tool: 'divide', arguments: { a: 1, b: 0 } });
    const ex = await hangar.call('registry_invoke_ex', { provider: 'math', tool: 'divide', arguments: { a: 1, b: 0 } });
    assert.equal(ex.isError, true);
    assert.deepEqual(ex.content, plain.content);
    assert.deepEqual(ex.structuredContent, plain.structuredContent);
    const meta = ex['_retry_metadata'] as { attempts: number; final_error_reason: string; recovery_hints: string[] };
    assert.equal(meta.attempts, 1);
    assert.equal(meta.final_error_reason, 'tool_error');
    assert.match(meta.recovery_hints[0] ?? '', /retrying the same call will not help/);
    const { _retry_metadata: _m, ...rest } = ex;
    assert.deepEqual(rest, plain, 'apart from _retry_metadata, the result is the tool result');
  });

  it('registry_history text is one line per event, as the CLI prints it; ToolsDiscovered shows tool names and count, not schemas', async () => {
    const result = await hangar.call('registry_history', { provider: 'math' });
    const lines = textOf(result).split('\n');
    const events = (result.structuredContent as unknown as { events: { type: string; data: Record<string, unknown> }[] }).events;
    assert.equal(lines[0], `math — ${events.length} events`);
    assert.equal(lines.length, events.length + 1, 'a header, then one line per event');
    for (const [i, e] of events.entries()) assert.match(lines[i + 1] ?? '', new RegExp(`^#\\d+ +\\S+Z {2}@1 +${e.type} `));
    const discovered = lines.find((l) => l.includes('ToolsDiscovered')) ?? '';
    assert.match(discovered, /4 tools: add, subtract, multiply, divide$/);
    assert.doesNotMatch(textOf(result), /inputSchema|"properties"/);
    const tools = events.find((e) => e.type === 'ToolsDiscovered')?.data['tools'] as { name: string; inputSchema: unknown }[];
    assert.equal(tools.length, 4);
    assert.ok(tools[0]?.inputSchema, 'structuredContent keeps the recorded schemas');
    assert.match(textOf(result), /ToolInvocationFailed +addd → TOOL_NOT_FOUND: /);
    assert.match(textOf(result), /ToolInvoked +divide → tool_error in \d+ ms/);
  });
});
