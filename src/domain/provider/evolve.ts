import { assertNever } from '../shared/decider.js';
import { closedCircuit, countsAsTransportFailure } from './circuit-breaker.js';
import { isProviderFailure } from './blame.js';
import type { ProviderEvent, ProviderRegistered } from './events.js';
import type { ProviderFacts, ProviderState, RegisteredProviderState } from './state.js';

/** The facts a registered provider keeps whatever its status, without the status-specific fields. */
const factsOf = (state: RegisteredProviderState): ProviderFacts => {
  const { id, registration, discoveredTools, discoveredDigest, consecutiveFailures, lastError, healthFailures, circuit } = state;
  return { id, registration, discoveredTools, discoveredDigest, consecutiveFailures, lastError, healthFailures, circuit };
};

const registered = ({ providerId, ...registration }: ProviderRegistered['data']): ProviderState => ({
  status: 'cold',
  id: providerId,
  registration,
  discoveredTools: null,
  discoveredDigest: null,
  consecutiveFailures: 0,
  lastError: null,
  healthFailures: 0,
  circuit: closedCircuit,
});

/**
 * The version of this fold: snapshots of provider state are saved under it and used only by a build with
 * the same version. Bump it with any change to `evolve` (or to what the state keeps) that would fold the
 * same events into a different state; the next boot then folds the events again and saves afresh.
 */
export const PROVIDER_FOLD_VERSION = 1;

/** Folds one provider event into the state. Never throws; an event that does not apply leaves the state as it is. */
export const evolve = (state: ProviderState, event: ProviderEvent): ProviderState => {
  if (event.type === 'ProviderRegistered') return registered(event.data);
  if (state.status === 'unregistered') return state;
  switch (event.type) {
    case 'ProviderConfigChanged': {
      const { providerId: _id, ...registration } = event.data;
      return { ...state, registration };
    }
    case 'ProviderDeregistered':
      return { status: 'unregistered' };
    case 'ProviderStartRequested':
      return { ...factsOf(state), status: 'initializing', attempt: event.data.attempt, recovering: state.status === 'degraded' };
    case 'ProviderStarted':
      return { ...factsOf(state), status: 'ready', pid: event.data.pid, consecutiveFailures: 0, healthFailures: 0 };
    case 'ToolsDiscovered': {
      // A list recorded by digest and count only is not known here: the provider lists it when it runs.
      const complete = event.data.tools.length === event.data.count;
      return { ...state, discoveredTools: complete ? event.data.tools : null, discoveredDigest: event.data.digest };
    }
    case 'ProviderStartFailed':
      return {
        ...factsOf(state),
        status: 'cold',
        consecutiveFailures: event.data.consecutiveFailures,
        lastError: {
          code: 'PROVIDER_START_FAILED',
          message: event.data.message,
          ...(event.data.hint ? { hint: event.data.hint } : {}),
          ...(event.data.stderrTail ? { stderrTail: event.data.stderrTail } : {}),
        },
      };
    case 'ProviderDegraded':
      return {
        ...factsOf(state),
        status: 'degraded',
        consecutiveFailures: event.data.consecutiveFailures,
        retryAt: event.data.retryAt,
        // Health checks run only against a ready provider; a failed start leaves it cold first.
        degradedBy: state.status === 'ready' ? 'health_checks' : 'start_failures',
      };
    case 'ProviderStopped':
      return { ...factsOf(state), status: 'cold', consecutiveFailures: state.status === 'degraded' ? 0 : state.consecutiveFailures };
    case 'ProviderCrashed':
      return {
        ...factsOf(state),
        status: 'dead',
        lastError: { code: 'PROVIDER_CRASHED', message: `exited with ${event.data.signal ?? `code ${event.data.exitCode}`}` },
      };
    case 'ToolInvoked':
      return state.circuit.status === 'closed' && state.circuit.failures > 0 ? { ...state, circuit: closedCircuit } : state;
    case 'ToolInvocationFailed': {
      const counts = countsAsTransportFailure(event.data.errorCode) && state.circuit.status === 'closed';
      const circuit = counts ? { status: 'closed' as const, failures: state.circuit.failures + 1 } : state.circuit;
      // A caller's mistake or a refusal is the record of a call, not news about the provider; a failed start
      // was already recorded as ProviderStartFailed, with its hint and stderr, which the call's failure keeps.
      const code = event.data.errorCode;
      const keeps = !isProviderFailure(code) || (code === 'PROVIDER_START_FAILED' && state.lastError?.code === 'PROVIDER_START_FAILED');
      return { ...state, circuit, lastError: keeps ? state.lastError : { code, message: event.data.message } };
    }
    case 'HealthCheckFailed':
      return { ...state, healthFailures: event.data.consecutiveFailures, lastError: { code: 'HEALTH_CHECK_FAILED', message: event.data.message } };
    case 'ProviderRecovered':
      return { ...state, healthFailures: 0 };
    case 'CircuitOpened':
      return { ...state, circuit: { status: 'open', failures: event.data.failures, probeAt: event.data.probeAt } };
    case 'CircuitHalfOpened':
      return { ...state, circuit: { status: 'half_open', failures: state.circuit.failures, since: event.data.since } };
    case 'CircuitClosed':
      return { ...state, circuit: closedCircuit };
    default:
      return assertNever(event);
  }
};
