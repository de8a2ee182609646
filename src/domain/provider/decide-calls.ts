import { DomainError } from '../shared/errors.js';
import { startBackoffMs } from './backoff.js';
import { admission, countsAsTransportFailure } from './circuit-breaker.js';
import type { AdmitCall, RecordHealthCheck, RecordInvocation, RecordInvocationFailure } from './commands.js';
import type { ProviderEvent } from './events.js';
import type { RegisteredProviderState } from './state.js';

type Decision = readonly ProviderEvent[];
const iso = (ms: number) => new Date(ms).toISOString();

/** The circuit's verdict on a new call: nothing (closed), CircuitHalfOpened (this call is the probe), or CIRCUIT_OPEN. */
export const admitCall = (cmd: AdmitCall, state: RegisteredProviderState): Decision => {
  const breaker = state.registration.settings.circuitBreaker;
  const verdict = admission(state.circuit, cmd.nowMs, breaker.resetTimeoutS * 1000);
  if (verdict.verdict === 'admit') return [];
  if (verdict.verdict === 'probe') return [{ type: 'CircuitHalfOpened', data: { since: iso(cmd.nowMs) } }];
  throw new DomainError(
    'CIRCUIT_OPEN',
    `provider '${state.id}' is not taking calls: ${verdict.reason}; next try in ${Math.ceil(verdict.retryAfterMs / 1000)} s`,
    {
      provider: state.id,
      retryable: true,
      retryAfterMs: verdict.retryAfterMs,
      ...(state.lastError ? { cause: state.lastError.message, rootCause: state.lastError } : {}),
    },
  );
};

/** A result came back: the transport works, so a probing circuit closes. */
export const recordInvocation = (cmd: RecordInvocation, state: RegisteredProviderState): Decision => {
  const { type: _type, ...data } = cmd;
  const invoked: ProviderEvent = { type: 'ToolInvoked', data };
  if (state.circuit.status !== 'half_open') return [invoked];
  return [invoked, { type: 'CircuitClosed', data: { after: 'probe_succeeded' } }];
};

/** A call failed without a result; transport failures count toward opening the circuit. */
export const recordInvocationFailure = (cmd: RecordInvocationFailure, state: RegisteredProviderState): Decision => {
  const { type: _type, nowMs, ...data } = cmd;
  const failed: ProviderEvent = { type: 'ToolInvocationFailed', data };
  if (!countsAsTransportFailure(cmd.errorCode)) return [failed];
  const breaker = state.registration.settings.circuitBreaker;
  const failures = state.circuit.failures + 1;
  const opens = state.circuit.status === 'half_open' || (state.circuit.status === 'closed' && failures >= breaker.failureThreshold);
  if (!opens) return [failed];
  const reason =
    state.circuit.status === 'half_open' ? `probe call failed: ${cmd.errorCode}` : `${failures} consecutive transport failures, last ${cmd.errorCode}`;
  return [failed, { type: 'CircuitOpened', data: { failures, probeAt: iso(nowMs + breaker.resetTimeoutS * 1000), reason } }];
};

/** A health check of a running provider: failures count toward degraded; a pass after failures is a recovery. */
export const recordHealthCheck = (cmd: RecordHealthCheck, state: RegisteredProviderState): Decision => {
  if (state.status !== 'ready') return [];
  if (cmd.ok) return state.healthFailures === 0 ? [] : [{ type: 'ProviderRecovered', data: { after: 'health_check', failures: state.healthFailures } }];
  const failures = state.healthFailures + 1;
  const failed: ProviderEvent = { type: 'HealthCheckFailed', data: { consecutiveFailures: failures, message: cmd.message } };
  if (failures < state.registration.settings.maxConsecutiveFailures) return [failed];
  const retryAt = iso(cmd.nowMs + startBackoffMs(failures, cmd.jitter));
  return [
    failed,
    { type: 'ProviderDegraded', data: { reason: `${failures} health checks failed in a row: ${cmd.message}`, consecutiveFailures: failures, retryAt } },
  ];
};
