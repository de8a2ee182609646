import type { ErrorCode } from '../shared/errors.js';
import type { ProviderId } from '../shared/ids.js';
import type { Circuit } from './circuit-breaker.js';
import type { ProviderRegistration, ToolDefinition } from './tool-definition.js';

/** What the last failure was: an error a call got, or a failed health check. */
export type FailureCode = ErrorCode | 'HEALTH_CHECK_FAILED';

/** The last failure recorded for a provider, for details and hints. */
export interface LastError {
  readonly code: FailureCode;
  readonly message: string;
  /** What to do about it, in the words of the config (a failed start's hint). */
  readonly hint?: string;
  /** The last lines the process wrote to stderr (a failed start's). */
  readonly stderrTail?: string;
}

/** What degraded a provider: starts that kept failing, or health checks of its running process. */
export type DegradedBy = 'start_failures' | 'health_checks';

/** Facts every registered provider carries, whatever its status. */
export interface ProviderFacts {
  readonly id: ProviderId;
  readonly registration: ProviderRegistration;
  /** Tools listed by the provider itself at its last start; null until it has started once. */
  readonly discoveredTools: readonly ToolDefinition[] | null;
  readonly discoveredDigest: string | null;
  /** Start failures in a row; reset by a successful start or a user's stop. */
  readonly consecutiveFailures: number;
  readonly lastError: LastError | null;
  /** Failed health checks in a row; reset by a passing check or a start. */
  readonly healthFailures: number;
  readonly circuit: Circuit;
}

/**
 * The provider state machine: `cold` → `initializing` → `ready`; `ready` → `dead` (crash) | `cold` (stop);
 * a failed start goes back to `cold`, or to `degraded` once failures reach the threshold; failed health
 * checks take `ready` to `degraded` the same way; `degraded` and
 * `dead` → `initializing` (degraded only after `retryAt`) | `cold` (stop).
 */
export type ProviderState =
  | { readonly status: 'unregistered' }
  | (ProviderFacts & { readonly status: 'cold' })
  | (ProviderFacts & { readonly status: 'initializing'; readonly attempt: number; readonly recovering: boolean })
  | (ProviderFacts & { readonly status: 'ready'; readonly pid: number | null })
  | (ProviderFacts & { readonly status: 'degraded'; readonly retryAt: string; readonly degradedBy: DegradedBy })
  | (ProviderFacts & { readonly status: 'dead' });

export type ProviderStatus = ProviderState['status'];
export type RegisteredProviderState = Exclude<ProviderState, { status: 'unregistered' }>;

/**
 * Whether the provider's tools are known: listed by the provider at a start, or predefined in the config.
 * A provider that has never started and has no predefined tools has tools nobody knows yet (not zero).
 */
export const toolsKnown = (state: RegisteredProviderState): boolean => state.discoveredTools !== null || state.registration.predefinedTools.length > 0;

/**
 * The failed start a provider is still under: its last start failed (cold, waiting for the next call) or
 * its starts kept failing (degraded). Null once a start succeeds or a user's stop clears the count.
 */
export const pendingStartFailure = (state: RegisteredProviderState): LastError | null =>
  (state.status === 'cold' || state.status === 'degraded') && state.consecutiveFailures > 0 && state.lastError?.code === 'PROVIDER_START_FAILED'
    ? state.lastError
    : null;

/** The tools a caller sees: discovered ones when known, else the predefined ones from config. */
export const knownTools = (state: RegisteredProviderState): readonly ToolDefinition[] => state.discoveredTools ?? state.registration.predefinedTools;

/** Whether the provider has, or is getting, a process (or other runtime) that a stop would end. */
export const isRunning = (state: ProviderState): boolean => state.status === 'ready' || state.status === 'initializing';
