import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fold } from '../../../src/domain/shared/decider.js';
import type { DomainError, ErrorCode } from '../../../src/domain/shared/errors.js';
import { providerId } from '../../../src/domain/shared/ids.js';
import { startBackoffMs } from '../../../src/domain/provider/backoff.js';
import type { ProviderEvent } from '../../../src/domain/provider/events.js';
import { providerDecider } from '../../../src/domain/provider/provider.decider.js';
import type { ProviderRegistration } from '../../../src/domain/provider/tool-definition.js';
import { deciderSpec } from '../../support/decider-spec.js';

const spec = deciderSpec(providerDecider);
const id = providerId('math');
const T0 = Date.parse('2026-11-23T10:00:00.000Z');

const registration: ProviderRegistration = {
  mode: 'subprocess',
  description: 'Arithmetic',
  configDigest: 'digest-1',
  settings: { idleTtlS: 300, healthCheckIntervalS: 60, maxConsecutiveFailures: 3, timeoutS: 30, circuitBreaker: { failureThreshold: 5, resetTimeoutS: 30 } },
  predefinedTools: [{ name: 'add', inputSchema: { type: 'object' } }],
};
const registered: ProviderEvent = { type: 'ProviderRegistered', data: { providerId: id, ...registration } };
const requested = (attempt = 1): ProviderEvent => ({ type: 'ProviderStartRequested', data: { reason: 'invoke', attempt } });
const started: ProviderEvent = {
  type: 'ProviderStarted',
  data: { pid: 42, protocolVersion: '2025-06-18', serverInfo: { name: 'math', version: '1' }, startupMs: 400 },
};
const failedStart = (n: number): ProviderEvent => ({
  type: 'ProviderStartFailed',
  data: { message: 'spawn x ENOENT', exitCode: null, signal: null, stderrTail: '', hint: 'command not found', consecutiveFailures: n },
});
const failStart = (jitter = 0.5) =>
  ({
    type: 'RecordStartFailed',
    message: 'spawn x ENOENT',
    exitCode: null,
    signal: null,
    stderrTail: '',
    hint: 'command not found',
    nowMs: T0,
    jitter,
  }) as const;
const tools = [{ name: 'add' }, { name: 'divide' }];
/** The start of pid `pid` succeeded, listing `tools` (or, when `recorded` is false, too many to record). */
const recordStarted = (pid = 42, recorded = true) =>
  ({
    type: 'RecordStarted',
    pid,
    protocolVersion: '2025-06-18',
    serverInfo: { name: 'math', version: '1' },
    startupMs: 400,
    tools: recorded ? tools : [],
    toolsDigest: 'd1',
    toolsCount: tools.length,
  }) as const;

