import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RetriesExhausted, type InvokeWithRetry, type RetryRecord } from '../../../src/application/commands/invoke-with-retry.js';
import type { ErrorCode } from '../../../src/domain/shared/errors.js';
import { callFailure, startFailure, textResult, type Reply } from '../../support/fake-runtime.js';
import { givenHangar, type Given } from '../../support/given-hangar.js';
import { ManualClock, manualScheduler, steppedScheduler } from '../../support/manual-clock.js';

const tools = [{ name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } }];
const noCircuit = { circuitBreaker: { failureThreshold: 100, resetTimeoutS: 30 } };

const call = (extra: Partial<InvokeWithRetry> = {}): InvokeWithRetry => ({
  provider: 'echo',
  tool: 'echo',
  arguments: { text: 'hi' },
  correlationId: 'call-1',
  maxRetries: 3,
  retryOnError: true,
  ...extra,
});

/** A hangar with one provider, `echo`, whose circuit never opens in these tests; the manual scheduler moves `clock`. */
const givenEcho = async (given: Partial<Given> = {}) => {
  const clock = given.clock ?? new ManualClock();
  const h = await givenHangar({ providers: { echo: { settings: noCircuit } }, clock, scheduler: manualScheduler(clock), ...given });
  h.runtime.tools = tools;
  return h;
};

