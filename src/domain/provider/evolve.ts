import { assertNever } from '../shared/decider.js';
import type { ProviderEvent } from './events.js';
import type { ProviderFacts, ProviderState } from './state.js';

const facts = (state: ProviderState): ProviderFacts | null => {
  if (state.status === 'unregistered') return null;
  const { id, registration, discoveredTools, discoveredDigest, consecutiveFailures, lastError } = state;
  return { id, registration, discoveredTools, discoveredDigest, consecutiveFailures, lastError };
};

/** Folds one provider event into the state. Never throws; an event that does not apply leaves the state as it is. */
export const evolve = (state: ProviderState, event: ProviderEvent): ProviderState => {
  if (event.type === 'ProviderRegistered') {
    const { providerId, ...registration } = event.data;
    return { status: 'cold', id: providerId, registration, discoveredTools: null, discoveredDigest: null, consecutiveFailures: 0, lastError: null };
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
      return { ...f, status: 'initializing', attempt: event.data.attempt };
    case 'ProviderStarted':
      return { ...f, status: 'ready', pid: event.data.pid, consecutiveFailures: 0 };
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
      return state;
    case 'ToolInvocationFailed':
      return { ...state, lastError: { code: event.data.errorCode, message: event.data.message } } as ProviderState;
    default:
      return assertNever(event);
  }
};