describe('Provider decider', () => {
  describe('registration', () => {
    it('registers an unknown provider', () => {
      spec.given([]).when({ type: 'RegisterProvider', providerId: id, registration }).then([registered]);
    });
    it('records nothing when the same config is registered again', () => {
      spec.given([registered]).when({ type: 'RegisterProvider', providerId: id, registration }).thenNothing();
    });
    it('records a config change when the digest differs', () => {
      const changed = { ...registration, configDigest: 'digest-2' };
      spec
        .given([registered])
        .when({ type: 'RegisterProvider', providerId: id, registration: changed })
        .then([{ type: 'ProviderConfigChanged', data: { providerId: id, ...changed } }]);
    });
    it('deregisters a provider that left the config, and registers it again later', () => {
      spec
        .given([registered])
        .when({ type: 'DeregisterProvider' })
        .then([{ type: 'ProviderDeregistered', data: { reason: 'removed_from_config' } }]);
      const gone: ProviderEvent = { type: 'ProviderDeregistered', data: { reason: 'removed_from_config' } };
      spec.given([registered, gone]).when({ type: 'RegisterProvider', providerId: id, registration }).then([registered]);
    });
    it('refuses commands for an unregistered provider', () => {
      spec.given([]).when({ type: 'RequestStart', reason: 'invoke', nowMs: T0 }).thenThrows('PROVIDER_NOT_FOUND');
    });
  });

  describe('starting', () => {
    it('admits a start of a cold provider', () => {
      spec
        .given([registered])
        .when({ type: 'RequestStart', reason: 'invoke', nowMs: T0 })
        .then([requested(1)]);
    });
    it('admits nothing while a start is under way or the provider is ready', () => {
      spec.given([registered, requested()]).when({ type: 'RequestStart', reason: 'invoke', nowMs: T0 }).thenNothing();
      spec.given([registered, requested(), started]).when({ type: 'RequestStart', reason: 'invoke', nowMs: T0 }).thenNothing();
    });
    it('records the start and the discovered tools the first time', () => {
      spec
        .given([registered, requested()])
        .when(recordStarted())
        .then([started, { type: 'ToolsDiscovered', data: { tools, digest: 'd1', count: tools.length } }]);
    });
    it('does not record the same tools again on a later start', () => {
      const discovered: ProviderEvent = { type: 'ToolsDiscovered', data: { tools, digest: 'd1', count: tools.length } };
      const stopped: ProviderEvent = { type: 'ProviderStopped', data: { reason: 'idle' } };
      spec
        .given([registered, requested(), started, discovered, stopped, requested()])
        .when(recordStarted(43))
        .then([{ ...started, data: { ...started.data, pid: 43 } } as ProviderEvent]);
    });
    it('records only the digest and count of a tool list too large to keep, and knows none of its tools', () => {
      spec
        .given([registered, requested()])
        .when(recordStarted(42, false))
        .then([started, { type: 'ToolsDiscovered', data: { tools: [], digest: 'd1', count: 2 } }]);
      const digestOnly: ProviderEvent = { type: 'ToolsDiscovered', data: { tools: [], digest: 'd1', count: 2 } };
      const state = fold(providerDecider, [registered, requested(), started, digestOnly]);
      assert.deepEqual(state.status === 'ready' && [state.discoveredTools, state.discoveredDigest], [null, 'd1']);
    });
    it('ignores a start result when the provider was stopped while starting', () => {
      const stopped: ProviderEvent = { type: 'ProviderStopped', data: { reason: 'user_request' } };
      spec
        .given([registered, requested(), stopped])
        .when({ type: 'RecordStarted', pid: 42, protocolVersion: null, serverInfo: null, startupMs: 1, tools, toolsDigest: 'd1', toolsCount: tools.length })
        .thenNothing();
    });
  });

  describe('tools listed again', () => {
    it('records the tools a running provider lists again only when they differ from the recorded ones', () => {
      const discovered: ProviderEvent = { type: 'ToolsDiscovered', data: { tools, digest: 'd1', count: tools.length } };
      const relisted = (digest: string) => ({ type: 'RecordToolsListed' as const, tools, toolsDigest: digest, toolsCount: tools.length });
      spec.given([registered, requested(), started, discovered]).when(relisted('d1')).thenNothing();
      spec
        .given([registered, requested(), started, discovered])
        .when(relisted('d2'))
        .then([{ type: 'ToolsDiscovered', data: { tools, digest: 'd2', count: tools.length } }]);
      spec.given([registered]).when(relisted('d2')).thenNothing();
    });
  });

  describe('start failures and backoff', () => {
    it('counts a failed start and goes back to cold below the threshold', () => {
      spec
        .given([registered, requested()])
        .when(failStart())
        .then([failedStart(1)]);
      const state = fold(providerDecider, [registered, requested(), failedStart(1)]);
      assert.equal(state.status, 'cold');
    });
    it('degrades after max_consecutive_failures failed starts in a row, with a backoff of 2^failures s', () => {
      const events = spec
        .given([registered, requested(1), failedStart(1), requested(2), failedStart(2), requested(3)])
        .when(failStart(0.5))
        .events();
      assert.deepEqual(events[0], failedStart(3));
      assert.equal(events[1]?.type, 'ProviderDegraded');
      const retryAt = Date.parse((events[1] as Extract<ProviderEvent, { type: 'ProviderDegraded' }>).data.retryAt);
      assert.equal(retryAt - T0, 8000);
    });
    it('refuses a start inside the backoff, saying how long to wait', () => {
      const degraded: ProviderEvent = { type: 'ProviderDegraded', data: { reason: 'x', consecutiveFailures: 3, retryAt: new Date(T0 + 8000).toISOString() } };
      spec
        .given([registered, failedStart(3), degraded])
        .when({ type: 'RequestStart', reason: 'invoke', nowMs: T0 + 3000 })
        .thenThrows('PROVIDER_DEGRADED', 'in 5 s');
      spec
        .given([registered, failedStart(3), degraded])
        .when({ type: 'RequestStart', reason: 'invoke', nowMs: T0 + 8000 })
        .then([requested(4)]);
    });
    it('resets the failure count after a successful start', () => {
      const state = fold(providerDecider, [registered, requested(1), failedStart(1), requested(2), started]);
      assert.equal(state.status, 'ready');
      assert.equal(state.status === 'ready' && state.consecutiveFailures, 0);
    });
    it('caps the backoff at 60 s and spreads it by at most 20 %', () => {
      assert.equal(startBackoffMs(3, 0.5), 8000);
      assert.equal(startBackoffMs(10, 0.5), 60_000);
      assert.equal(startBackoffMs(10, 0.99), 60_000);
      assert.equal(startBackoffMs(3, 0), 6400);
      assert.ok(startBackoffMs(3, 0.999) <= 9600);
    });
  });

  describe('stopping, crashes and invocations', () => {
    it('stops a ready provider for idleness, but only a ready one', () => {
      spec
        .given([registered, requested(), started])
        .when({ type: 'StopProvider', reason: 'idle' })
        .then([{ type: 'ProviderStopped', data: { reason: 'idle' } }]);
      spec.given([registered, requested()]).when({ type: 'StopProvider', reason: 'idle' }).thenNothing();
      spec.given([registered]).when({ type: 'StopProvider', reason: 'user_request' }).thenNothing();
    });
    it('records a crash of a ready provider and lets the next call restart it', () => {
      const crash = { type: 'RecordCrash', exitCode: 3, signal: null, stderrTail: 'boom', inFlightCalls: 2 } as const;
      spec
        .given([registered, requested(), started])
        .when(crash)
        .then([{ type: 'ProviderCrashed', data: { exitCode: 3, signal: null, stderrTail: 'boom', inFlightCalls: 2 } }]);
      const crashed: ProviderEvent = { type: 'ProviderCrashed', data: { exitCode: 3, signal: null, stderrTail: 'boom', inFlightCalls: 2 } };
      spec
        .given([registered, requested(), started, crashed])
        .when({ type: 'RequestStart', reason: 'invoke', nowMs: T0 })
        .then([requested(1)]);
    });
    it('does not call an exit after a stop a crash', () => {
      const stopped: ProviderEvent = { type: 'ProviderStopped', data: { reason: 'user_request' } };
      spec
        .given([registered, requested(), started, stopped])
        .when({ type: 'RecordCrash', exitCode: 0, signal: null, stderrTail: '', inFlightCalls: 0 })
        .thenNothing();
    });
    it('records every invocation with its outcome, and failures as the last error', () => {
      const invoked = { tool: 'add', correlationId: 'c1', durationMs: 2, outcome: 'tool_error' as const, argumentsDigest: 'a', resultSize: 10 };
      spec
        .given([registered, requested(), started])
        .when({ type: 'RecordInvocation', ...invoked })
        .then([{ type: 'ToolInvoked', data: invoked }]);
      const failed = { tool: 'add', correlationId: 'c2', durationMs: 30000, errorCode: 'TIMEOUT' as const, message: 'timed out', argumentsDigest: 'a' };
      const state = fold(providerDecider, [registered, { type: 'ToolInvocationFailed', data: failed }]);
      assert.deepEqual(state.status !== 'unregistered' && state.lastError, { code: 'TIMEOUT', message: 'timed out' });
    });
    it('closes at a hangar restart only what was running: a degraded provider keeps its failures and retry time', () => {
      const restart = { type: 'StopProvider', reason: 'hangar_restart' } as const;
      const closed = [{ type: 'ProviderStopped', data: { reason: 'hangar_restart' } }] as const;
      spec.given([registered, requested(), started]).when(restart).then(closed);
      spec.given([registered, requested()]).when(restart).then(closed);
      const retryAt = new Date(T0 + 8000).toISOString();
      const degraded: ProviderEvent = { type: 'ProviderDegraded', data: { reason: 'x', consecutiveFailures: 3, retryAt } };
      spec
        .given([registered, failedStart(3), degraded])
        .when(restart)
        .thenNothing();
      const crashed: ProviderEvent = { type: 'ProviderCrashed', data: { exitCode: 1, signal: null, stderrTail: '', inFlightCalls: 0 } };
      spec.given([registered, requested(), started, crashed]).when(restart).thenNothing();
      const state = fold(providerDecider, [registered, failedStart(3), degraded]);
      assert.deepEqual(state.status === 'degraded' && [state.consecutiveFailures, state.retryAt], [3, retryAt]);
    });
    it('leaves a degraded provider after a user stop with a fresh failure count', () => {
      const degraded: ProviderEvent = { type: 'ProviderDegraded', data: { reason: 'x', consecutiveFailures: 3, retryAt: new Date(T0 + 8000).toISOString() } };
      const stopped: ProviderEvent = { type: 'ProviderStopped', data: { reason: 'user_request' } };
      const state = fold(providerDecider, [registered, failedStart(3), degraded, stopped]);
      assert.equal(state.status, 'cold');
      assert.equal(state.status === 'cold' && state.consecutiveFailures, 0);
    });
  });

  describe("whose failure it was: the caller's mistakes are recorded, never the provider's last error", () => {
    const failure = (errorCode: ErrorCode, message = `${errorCode} happened`) => ({
      tool: 'add',
      correlationId: 'c9',
      durationMs: 1,
      errorCode,
      message,
      argumentsDigest: 'a',
    });
    const lastErrorAfter = (events: readonly ProviderEvent[]) => {
      const state = fold(providerDecider, events);
      return state.status === 'unregistered' ? undefined : state.lastError;
    };
    const timeout: ProviderEvent = { type: 'ToolInvocationFailed', data: failure('TIMEOUT', 'timed out') };

    for (const code of [
      'TOOL_NOT_FOUND',
      'INVALID_ARGUMENTS',
      'CANCELLED',
      'RATE_LIMITED',
      'CIRCUIT_OPEN',
      'PROVIDER_DEGRADED',
      'PROVIDER_UNAVAILABLE',
    ] as const) {
      it(`records ${code} as ToolInvocationFailed, keeps the last error and does not count it toward the circuit`, () => {
        const cmd = { type: 'RecordInvocationFailure', ...failure(code), nowMs: T0 } as const;
        spec
          .given([registered, requested(), started])
          .when(cmd)
          .then([{ type: 'ToolInvocationFailed', data: failure(code) }]);
        const events: ProviderEvent[] = [registered, requested(), started, timeout, { type: 'ToolInvocationFailed', data: failure(code) }];
        assert.deepEqual(lastErrorAfter(events), { code: 'TIMEOUT', message: 'timed out' });
        assert.equal(lastErrorAfter([registered, { type: 'ToolInvocationFailed', data: failure(code) }]), null);
        const state = fold(providerDecider, events);
        assert.deepEqual(state.status !== 'unregistered' && state.circuit, { status: 'closed', failures: 1 });
      });
    }
    it('never opens the circuit on caller mistakes, however many', () => {
      const mistakes: ProviderEvent[] = Array.from({ length: 10 }, () => ({ type: 'ToolInvocationFailed', data: failure('INVALID_ARGUMENTS') }));
      spec
        .given([registered, requested(), started, ...mistakes])
        .when({ type: 'RecordInvocationFailure', ...failure('TOOL_NOT_FOUND'), nowMs: T0 })
        .then([{ type: 'ToolInvocationFailed', data: failure('TOOL_NOT_FOUND') }]);
    });
    for (const code of ['TIMEOUT', 'PROVIDER_CRASHED', 'RESULT_TOO_LARGE', 'INTERNAL_ERROR'] as const) {
      it(`makes ${code} the provider's last error`, () => {
        assert.deepEqual(lastErrorAfter([registered, { type: 'ToolInvocationFailed', data: failure(code, 'x') }]), { code, message: 'x' });
      });
    }
    it('keeps a failed start as the last error with its hint and stderr tail, through the call that failed with it and the refusals after', () => {
      const failedWithStderr: ProviderEvent = {
        type: 'ProviderStartFailed',
        data: {
          message: 'exited with code 1 during start',
          exitCode: 1,
          signal: null,
          stderrTail: 'no such file',
          hint: 'check the args',
          consecutiveFailures: 1,
        },
      };
      const expected = { code: 'PROVIDER_START_FAILED', message: 'exited with code 1 during start', hint: 'check the args', stderrTail: 'no such file' };
      const events: ProviderEvent[] = [
        registered,
        requested(),
        failedWithStderr,
        { type: 'ToolInvocationFailed', data: failure('PROVIDER_START_FAILED', 'exited with code 1 during start') },
        { type: 'ToolInvocationFailed', data: failure('PROVIDER_DEGRADED') },
      ];
      assert.deepEqual(lastErrorAfter(events), expected);
    });
    it('gives a degraded refusal its root cause: the failed start, with hint and stderr tail', () => {
      const retryAt = new Date(T0 + 8000).toISOString();
      const degraded: ProviderEvent = { type: 'ProviderDegraded', data: { reason: 'x', consecutiveFailures: 3, retryAt } };
      const refusal = (() => {
        try {
          providerDecider.decide({ type: 'RequestStart', reason: 'invoke', nowMs: T0 }, fold(providerDecider, [registered, failedStart(3), degraded]));
        } catch (e) {
          return e as DomainError;
        }
        return undefined;
      })();
      assert.equal(refusal?.code, 'PROVIDER_DEGRADED');
      assert.deepEqual(refusal?.details.rootCause, { code: 'PROVIDER_START_FAILED', message: 'spawn x ENOENT', hint: 'command not found' });
    });
  });
});