/** The RetriesExhausted a retrying call rejects with. */
const exhausted = async (work: Promise<unknown>): Promise<RetriesExhausted> => {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof RetriesExhausted, `expected RetriesExhausted, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
};

describe('invokeWithRetry', () => {
  describe('what it retries', () => {
    it('retries a timeout and returns the result with the metadata of the attempts', async () => {
      const clock = new ManualClock();
      const scheduler = manualScheduler(clock);
      const h = await givenEcho({ clock, scheduler });
      h.runtime.onCall(callFailure('TIMEOUT', 'no answer within 30000 ms'));
      const { result, metadata } = await h.invokeWithRetry(call());
      assert.deepEqual(result, textResult('echo ok'));
      assert.deepEqual(metadata, {
        correlationId: 'call-1',
        attempts: 2,
        retries: [{ attempt: 1, errorCode: 'TIMEOUT', message: 'no answer within 30000 ms', delayMs: 1000 }],
        totalTimeMs: 1000,
      });
      assert.deepEqual(scheduler.delays, [1000]);
    });

    it('records every attempt as an invocation with the same correlation id', async () => {
      const h = await givenEcho();
      h.runtime.onCall(callFailure('PROVIDER_CRASHED'), callFailure('TIMEOUT'));
      await h.invokeWithRetry(call());
      const invocations = (await h.newStored()).filter((e) => e.type === 'ToolInvoked' || e.type === 'ToolInvocationFailed');
      assert.deepEqual(
        invocations.map((e) => [e.type, e.metadata.correlationId, e.data.correlationId]),
        [
          ['ToolInvocationFailed', 'call-1', 'call-1'],
          ['ToolInvocationFailed', 'call-1', 'call-1'],
          ['ToolInvoked', 'call-1', 'call-1'],
        ],
      );
    });

    for (const code of ['TIMEOUT', 'PROVIDER_CRASHED', 'PROVIDER_UNAVAILABLE'] as const) {
      it(`retries a call that failed with ${code}`, async () => {
        const h = await givenEcho();
        h.runtime.onCall(callFailure(code));
        const { metadata } = await h.invokeWithRetry(call());
        assert.equal(metadata.attempts, 2);
        assert.equal(h.runtime.calls.length, 2);
      });
    }

    it('retries a failed start (PROVIDER_START_FAILED)', async () => {
      const h = await givenEcho();
      h.runtime.onStart(startFailure('the provider exited during start'));
      const { metadata } = await h.invokeWithRetry(call());
      assert.deepEqual(
        metadata.retries.map((r) => r.errorCode),
        ['PROVIDER_START_FAILED'],
      );
      assert.equal(h.runtime.starts.length, 2);
    });

    /** What it never retries: the failure, its code, what the provider answers (if it is asked at all) and the call. */
    const never: [string, ErrorCode, Reply | null, InvokeWithRetry][] = [
      ['arguments that do not fit', 'INVALID_ARGUMENTS', null, call({ arguments: { text: 1 } })],
      ['an unknown tool', 'TOOL_NOT_FOUND', null, call({ tool: 'ehco' })],
      ['a cancelled call', 'CANCELLED', callFailure('CANCELLED'), call()],
      ['an unexpected error', 'INTERNAL_ERROR', new Error('something broke'), call()],
    ];
    for (const [what, code, reply, retried] of never) {
      it(`never retries ${what} (${code})`, async () => {
        const h = await givenEcho();
        if (reply) h.runtime.onCall(reply);
        const error = await exhausted(h.invokeWithRetry(retried));
        assert.equal(error.code, code);
        assert.equal(error.metadata.attempts, 1);
        assert.deepEqual(error.metadata.retries, []);
      });
    }

    it('never retries an open circuit (CIRCUIT_OPEN)', async () => {
      const h = await givenEcho({ providers: { echo: { settings: { circuitBreaker: { failureThreshold: 1, resetTimeoutS: 30 } } } } });
      h.runtime.onCall(callFailure('TIMEOUT'));
      const error = await exhausted(h.invokeWithRetry(call()));
      assert.equal(error.code, 'CIRCUIT_OPEN');
      assert.deepEqual(
        error.metadata.retries.map((r) => r.errorCode),
        ['TIMEOUT'],
      );
      assert.equal(h.runtime.calls.length, 1);
    });

    it('stops retrying once the provider is degraded (PROVIDER_DEGRADED)', async () => {
      const h = await givenEcho({ providers: { echo: { settings: { ...noCircuit, maxConsecutiveFailures: 2 } } }, retry: { maxAttempts: 5 } });
      h.runtime.onStart(startFailure('first'), startFailure('second'));
      const error = await exhausted(h.invokeWithRetry(call()));
      assert.equal(error.code, 'PROVIDER_DEGRADED');
      assert.equal(error.metadata.attempts, 3);
      assert.equal(h.runtime.starts.length, 2);
    });

    it("returns a tool's own error result without retrying it", async () => {
      const h = await givenEcho();
      const toolError = { content: [{ type: 'text', text: 'no such file' }], isError: true };
      h.runtime.onCall(toolError);
      const { result, metadata } = await h.invokeWithRetry(call());
      assert.deepEqual(result, toolError);
      assert.equal(metadata.attempts, 1);
      assert.equal(h.runtime.calls.length, 1);
    });
  });

  describe('how long it waits', () => {
    it('waits initial_delay_ms, then twice as long each time, never more than max_delay_ms', async () => {
      const clock = new ManualClock();
      const scheduler = manualScheduler(clock);
      const h = await givenEcho({ clock, scheduler, retry: { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 3000 } });
      h.runtime.onCall(...Array.from({ length: 4 }, () => callFailure('TIMEOUT')));
      const { metadata } = await h.invokeWithRetry(call({ maxRetries: 4 }));
      assert.deepEqual(scheduler.delays, [1000, 2000, 3000, 3000]);
      assert.deepEqual(
        metadata.retries.map((r) => r.delayMs),
        [1000, 2000, 3000, 3000],
      );
      assert.equal(metadata.totalTimeMs, 9000);
    });

    it('spreads each delay by the jitter', async () => {
      const low = manualScheduler();
      const high = manualScheduler();
      for (const [scheduler, random] of [
        [low, 0],
        [high, 0.99],
      ] as const) {
        const h = await givenEcho({ scheduler, random, retry: { jitter: 0.25 } });
        h.runtime.onCall(callFailure('TIMEOUT'), callFailure('TIMEOUT'));
        await h.invokeWithRetry(call());
      }
      assert.deepEqual(low.delays, [750, 1500]);
      assert.deepEqual(high.delays, [1245, 2490]);
    });

    it('makes the next attempt only after the delay has passed', async () => {
      const clock = new ManualClock();
      const scheduler = steppedScheduler(clock);
      const h = await givenEcho({ clock, scheduler });
      h.runtime.onCall(callFailure('TIMEOUT'));
      const retrying = h.invokeWithRetry(call());
      await scheduler.whenWaiting();
      assert.equal(h.runtime.calls.length, 1);
      scheduler.pass();
      const { metadata } = await retrying;
      assert.equal(h.runtime.calls.length, 2);
      assert.equal(metadata.totalTimeMs, 1000);
    });
  });

  describe('how many attempts it makes', () => {
    it('never makes more attempts than retry.max_attempts, whatever max_retries asks for', async () => {
      const h = await givenEcho({ retry: { maxAttempts: 3 } });
      h.runtime.onCall(...Array.from({ length: 10 }, () => callFailure('TIMEOUT')));
      const error = await exhausted(h.invokeWithRetry(call({ maxRetries: 10 })));
      assert.equal(error.code, 'TIMEOUT');
      assert.equal(error.metadata.attempts, 3);
      assert.equal(h.runtime.calls.length, 3);
    });

    it('makes max_retries + 1 attempts when that is fewer', async () => {
      const h = await givenEcho({ retry: { maxAttempts: 5 } });
      h.runtime.onCall(...Array.from({ length: 10 }, () => callFailure('TIMEOUT')));
      const error = await exhausted(h.invokeWithRetry(call({ maxRetries: 1 })));
      assert.equal(error.metadata.attempts, 2);
      assert.equal(h.runtime.calls.length, 2);
    });

    it('makes exactly one attempt when retryOnError is false', async () => {
      const clock = new ManualClock();
      const scheduler = manualScheduler(clock);
      const h = await givenEcho({ clock, scheduler });
      h.runtime.onCall(callFailure('TIMEOUT', 'no answer'));
      const error = await exhausted(h.invokeWithRetry(call({ retryOnError: false })));
      assert.equal(error.code, 'TIMEOUT');
      assert.deepEqual(error.metadata, { correlationId: 'call-1', attempts: 1, retries: [], totalTimeMs: 0 });
      assert.deepEqual(scheduler.delays, []);
    });

    it('tells onRetry about each retry before waiting for it', async () => {
      const clock = new ManualClock();
      const scheduler = steppedScheduler(clock);
      const h = await givenEcho({ clock, scheduler });
      h.runtime.onCall(callFailure('TIMEOUT', 'first'), callFailure('PROVIDER_CRASHED', 'second'));
      const told: RetryRecord[] = [];
      const retrying = h.invokeWithRetry(call({ onRetry: (record) => told.push(record) }));
      await scheduler.whenWaiting();
      assert.deepEqual(told, [{ attempt: 1, errorCode: 'TIMEOUT', message: 'first', delayMs: 1000 }]);
      scheduler.pass();
      await scheduler.whenWaiting();
      scheduler.pass();
      await retrying;
      assert.deepEqual(told.at(-1), { attempt: 2, errorCode: 'PROVIDER_CRASHED', message: 'second', delayMs: 2000 });
    });
  });

  describe('cancellation', () => {
    it('fails CANCELLED at once, without another attempt, when the call is aborted while waiting to retry', async () => {
      const clock = new ManualClock();
      const scheduler = steppedScheduler(clock);
      const h = await givenEcho({ clock, scheduler });
      h.runtime.onCall(callFailure('TIMEOUT', 'first'));
      const controller = new AbortController();
      const retrying = exhausted(h.invokeWithRetry(call({ signal: controller.signal })));
      await scheduler.whenWaiting();
      clock.advance(300);
      controller.abort();
      const error = await retrying;
      assert.equal(error.code, 'CANCELLED');
      assert.equal(error.message, 'the call was cancelled while waiting to retry');
      assert.deepEqual(error.metadata, {
        correlationId: 'call-1',
        attempts: 1,
        retries: [{ attempt: 1, errorCode: 'TIMEOUT', message: 'first', delayMs: 1000 }],
        totalTimeMs: 300,
      });
      assert.equal(scheduler.waiting, 0);
      assert.equal(h.runtime.calls.length, 1);
    });

    it('does not retry a transient failure of a call its caller has aborted', async () => {
      const h = await givenEcho();
      const controller = new AbortController();
      h.runtime.onCall(() => {
        controller.abort();
        throw callFailure('PROVIDER_UNAVAILABLE');
      });
      const error = await exhausted(h.invokeWithRetry(call({ signal: controller.signal })));
      assert.equal(error.code, 'PROVIDER_UNAVAILABLE');
      assert.equal(error.metadata.attempts, 1);
      assert.equal(h.runtime.calls.length, 1);
    });
  });
});
