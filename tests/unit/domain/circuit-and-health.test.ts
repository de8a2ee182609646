import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { providerId } from '../../../src/domain/shared/ids.js';
import { admission, countsAsTransportFailure, type Circuit } from '../../../src/domain/provider/circuit-breaker.js';
import type { ProviderEvent } from '../../../src/domain/provider/events.js';
import { providerDecider } from '../../../src/domain/provider/provider.decider.js';
import { fold } from '../../../src/domain/shared/decider.js';
import type { ErrorCode } from '../../../src/domain/shared/errors.js';
import { deciderSpec } from '../../support/decider-spec.js';

const spec = deciderSpec(providerDecider);
const id = providerId('flaky');
const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const registered: ProviderEvent = {
  type: 'ProviderRegistered',
  data: {
    providerId: id,
    mode: 'subprocess',
    description: '',
    configDigest: 'd',
    settings: { idleTtlS: 300, healthCheckIntervalS: 60, maxConsecutiveFailures: 3, timeoutS: 30, circuitBreaker: { failureThreshold: 5, resetTimeoutS: 30 } },
    predefinedTools: [],
  },
};
const ready: ProviderEvent[] = [
  registered,
  { type: 'ProviderStartRequested', data: { reason: 'invoke', attempt: 1 } },
  { type: 'ProviderStarted', data: { pid: 1, protocolVersion: null, serverInfo: null, startupMs: 1 } },
];
const failure = (errorCode: ErrorCode, nowMs = T0) =>
  ({ type: 'RecordInvocationFailure', tool: 't', correlationId: 'c', durationMs: 1, errorCode, message: errorCode, argumentsDigest: 'a', nowMs }) as const;
const failed = (errorCode: ErrorCode): ProviderEvent => ({
  type: 'ToolInvocationFailed',
  data: { tool: 't', correlationId: 'c', durationMs: 1, errorCode, message: errorCode, argumentsDigest: 'a' },
});
const invoked = (outcome: 'success' | 'tool_error' = 'success'): ProviderEvent => ({
  type: 'ToolInvoked',
  data: { tool: 't', correlationId: 'c', durationMs: 1, outcome, argumentsDigest: 'a', resultSize: 1 },
});
const opened: ProviderEvent = { type: 'CircuitOpened', data: { failures: 5, probeAt: iso(T0 + 30_000), reason: 'x' } };
const timeouts = (n: number) => Array.from({ length: n }, () => failed('TIMEOUT'));

describe('circuit breaker policy', () => {
  const cases: [string, Circuit, number, string][] = [
    ['closed admits', { status: 'closed', failures: 4 }, T0, 'admit'],
    ['open refuses before probeAt', { status: 'open', failures: 5, probeAt: iso(T0 + 1000) }, T0, 'refuse'],
    ['open admits a probe at probeAt', { status: 'open', failures: 5, probeAt: iso(T0) }, T0, 'probe'],
    ['half-open refuses while the probe is fresh', { status: 'half_open', failures: 5, since: iso(T0) }, T0 + 29_999, 'refuse'],
    ['half-open admits a new probe after reset_timeout', { status: 'half_open', failures: 5, since: iso(T0) }, T0 + 30_000, 'probe'],
  ];
  for (const [name, circuit, now, verdict] of cases) {
    it(name, () => assert.equal(admission(circuit, now, 30_000).verdict, verdict));
  }
  const codes: [ErrorCode, boolean][] = [
    ['TIMEOUT', true],
    ['PROVIDER_CRASHED', true],
    ['PROVIDER_UNAVAILABLE', false],
    ['PROVIDER_START_FAILED', true],
    ['TOOL_NOT_FOUND', false],
    ['INVALID_ARGUMENTS', false],
    ['CANCELLED', false],
    ['CIRCUIT_OPEN', false],
    ['RATE_LIMITED', false],
  ];
  for (const [code, counts] of codes) {
    it(`${counts ? 'counts' : 'does not count'} ${code} as a transport failure`, () => assert.equal(countsAsTransportFailure(code), counts));
  }
});

