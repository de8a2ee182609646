import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ToolCallResult } from '../../../src/application/ports/provider-runtime.js';
import { providerId } from '../../../src/domain/shared/ids.js';
import { deferred, settle, startFailure } from '../../support/fake-runtime.js';
import { givenHangar, iso, providerConfig, startEvents, T0, type ProviderSpec } from '../../support/given-hangar.js';
import { rejection } from '../../support/rejection.js';

const math = providerId('math');
const tools = [{ name: 'add', inputSchema: { type: 'object' } }];

/** A hangar with one provider, `math`, whose process lists `tools`. */
const givenMath = async (spec: ProviderSpec = {}) => {
  const h = await givenHangar({ providers: { math: spec } });
  h.runtime.tools = tools;
  return h;
};

describe('startProvider', () => {
  describe('starts once', () => {
    it('lets concurrent callers share one start: one process, one ProviderStartRequested', async () => {
      const h = await givenMath();
      const gate = deferred();
      h.runtime.onStart(gate);
      const starts = [h.start(math, 'invoke'), h.start(math, 'warm'), h.start(math, 'user_request')];
      await h.runtime.whenStarts(1);
      gate.resolve();
      const [first, ...others] = await Promise.all(starts);
      for (const other of others) assert.equal(other, first);
      assert.equal(h.runtime.starts.length, 1);
      assert.deepEqual(await h.newEvents(), startEvents(tools));
    });

    it('records ProviderStartRequested, then ProviderStarted with the startup time from the clock and ToolsDiscovered', async () => {
      const h = await givenMath();
      h.runtime.startTakesMs = 400;
      const session = await h.start(math, 'user_request');
      assert.deepEqual(await h.newEvents(), startEvents(tools, { reason: 'user_request', startupMs: 400 }));
      assert.equal(session.startedMs, T0 + 400);
      assert.equal(h.session('math'), session);
    });

    it('launches with the configured launch and timeout_s as the start timeout', async () => {
      const h = await givenMath({ settings: { timeoutS: 12 } });
      await h.start(math, 'invoke');
      assert.deepEqual(h.runtime.starts, [{ provider: 'math', launch: providerConfig().launch, options: { startTimeoutMs: 12_000, secrets: [] } }]);
    });

    it('answers with the running session, without a new start or a new event', async () => {
      const h = await givenMath();
      const session = await h.start(math, 'invoke');
      await h.newEvents();
      assert.equal(await h.start(math, 'invoke'), session);
      assert.equal(h.runtime.starts.length, 1);
      assert.deepEqual(await h.newEvents(), []);
    });

    it('records ToolsDiscovered again only when the listed tools changed', async () => {
      const h = await givenMath();
      await h.start(math, 'invoke');
      await h.stop(math, 'user_request');
      await h.newEvents();
      await h.start(math, 'invoke');
      assert.deepEqual(
        (await h.newEvents()).map((e) => e.type),
        ['ProviderStartRequested', 'ProviderStarted'],
      );
      await h.stop(math, 'user_request');
      const more = [...tools, { name: 'divide', inputSchema: { type: 'object' } }];
      h.runtime.tools = more;
      await h.start(math, 'invoke');
      assert.deepEqual((await h.newEvents()).slice(1), startEvents(more, { pid: 4202 }));
    });

    it('closes the record of a provider recorded as running without a process here, then starts it', async () => {
      const h = await givenHangar({
        providers: { math: {} },
        history: { math: startEvents(tools).slice(0, 2) },
      });
      h.runtime.tools = tools;
      await h.start(math, 'invoke');
      assert.deepEqual(await h.newEvents(), [{ type: 'ProviderStopped', data: { reason: 'hangar_restart' } }, ...startEvents(tools)]);
    });

    it('refuses a provider that is not configured with PROVIDER_NOT_FOUND and a suggestion, without launching', async () => {
      const h = await givenMath();
      const error = await rejection(h.start(providerId('maht'), 'invoke'));
      assert.equal(error.code, 'PROVIDER_NOT_FOUND');
      assert.equal(error.details.suggestion, 'math');
      assert.equal(h.runtime.starts.length, 0);
    });
  });

  describe('a failed start', () => {
    it("records ProviderStartFailed with the runtime error's exit code, stderr tail and first hint, and re-throws it naming the provider", async () => {
      const h = await givenMath();
      const hints = ['set API_KEY in the env section', 'run the command by hand'];
      h.runtime.onStart(startFailure('the provider exited during start', { exitCode: 2, signal: null, stderrTail: 'missing API_KEY', hints }));
      const error = await rejection(h.start(math, 'invoke'));
      assert.equal(error.code, 'PROVIDER_START_FAILED');
      assert.equal(error.message, 'the provider exited during start');
      assert.deepEqual(error.details, { provider: 'math', retryable: true, exitCode: 2, signal: null, stderrTail: 'missing API_KEY', hints });
      assert.deepEqual(await h.newEvents(), [
        startEvents(tools)[0],
        {
          type: 'ProviderStartFailed',
          data: {
            message: 'the provider exited during start',
            exitCode: 2,
            signal: null,
            stderrTail: 'missing API_KEY',
            hint: 'set API_KEY in the env section',
            consecutiveFailures: 1,
          },
        },
      ]);
      assert.equal(h.session('math'), undefined);
    });

    it('records anything else the runtime throws as PROVIDER_START_FAILED with what it knows', async () => {
      const h = await givenMath();
      h.runtime.onStart(new Error('spawn fake-provider EACCES'));
      const error = await rejection(h.start(math, 'invoke'));
      assert.equal(error.code, 'PROVIDER_START_FAILED');
      assert.deepEqual((await h.newEvents()).at(-1), {
        type: 'ProviderStartFailed',
        data: { message: 'spawn fake-provider EACCES', exitCode: null, signal: null, stderrTail: '', hint: '', consecutiveFailures: 1 },
      });
    });

    it('degrades the provider after max_consecutive_failures failed starts, and refuses to launch it before retryAt', async () => {
      const h = await givenMath({ settings: { maxConsecutiveFailures: 2 } });
      h.runtime.onStart(startFailure('first'), startFailure('second'));
      await rejection(h.start(math, 'invoke'));
      await rejection(h.start(math, 'invoke'));
      assert.deepEqual((await h.newEvents()).slice(-2), [
        { type: 'ProviderStartFailed', data: { message: 'second', exitCode: null, signal: null, stderrTail: '', hint: '', consecutiveFailures: 2 } },
        { type: 'ProviderDegraded', data: { reason: 'second', consecutiveFailures: 2, retryAt: iso(T0 + 4000) } },
      ]);
      h.clock.advance(3000);
      const refused = await rejection(h.start(math, 'invoke'));
      assert.equal(refused.code, 'PROVIDER_DEGRADED');
      assert.equal(refused.details.retryAfterMs, 1000);
      assert.equal(h.runtime.starts.length, 2);
      assert.deepEqual(await h.newEvents(), []);
    });

    it('starts a degraded provider again once retryAt has passed, and records its recovery', async () => {
      const h = await givenMath({ settings: { maxConsecutiveFailures: 2 } });
      h.runtime.onStart(startFailure('first'), startFailure('second'));
      await rejection(h.start(math, 'invoke'));
      await rejection(h.start(math, 'invoke'));
      await h.newEvents();
      h.clock.advance(4000);
      await h.start(math, 'invoke');
      assert.deepEqual(await h.newEvents(), [...startEvents(tools, { attempt: 3 }), { type: 'ProviderRecovered', data: { after: 'restart', failures: 2 } }]);
    });

    it('stops the new process and fails PROVIDER_UNAVAILABLE when the provider was stopped while it started', async () => {
      const h = await givenMath();
      const gate = deferred();
      h.runtime.onStart(gate);
      const starting = h.start(math, 'invoke');
      await h.runtime.whenStarts(1);
      await h.providers.execute(math, { type: 'StopProvider', reason: 'user_request' });
      gate.resolve();
      const error = await rejection(starting);
      assert.equal(error.code, 'PROVIDER_UNAVAILABLE');
      assert.equal(error.message, "provider 'math' was stopped while it was starting");
      assert.equal(h.runtime.connection.stops, 1);
      assert.equal(h.session('math'), undefined);
      assert.deepEqual(await h.newEvents(), [startEvents(tools)[0], { type: 'ProviderStopped', data: { reason: 'user_request' } }]);
    });
  });

  describe('the end of a started provider', () => {
    it('records ProviderCrashed when the provider exits unexpectedly, and the next start launches a new process', async () => {
      const h = await givenMath();
      await h.start(math, 'invoke');
      await h.newEvents();
      await h.runtime.connection.exit({ exitCode: 3, signal: null, stderrTail: 'boom' });
      assert.deepEqual(await h.newEvents(), [{ type: 'ProviderCrashed', data: { exitCode: 3, signal: null, stderrTail: 'boom', inFlightCalls: 0 } }]);
      assert.equal(h.session('math'), undefined);
      await h.start(math, 'invoke');
      assert.equal(h.runtime.starts.length, 2);
      assert.deepEqual(await h.newEvents(), startEvents(tools, { pid: 4201 }).slice(0, 2));
    });

    it('records how many calls were in flight when the provider crashed', async () => {
      const h = await givenMath();
      const never = deferred<ToolCallResult>();
      h.runtime.onCall(
        () => never.promise,
        () => never.promise,
      );
      const calls = [1, 2].map((n) => rejection(h.invoke({ provider: 'math', tool: 'add', arguments: {}, correlationId: `call-${n}` })));
      await h.runtime.whenCalls(2);
      await h.newEvents();
      await h.runtime.connection.exit({ exitCode: 3, signal: null, stderrTail: 'boom' });
      for (const call of calls) assert.equal((await call).code, 'PROVIDER_CRASHED');
      const crash = (await h.newEvents()).find((e) => e.type === 'ProviderCrashed');
      assert.deepEqual(crash?.data, { exitCode: 3, signal: null, stderrTail: 'boom', inFlightCalls: 2 });
    });

    it('records nothing when the provider ends because it was asked to, and forgets its session', async () => {
      const h = await givenMath();
      await h.start(math, 'invoke');
      await h.newEvents();
      await h.runtime.connection.stop();
      await settle();
      assert.deepEqual(await h.newEvents(), []);
      assert.equal(h.session('math'), undefined);
    });

    it('records only ProviderStopped when the hangar stops the provider', async () => {
      const h = await givenMath();
      await h.start(math, 'invoke');
      await h.newEvents();
      await h.stop(math, 'user_request');
      await settle();
      assert.deepEqual(await h.newEvents(), [{ type: 'ProviderStopped', data: { reason: 'user_request' } }]);
      assert.equal(h.runtime.connection.stops, 1);
    });
  });
});
