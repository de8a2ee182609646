import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InvokeStage, InvokeTool } from '../../../src/application/commands/invoke-tool.js';
import type { CallRecording as AuditConfig } from '../../../src/application/config.js';
import type { ToolCallResult } from '../../../src/application/ports/provider-runtime.js';
import type { ProviderEvent } from '../../../src/domain/provider/events.js';
import type { ErrorCode } from '../../../src/domain/shared/errors.js';
import { callFailure, deferred, startFailure, textResult } from '../../support/fake-runtime.js';
import { circuitOpened, givenHangar, iso, ranOnce, startEvents, T0 } from '../../support/given-hangar.js';
import { rejection } from '../../support/rejection.js';

const numbers = { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] };
const add = { name: 'add', description: 'Adds two numbers', inputSchema: numbers };
const divide = { name: 'divide', description: 'Divides a by b', inputSchema: numbers };
const tools = [add, divide];

const call = (tool = 'add', args: Record<string, unknown> = { a: 1, b: 2 }, extra: Partial<InvokeTool> = {}): InvokeTool => ({
  provider: 'math',
  tool,
  arguments: args,
  correlationId: 'call-1',
  ...extra,
});
const invoked = (data: { tool?: string; durationMs?: number; outcome?: 'success' | 'tool_error'; resultSize: number; args?: object }): ProviderEvent => ({
  type: 'ToolInvoked',
  data: {
    tool: data.tool ?? 'add',
    correlationId: 'call-1',
    durationMs: data.durationMs ?? 0,
    outcome: data.outcome ?? 'success',
    argumentsDigest: `json:${JSON.stringify(data.args ?? { a: 1, b: 2 })}`,
    resultSize: data.resultSize,
  },
});
const failed = (errorCode: ErrorCode, message: string, data: { tool?: string; durationMs?: number; args?: object } = {}): ProviderEvent => ({
  type: 'ToolInvocationFailed',
  data: {
    tool: data.tool ?? 'add',
    correlationId: 'call-1',
    durationMs: data.durationMs ?? 0,
    errorCode,
    message,
    argumentsDigest: `json:${JSON.stringify(data.args ?? { a: 1, b: 2 })}`,
  },
});
/** `{"content":[{"type":"text","text":"add ok"}]}`, the fake's default answer. */
const ADD_OK_SIZE = 45;

