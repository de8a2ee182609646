import { assertNever } from '../shared/decider.js';
import { closedCircuit, countsAsTransportFailure } from './circuit-breaker.js';
import type { ProviderEvent } from './events.js';
import type { ProviderFacts, ProviderState } from './state.js';

const facts = (state: ProviderState): ProviderFacts | null => {
  if (state.status === 'unregistered') return null;
  const { id, registration, discoveredTools, discoveredDigest, consecutiveFailures, lastError, healthFailures, circuit } = state;
  return { id, registration, discoveredTools, discoveredDigest, consecutiveFailures, lastError, healthFailures, circuit };
};

/** Folds one provider event into the state. Never throws; an event that does not apply leaves the state as it is. */
export const evolve = (state: ProviderState, event: ProviderEvent): ProviderState => {
  if (event.type === 'ProviderRegistered') {
    const { providerId, ...registration } = event.data;
    return {
      status: 'cold',
      id: providerId,
      registration,
      discoveredTools: null,
      discoveredDigest: null,
      consecutiveFailures: 0,
      lastError: null,
      healthFailures: 0,
      circuit: closedCircuit,
    };
  }
  const f = facts(state);
  if (f === null) return state;
  switch (event.type) {
    case 'ProviderConfigChanged': {
      const { providerId: _id, ...registration } = event.data;
      return { ...state, registration } as ProviderState;
    }
    case 'ProviderDeregistered':
      return { status: 'unregistered' };
    case 'ProviderStartRequested':
      return { ...f, status: 'initializing', attempt: event.data.attempt, recovering: state.status === 'degraded' };
    case 'ProviderStarted':
      return { ...f, status: 'ready', pid: event.data.pid, consecutiveFailures: 0, healthFailures: 0 };
    case 'ToolsDiscovered':
      return { ...state, discoveredTools: event.data.tools, discoveredDigest: event.data.digest } as ProviderState;
    case 'ProviderStartFailed':
      return {
        ...f,
        status: 'cold',
        consecutiveFailures: event.data.consecutiveFailures,
        lastError: { code: 'PROVIDER_START_FAILED', message: event.data.message },
      };
    case 'ProviderDegraded':
      return { ...f, status: 'degraded', consecutiveFailures: event.data.consecutiveFailures, retryAt: event.data.retryAt };
    case 'ProviderStopped':
      return { ...f, status: 'cold', consecutiveFailures: state.status === 'degraded' ? 0 : f.consecutiveFailures };
    case 'ProviderCrashed':
      return {
        ...f,
        status: 'dead',
        lastError: { code: 'PROVIDER_CRASHED', message: `exited with ${event.data.signal ?? `code ${event.data.exitCode}`}` },
      };
    case 'ToolInvoked':
      return f.circuit.status === 'closed' && f.circuit.failures > 0 ? ({ ...state, circuit: closedCircuit } as ProviderState) : state;
    case 'ToolInvocationFailed': {
      const counts = countsAsTransportFailure(event.data.errorCode) && f.circuit.status === 'closed';
      const circuit = counts ? { status: 'closed' as const, failures: f.circuit.failures + 1 } : f.circuit;
      return { ...state, circuit, lastError: { code: event.data.errorCode, message: event.data.message } } as ProviderState;
    }
    case 'HealthCheckFailed':
      return {
        ...state,
        healthFailures: event.data.consecutiveFailures,
        lastError: { code: 'HEALTH_CHECK_FAILED', message: event.data.message },
      } as ProviderState;
    case 'ProviderRecovered':
      return { ...state, healthFailures: 0 } as ProviderState;
    case 'CircuitOpened':
      return { ...state, circuit: { status: 'open', failures: event.data.failures, probeAt: event.data.probeAt } } as ProviderState;
    case 'CircuitHalfOpened':
      return { ...state, circuit: { status: 'half_open', failures: f.circuit.failures, since: event.data.since } } as ProviderState;
    case 'CircuitClosed':
      return { ...state, circuit: closedCircuit } as ProviderState;
    default:
      return assertNever(event);
  }
};