describe('circuit breaker in the Provider decider', () => {
  it('opens the circuit after the fifth consecutive timeout', () => {
    spec
      .given([...ready, ...timeouts(3)])
      .when(failure('TIMEOUT'))
      .then([failed('TIMEOUT')]);
    spec
      .given([...ready, ...timeouts(4)])
      .when(failure('TIMEOUT'))
      .then([
        failed('TIMEOUT'),
        { type: 'CircuitOpened', data: { failures: 5, probeAt: iso(T0 + 30_000), reason: '5 consecutive transport failures, last TIMEOUT' } },
      ]);
  });
  it("does not count a tool's own error result, and a result resets the count", () => {
    spec
      .given([...ready, ...timeouts(4), invoked('tool_error')])
      .when(failure('TIMEOUT'))
      .then([failed('TIMEOUT')]);
    const events = spec
      .given([...ready, ...timeouts(4), failed('INVALID_ARGUMENTS')])
      .when(failure('TIMEOUT'))
      .events();
    assert.deepEqual(
      events.map((e) => e.type),
      ['ToolInvocationFailed', 'CircuitOpened'],
      'a refused call neither counts nor resets',
    );
  });
  it('refuses calls while open, saying when the probe is due', () => {
    spec
      .given([...ready, ...timeouts(5), opened])
      .when({ type: 'AdmitCall', nowMs: T0 + 10_000 })
      .thenThrows('CIRCUIT_OPEN', 'next try in 20 s');
  });
  it('admits one probe after reset_timeout_s and refuses the others meanwhile', () => {
    spec
      .given([...ready, opened])
      .when({ type: 'AdmitCall', nowMs: T0 + 30_000 })
      .then([{ type: 'CircuitHalfOpened', data: { since: iso(T0 + 30_000) } }]);
    const halfOpen: ProviderEvent = { type: 'CircuitHalfOpened', data: { since: iso(T0 + 30_000) } };
    spec
      .given([...ready, opened, halfOpen])
      .when({ type: 'AdmitCall', nowMs: T0 + 30_001 })
      .thenThrows('CIRCUIT_OPEN', 'probe');
  });
  it('closes after a successful probe and re-opens after a failed one', () => {
    const halfOpen: ProviderEvent = { type: 'CircuitHalfOpened', data: { since: iso(T0 + 30_000) } };
    spec
      .given([...ready, opened, halfOpen])
      .when({ type: 'RecordInvocation', tool: 't', correlationId: 'c', durationMs: 1, outcome: 'tool_error', argumentsDigest: 'a', resultSize: 1 })
      .then([invoked('tool_error'), { type: 'CircuitClosed', data: { after: 'probe_succeeded' } }]);
    const events = spec
      .given([...ready, opened, halfOpen])
      .when(failure('PROVIDER_CRASHED', T0 + 31_000))
      .events();
    assert.equal(events[1]?.type, 'CircuitOpened');
    assert.equal((events[1] as Extract<ProviderEvent, { type: 'CircuitOpened' }>).data.probeAt, iso(T0 + 61_000));
    const closedEvent: ProviderEvent = { type: 'CircuitClosed', data: { after: 'probe_succeeded' } };
    const closed = fold(providerDecider, [...ready, opened, halfOpen, closedEvent]);
    assert.deepEqual(closed.status !== 'unregistered' && closed.circuit, { status: 'closed', failures: 0 });
  });
});

describe('health checks in the Provider decider', () => {
  const check = (ok: boolean) => ({ type: 'RecordHealthCheck', ok, message: ok ? 'pong' : 'ping timed out', nowMs: T0, jitter: 0.5 }) as const;
  const healthFailed = (n: number): ProviderEvent => ({ type: 'HealthCheckFailed', data: { consecutiveFailures: n, message: 'ping timed out' } });
  it('records nothing for a routine pass', () => {
    spec.given(ready).when(check(true)).thenNothing();
  });
  it('records a failed check, and a pass after failures as a recovery', () => {
    spec
      .given(ready)
      .when(check(false))
      .then([healthFailed(1)]);
    spec
      .given([...ready, healthFailed(1), healthFailed(2)])
      .when(check(true))
      .then([{ type: 'ProviderRecovered', data: { after: 'health_check', failures: 2 } }]);
  });
  it('degrades a provider after max_consecutive_failures failed checks', () => {
    spec
      .given([...ready, healthFailed(1), healthFailed(2)])
      .when(check(false))
      .then([
        healthFailed(3),
        { type: 'ProviderDegraded', data: { reason: '3 health checks failed in a row: ping timed out', consecutiveFailures: 3, retryAt: iso(T0 + 8000) } },
      ]);
  });
  it('records a recovery when a degraded provider starts again', () => {
    const degraded: ProviderEvent = { type: 'ProviderDegraded', data: { reason: 'x', consecutiveFailures: 3, retryAt: iso(T0) } };
    const events = spec
      .given([...ready, degraded, { type: 'ProviderStartRequested', data: { reason: 'invoke', attempt: 4 } }])
      .when({ type: 'RecordStarted', pid: 2, protocolVersion: null, serverInfo: null, startupMs: 1, tools: [], toolsDigest: 'x', toolsCount: 0 })
      .events();
    assert.deepEqual(
      events.map((e) => e.type),
      ['ProviderStarted', 'ToolsDiscovered', 'ProviderRecovered'],
    );
  });
  it('refuses a start of a provider degraded by health checks with the health checks as the reason, not failed starts', () => {
    const degraded: ProviderEvent = {
      type: 'ProviderDegraded',
      data: { reason: '3 health checks failed in a row: ping timed out', consecutiveFailures: 3, retryAt: iso(T0 + 8000) },
    };
    spec
      .given([...ready, healthFailed(1), healthFailed(2), healthFailed(3), degraded])
      .when({ type: 'RequestStart', reason: 'invoke', nowMs: T0 + 2000 })
      .thenThrows('PROVIDER_DEGRADED', "^provider 'flaky' is degraded after 3 failed health checks; next start allowed in 6 s$");
  });
  it('says "failed starts" for a provider degraded by failed starts', () => {
    const failedStart = (n: number): ProviderEvent => ({
      type: 'ProviderStartFailed',
      data: { message: 'exit 1', exitCode: 1, signal: null, stderrTail: '', hint: '', consecutiveFailures: n },
    });
    const degraded: ProviderEvent = { type: 'ProviderDegraded', data: { reason: 'exit 1', consecutiveFailures: 3, retryAt: iso(T0 + 8000) } };
    spec
      .given([registered, failedStart(3), degraded])
      .when({ type: 'RequestStart', reason: 'invoke', nowMs: T0 })
      .thenThrows('PROVIDER_DEGRADED', 'degraded after 3 failed starts; next start allowed in 8 s');
  });
  it('ignores health results for a provider that is not running', () => {
    spec.given([registered]).when(check(false)).thenNothing();
  });
});