describe('invokeTool', () => {
  describe('checks the tool and its arguments before any start', () => {
    it('refuses a tool the provider did not list, without starting it, and suggests the closest name', async () => {
      const h = await givenHangar({ providers: { math: {} }, history: { math: ranOnce(tools) } });
      const error = await rejection(h.invoke(call('ad')));
      assert.equal(error.code, 'TOOL_NOT_FOUND');
      assert.deepEqual(error.details, { provider: 'math', tool: 'ad', retryable: false, suggestion: 'add' });
      assert.equal(h.runtime.starts.length, 0);
      assert.deepEqual(await h.newEvents(), [failed('TOOL_NOT_FOUND', "provider 'math' has no tool 'ad' — did you mean 'add'?", { tool: 'ad' })]);
    });

    it('trusts the tools the provider listed over the predefined ones', async () => {
      const legacy = { name: 'legacy', inputSchema: { type: 'object' } };
      const h = await givenHangar({ providers: { math: { tools: [add, legacy] } }, history: { math: ranOnce([add]) } });
      const error = await rejection(h.invoke(call('legacy', {})));
      assert.equal(error.code, 'TOOL_NOT_FOUND');
      assert.equal(h.runtime.starts.length, 0);
    });

    it('refuses arguments that do not fit the listed schema, without starting the provider', async () => {
      const h = await givenHangar({ providers: { math: {} }, history: { math: ranOnce(tools) } });
      const error = await rejection(h.invoke(call('add', { a: 1, b: 'two' })));
      assert.equal(error.code, 'INVALID_ARGUMENTS');
      assert.match(error.message, /^arguments do not fit math\.add: 'b' must be number/);
      assert.deepEqual(error.details, { provider: 'math', tool: 'add', retryable: false });
      assert.equal(h.runtime.starts.length, 0);
      assert.deepEqual(await h.newEvents(), [failed('INVALID_ARGUMENTS', error.message, { args: { a: 1, b: 'two' } })]);
    });

    it('checks arguments against a predefined tool before the first start', async () => {
      const h = await givenHangar({ providers: { math: { tools: [add] } } });
      const error = await rejection(h.invoke(call('add', { a: 1 })));
      assert.equal(error.code, 'INVALID_ARGUMENTS');
      assert.match(error.message, /'b'/);
      assert.equal(h.runtime.starts.length, 0);
    });

    it('looks a tool missing from the predefined ones up again once the provider runs', async () => {
      const h = await givenHangar({ providers: { math: { tools: [add] } } });
      h.runtime.tools = tools;
      const result = await h.invoke(call('divide', { a: 6, b: 3 }));
      assert.deepEqual(result, textResult('divide ok'));
      assert.deepEqual(await h.newEvents(), [...startEvents(tools), invoked({ tool: 'divide', args: { a: 6, b: 3 }, resultSize: 48 })]);
    });

    it('refuses a tool that the started provider does not list either, without calling it', async () => {
      const h = await givenHangar({ providers: { math: { tools: [add] } } });
      h.runtime.tools = tools;
      const error = await rejection(h.invoke(call('modulo')));
      assert.equal(error.code, 'TOOL_NOT_FOUND');
      assert.equal(h.runtime.calls.length, 0);
      assert.deepEqual(await h.newEvents(), [...startEvents(tools), failed('TOOL_NOT_FOUND', "provider 'math' has no tool 'modulo'", { tool: 'modulo' })]);
    });

    it('checks arguments against the listed schema once the provider runs, when no tool was known before', async () => {
      const h = await givenHangar({ providers: { math: {} } });
      h.runtime.tools = tools;
      const error = await rejection(h.invoke(call('divide', { a: 1 })));
      assert.equal(error.code, 'INVALID_ARGUMENTS');
      assert.equal(h.runtime.starts.length, 1);
      assert.equal(h.runtime.calls.length, 0);
    });

    it('answers an unknown provider with PROVIDER_NOT_FOUND and a suggestion, and records nothing', async () => {
      const h = await givenHangar({ providers: { math: {} } });
      const error = await rejection(h.invoke({ ...call(), provider: 'maht' }));
      assert.equal(error.code, 'PROVIDER_NOT_FOUND');
      assert.equal(error.details.suggestion, 'math');
      assert.deepEqual(await h.newEvents(), []);
    });
  });

  describe('asks the circuit breaker on every call', () => {
    it('refuses a call while the circuit is open, without starting the provider', async () => {
      const h = await givenHangar({ providers: { math: {} }, history: { math: [...ranOnce(tools), circuitOpened(T0 + 30_000)] } });
      h.clock.advance(10_000);
      const error = await rejection(h.invoke(call()));
      assert.equal(error.code, 'CIRCUIT_OPEN');
      assert.equal(error.details.retryAfterMs, 20_000);
      assert.equal(h.runtime.starts.length, 0);
      assert.deepEqual(await h.newEvents(), [failed('CIRCUIT_OPEN', error.message)]);
    });

    it('refuses a call to a running provider once its circuit opened, without calling the tool', async () => {
      const h = await givenHangar({ providers: { math: { settings: { circuitBreaker: { failureThreshold: 2, resetTimeoutS: 30 } } } } });
      h.runtime.tools = tools;
      h.runtime.onCall(callFailure('TIMEOUT', 'timed out'), callFailure('TIMEOUT', 'timed out'));
      assert.equal((await rejection(h.invoke(call()))).code, 'TIMEOUT');
      assert.equal((await rejection(h.invoke(call()))).code, 'TIMEOUT');
      assert.equal((await rejection(h.invoke(call()))).code, 'CIRCUIT_OPEN');
      assert.equal(h.runtime.calls.length, 2);
      assert.deepEqual((await h.newEvents()).slice(3), [
        failed('TIMEOUT', 'timed out'),
        failed('TIMEOUT', 'timed out'),
        { type: 'CircuitOpened', data: { failures: 2, probeAt: iso(T0 + 30_000), reason: '2 consecutive transport failures, last TIMEOUT' } },
        failed('CIRCUIT_OPEN', "provider 'math' is not taking calls: the circuit is open after 2 consecutive failures; next try in 30 s"),
      ]);
    });

    it('admits one probe once the reset timeout passed, and closes the circuit on its result', async () => {
      const h = await givenHangar({ providers: { math: {} }, history: { math: [...ranOnce(tools), circuitOpened(T0 + 30_000)] } });
      h.runtime.tools = tools;
      h.clock.advance(30_000);
      await h.invoke(call());
      assert.deepEqual(await h.newEvents(), [
        { type: 'CircuitHalfOpened', data: { since: iso(T0 + 30_000) } },
        ...startEvents(tools).slice(0, 2),
        invoked({ resultSize: ADD_OK_SIZE }),
        { type: 'CircuitClosed', data: { after: 'probe_succeeded' } },
      ]);
    });

    it('refuses a second call while the probe is under way', async () => {
      const h = await givenHangar({ providers: { math: {} }, history: { math: [...ranOnce(tools), circuitOpened(T0)] } });
      h.runtime.tools = tools;
      const probe = deferred<ToolCallResult>();
      h.runtime.onCall(() => probe.promise);
      const first = h.invoke(call());
      await h.runtime.whenCalls(1);
      const error = await rejection(h.invoke(call()));
      assert.equal(error.code, 'CIRCUIT_OPEN');
      assert.match(error.message, /a probe call is under way/);
      probe.resolve(textResult('3'));
      assert.deepEqual(await first, textResult('3'));
      assert.equal(h.runtime.calls.length, 1);
    });

    it('lets a result with isError reset the count of transport failures', async () => {
      const h = await givenHangar({ providers: { math: { settings: { circuitBreaker: { failureThreshold: 2, resetTimeoutS: 30 } } } } });
      h.runtime.tools = tools;
      h.runtime.onCall(callFailure('TIMEOUT'), { content: [], isError: true }, callFailure('TIMEOUT'));
      await rejection(h.invoke(call()));
      await h.invoke(call());
      await rejection(h.invoke(call()));
      assert.ok(!(await h.newEvents()).some((e) => e.type === 'CircuitOpened'));
      assert.deepEqual(h.catalog.get('math')?.state.circuit, { status: 'closed', failures: 1 });
    });
  });

  describe('starts a cold provider lazily', () => {
    it('starts a cold provider, calls the tool, records the start and the invocation, and returns the result', async () => {
      const h = await givenHangar({ providers: { math: {} } });
      h.runtime.tools = tools;
      const result = await h.invoke(call());
      assert.deepEqual(result, textResult('add ok'));
      assert.deepEqual(
        h.runtime.calls.map((c) => [c.name, c.args]),
        [['add', { a: 1, b: 2 }]],
      );
      assert.deepEqual(await h.newEvents(), [...startEvents(tools), invoked({ resultSize: ADD_OK_SIZE })]);
    });

    it('reports cold_start, launching, ready and executing for a cold provider', async () => {
      const h = await givenHangar({ providers: { math: {} } });
      h.runtime.tools = tools;
      const stages: [InvokeStage, string][] = [];
      await h.invoke(call('add', { a: 1, b: 2 }, { onStage: (stage, detail) => stages.push([stage, detail]) }));
      assert.deepEqual(stages, [
        ['cold_start', "Provider 'math' is cold, starting it"],
        ['launching', "Launching subprocess provider 'math'"],
        ['ready', "Provider 'math' is ready"],
        ['executing', "Calling tool 'add'"],
      ]);
    });

    it('reports only executing for a running provider, and does not start it again', async () => {
      const h = await givenHangar({ providers: { math: {} } });
      h.runtime.tools = tools;
      await h.invoke(call());
      const stages: InvokeStage[] = [];
      await h.invoke(call('add', { a: 1, b: 2 }, { onStage: (stage) => stages.push(stage) }));
      assert.deepEqual(stages, ['executing']);
      assert.equal(h.runtime.starts.length, 1);
    });

    it('records a failed start as the call failing with PROVIDER_START_FAILED, the runtime details kept', async () => {
      const h = await givenHangar({ providers: { math: {} } });
      h.runtime.onStart(startFailure('spawn fake-provider ENOENT', { exitCode: null, stderrTail: '', hints: ['check the command'] }));
      const stages: InvokeStage[] = [];
      const error = await rejection(h.invoke(call('add', { a: 1, b: 2 }, { onStage: (stage) => stages.push(stage) })));
      assert.equal(error.code, 'PROVIDER_START_FAILED');
      assert.deepEqual(error.details, { provider: 'math', tool: 'add', retryable: true, exitCode: null, stderrTail: '', hints: ['check the command'] });
      assert.deepEqual(stages, ['cold_start', 'launching']);
      assert.deepEqual(
        (await h.newEvents()).map((e) => e.type),
        ['ProviderStartRequested', 'ProviderStartFailed', 'ToolInvocationFailed'],
      );
    });
  });

  describe('records the outcome', () => {
    it('records a result with isError as ToolInvoked with outcome tool_error, and returns it', async () => {
      const h = await givenHangar({ providers: { math: {} }, history: { math: ranOnce(tools) } });
      h.runtime.tools = tools;
      const result = { content: [{ type: 'text', text: 'division by zero' }], isError: true };
      h.runtime.onCall(result);
      assert.deepEqual(await h.invoke(call('divide', { a: 1, b: 0 })), result);
      assert.deepEqual((await h.newEvents()).at(-1), invoked({ tool: 'divide', outcome: 'tool_error', args: { a: 1, b: 0 }, resultSize: 70 }));
    });

    it('records a failed call with its error code, and re-throws it with the provider and tool', async () => {
      const h = await givenHangar({ providers: { math: {} }, history: { math: ranOnce(tools) } });
      h.runtime.tools = tools;
      h.runtime.onCall(callFailure('PROVIDER_CRASHED', "provider 'math' crashed during 'add'", { exitCode: 3, stderrTail: 'boom', retryable: true }));
      const error = await rejection(h.invoke(call()));
      assert.equal(error.code, 'PROVIDER_CRASHED');
      assert.equal(error.message, "provider 'math' crashed during 'add'");
      assert.deepEqual(error.details, { provider: 'math', tool: 'add', exitCode: 3, stderrTail: 'boom', retryable: true });
      assert.deepEqual((await h.newEvents()).at(-1), failed('PROVIDER_CRASHED', "provider 'math' crashed during 'add'"));
    });

    it('records the duration from the injected clock and the correlation id in data and metadata', async () => {
      const h = await givenHangar({ providers: { math: {} } });
      h.runtime.tools = tools;
      h.runtime.startTakesMs = 400;
      h.runtime.onCall(() => {
        h.clock.advance(250);
        return textResult('3');
      });
      await h.invoke(call());
      const stored = await h.newStored();
      const last = stored.at(-1);
      assert.deepEqual(last && { type: last.type, data: last.data }, invoked({ durationMs: 650, resultSize: 40 }));
      assert.deepEqual(
        stored.map((e) => e.metadata.correlationId),
        ['call-1', 'call-1', 'call-1', 'call-1'],
      );
      assert.equal(last?.metadata.occurredAt, iso(T0 + 650));
    });

    it("uses the provider's timeout_s unless the call brings its own, and passes its signal and progress handler", async () => {
      const h = await givenHangar({ providers: { math: { settings: { timeoutS: 12 } } } });
      h.runtime.tools = tools;
      await h.invoke(call());
      const controller = new AbortController();
      const onProgress = () => undefined;
      await h.invoke(call('add', { a: 1, b: 2 }, { timeoutMs: 500, signal: controller.signal, onProgress }));
      const [first, second] = h.runtime.calls.map((c) => c.options);
      assert.deepEqual(first, { timeoutMs: 12_000 });
      assert.equal(second?.timeoutMs, 500);
      assert.equal(second?.signal, controller.signal);
      assert.equal(second?.onProgress, onProgress);
    });
  });

  describe('records the arguments as audit.record_arguments says', () => {
    const open = { name: 'login', inputSchema: { type: 'object' } };
    const secretArgs = { user: 'me', password: 'hunter2', options: { api_key: 'k-1', retries: 2 } };
    const redacted = '{"user":"me","password":"[REDACTED]","options":{"api_key":"[REDACTED]","retries":2}}';
    const given = async (audit: AuditConfig) => {
      const h = await givenHangar({ providers: { vault: {} }, history: { vault: ranOnce([open]) }, audit });
      h.runtime.tools = [open];
      return h;
    };
    const dataOf = (event: { readonly data: unknown } | undefined) => event?.data as Record<string, unknown> | undefined;

    it('digest (the default): the digest of the arguments as sent, and nothing else', async () => {
      const h = await given({ recordArguments: 'digest', maxArgumentBytes: 4096 });
      await h.invoke({ ...call('login', secretArgs), provider: 'vault' });
      const data = dataOf((await h.newEvents()).at(-1));
      assert.equal(data?.['argumentsDigest'], `json:${JSON.stringify(secretArgs)}`);
      assert.equal('arguments' in (data ?? {}), false);
    });

    it('full: the redacted arguments, their size, and the digest of the redacted JSON (never of the secrets)', async () => {
      const h = await given({ recordArguments: 'full', maxArgumentBytes: 4096 });
      await h.invoke({ ...call('login', secretArgs), provider: 'vault' });
      const data = dataOf((await h.newEvents()).at(-1));
      assert.deepEqual(data?.['arguments'], { json: redacted, truncated: false, bytes: redacted.length });
      assert.equal(data?.['argumentsDigest'], `json:${redacted}`);
      assert.doesNotMatch(JSON.stringify(data), /hunter2|k-1/);
    });

    it('full: a failed call records them too', async () => {
      const h = await given({ recordArguments: 'full', maxArgumentBytes: 4096 });
      const error = await rejection(h.invoke({ ...call('logout', secretArgs), provider: 'vault' }));
      assert.equal(error.code, 'TOOL_NOT_FOUND');
      const [event] = await h.newEvents();
      assert.equal(event?.type, 'ToolInvocationFailed');
      assert.deepEqual(dataOf(event)?.['arguments'], { json: redacted, truncated: false, bytes: redacted.length });
    });

    it('full: over max_argument_bytes, the JSON is cut and the cut and the whole size are recorded', async () => {
      const h = await given({ recordArguments: 'full', maxArgumentBytes: 64 });
      const args = { text: 'é'.repeat(100), token: 'secret-value' };
      await h.invoke({ ...call('login', args), provider: 'vault' });
      const data = dataOf((await h.newEvents()).at(-1));
      const whole = JSON.stringify({ text: 'é'.repeat(100), token: '[REDACTED]' });
      const recorded = data?.['arguments'] as { json: string; truncated: boolean; bytes: number };
      assert.equal(recorded.truncated, true);
      assert.equal(recorded.bytes, Buffer.byteLength(whole));
      assert.equal(recorded.json, whole.slice(0, 9 + 27), 'the 9 bytes of {"text":" and 27 two-byte characters would be 63; a 28th would pass 64');
      assert.equal(data?.['argumentsDigest'], `json:${whole}`, 'the digest covers the whole redacted JSON');
    });

    it('none: neither the digest nor the arguments', async () => {
      const h = await given({ recordArguments: 'none', maxArgumentBytes: 4096 });
      await h.invoke({ ...call('login', secretArgs), provider: 'vault' });
      const data = dataOf((await h.newEvents()).at(-1));
      assert.deepEqual(Object.keys(data ?? {}).sort(), ['correlationId', 'durationMs', 'outcome', 'resultSize', 'tool']);
    });

    it('reads the setting at each call, so a reload applies to the next call', async () => {
      const audit = { recordArguments: 'digest', maxArgumentBytes: 4096 } as { -readonly [K in keyof AuditConfig]: AuditConfig[K] };
      const h = await given(audit);
      await h.invoke({ ...call('login', { a: 1 }), provider: 'vault' });
      audit.recordArguments = 'full';
      await h.invoke({ ...call('login', { a: 1 }), provider: 'vault' });
      const [first, second] = (await h.newEvents()).filter((e) => e.type === 'ToolInvoked').map(dataOf);
      assert.equal('arguments' in (first ?? {}), false);
      assert.deepEqual(second?.['arguments'], { json: '{"a":1}', truncated: false, bytes: 7 });
      assert.equal(first?.['argumentsDigest'], second?.['argumentsDigest'], 'nothing redacted: the same digest in both modes');
    });
  });

  describe('keeps the session bookkeeping', () => {
    it('counts calls in flight while they run and stamps lastUsedMs when they end', async () => {
      const h = await givenHangar({ providers: { math: {} } });
      h.runtime.tools = tools;
      await h.invoke(call());
      const [one, two] = [deferred<ToolCallResult>(), deferred<ToolCallResult>()];
      h.runtime.onCall(
        () => one.promise,
        () => two.promise,
      );
      const calls = [h.invoke(call()), h.invoke(call())];
      await h.runtime.whenCalls(3);
      assert.equal(h.session('math')?.inFlight, 2);
      h.clock.advance(700);
      one.resolve(textResult('3'));
      await calls[0];
      assert.equal(h.session('math')?.inFlight, 1);
      assert.equal(h.session('math')?.lastUsedMs, T0 + 700);
      h.clock.advance(100);
      two.reject(callFailure('TIMEOUT'));
      await rejection(calls[1] as Promise<ToolCallResult>);
      assert.equal(h.session('math')?.inFlight, 0);
      assert.equal(h.session('math')?.lastUsedMs, T0 + 800);
    });
  });
});
