import { assertNever } from '../shared/decider.js';
import { DomainError } from '../shared/errors.js';
import { startBackoffMs } from './backoff.js';
import type {
  ProviderCommand,
  RecordCrash,
  RecordStartFailed,
  RecordStarted,
  RecordToolsListed,
  RegisterProvider,
  RequestStart,
  StopProvider,
} from './commands.js';
import { admitCall, recordHealthCheck, recordInvocation, recordInvocationFailure } from './decide-calls.js';
import type { ProviderEvent } from './events.js';
import { isRunning, type ProviderState, type RegisteredProviderState } from './state.js';

type Decision = readonly ProviderEvent[];
const nothing: Decision = [];

const registered = (state: ProviderState): RegisteredProviderState => {
  if (state.status === 'unregistered') throw new DomainError('PROVIDER_NOT_FOUND', 'this provider is not registered (no longer in the configuration?)');
  return state;
};

const register = (cmd: RegisterProvider, state: ProviderState): Decision => {
  const data = { providerId: cmd.providerId, ...cmd.registration };
  if (state.status === 'unregistered') return [{ type: 'ProviderRegistered', data }];
  if (state.registration.configDigest === cmd.registration.configDigest) return nothing;
  return [{ type: 'ProviderConfigChanged', data }];
};

const requestStart = (cmd: RequestStart, state: RegisteredProviderState): Decision => {
  switch (state.status) {
    case 'initializing':
    case 'ready':
      return nothing;
    case 'degraded': {
      const waitMs = Date.parse(state.retryAt) - cmd.nowMs;
      if (waitMs > 0) {
        const after = state.degradedBy === 'health_checks' ? 'failed health checks' : 'failed starts';
        throw new DomainError(
          'PROVIDER_DEGRADED',
          `provider '${state.id}' is degraded after ${state.consecutiveFailures} ${after}; next start allowed in ${Math.ceil(waitMs / 1000)} s`,
          {
            provider: state.id,
            retryable: true,
            retryAfterMs: waitMs,
            ...(state.lastError ? { cause: state.lastError.message, rootCause: state.lastError } : {}),
          },
        );
      }
      return [{ type: 'ProviderStartRequested', data: { reason: cmd.reason, attempt: state.consecutiveFailures + 1 } }];
    }
    case 'cold':
    case 'dead':
      return [{ type: 'ProviderStartRequested', data: { reason: cmd.reason, attempt: state.consecutiveFailures + 1 } }];
    default:
      return assertNever(state);
  }
};

const recordStarted = (cmd: RecordStarted, state: RegisteredProviderState): Decision => {
  if (state.status !== 'initializing') return nothing;
  const events: ProviderEvent[] = [
    { type: 'ProviderStarted', data: { pid: cmd.pid, protocolVersion: cmd.protocolVersion, serverInfo: cmd.serverInfo, startupMs: cmd.startupMs } },
  ];
  if (state.discoveredDigest !== cmd.toolsDigest)
    events.push({ type: 'ToolsDiscovered', data: { tools: cmd.tools, digest: cmd.toolsDigest, count: cmd.toolsCount } });
  if (state.recovering) events.push({ type: 'ProviderRecovered', data: { after: 'restart', failures: state.consecutiveFailures } });
  return events;
};

/** A running provider's tools listed again: ToolsDiscovered when they differ from the recorded ones. */
const recordToolsListed = (cmd: RecordToolsListed, state: RegisteredProviderState): Decision => {
  if (state.status !== 'ready') return nothing;
  if (state.discoveredDigest === cmd.toolsDigest) return nothing;
  return [{ type: 'ToolsDiscovered', data: { tools: cmd.tools, digest: cmd.toolsDigest, count: cmd.toolsCount } }];
};

const recordStartFailed = (cmd: RecordStartFailed, state: RegisteredProviderState): Decision => {
  if (state.status !== 'initializing') return nothing;
  const failures = state.consecutiveFailures + 1;
  const failed: ProviderEvent = {
    type: 'ProviderStartFailed',
    data: { message: cmd.message, exitCode: cmd.exitCode, signal: cmd.signal, stderrTail: cmd.stderrTail, hint: cmd.hint, consecutiveFailures: failures },
  };
  if (failures < state.registration.settings.maxConsecutiveFailures) return [failed];
  const retryAt = new Date(cmd.nowMs + startBackoffMs(failures, cmd.jitter)).toISOString();
  return [failed, { type: 'ProviderDegraded', data: { reason: cmd.message, consecutiveFailures: failures, retryAt } }];
};

/**
 * An idle stop applies to a ready provider only. A hangar restart closes only what was running when the
 * hangar that ran it ended: a degraded provider keeps its failure count and retry time, a dead one stays
 * dead. A user's or a shutdown's stop applies to any provider that is not cold (resetting a degraded
 * provider's failure count).
 */
const stop = (cmd: StopProvider, state: RegisteredProviderState): Decision => {
  if (state.status === 'cold') return nothing;
  if (cmd.reason === 'idle' && state.status !== 'ready') return nothing;
  if (cmd.reason === 'hangar_restart' && !isRunning(state)) return nothing;
  return [{ type: 'ProviderStopped', data: { reason: cmd.reason } }];
};

const recordCrash = (cmd: RecordCrash, state: RegisteredProviderState): Decision => {
  if (state.status !== 'ready') return nothing;
  const { exitCode, signal, stderrTail, inFlightCalls } = cmd;
  return [{ type: 'ProviderCrashed', data: { exitCode, signal, stderrTail, inFlightCalls } }];
};

/** Decides what a command on a provider means, given its current state. Throws DomainError for refusals. */
export const decide = (command: ProviderCommand, state: ProviderState): Decision => {
  if (command.type === 'RegisterProvider') return register(command, state);
  if (command.type === 'DeregisterProvider') {
    return state.status === 'unregistered' ? nothing : [{ type: 'ProviderDeregistered', data: { reason: 'removed_from_config' } }];
  }
  const current = registered(state);
  switch (command.type) {
    case 'RequestStart':
      return requestStart(command, current);
    case 'RecordStarted':
      return recordStarted(command, current);
    case 'RecordStartFailed':
      return recordStartFailed(command, current);
    case 'RecordInvocation':
      return recordInvocation(command, current);
    case 'RecordInvocationFailure':
      return recordInvocationFailure(command, current);
    case 'AdmitCall':
      return admitCall(command, current);
    case 'RecordHealthCheck':
      return recordHealthCheck(command, current);
    case 'StopProvider':
      return stop(command, current);
    case 'RecordCrash':
      return recordCrash(command, current);
    case 'RecordToolsListed':
      return recordToolsListed(command, current);
    default:
      return assertNever(command);
  }
};
