import type { ErrorCode } from '../shared/errors.js';

/**
 * The circuit breaker of one provider, as a pure policy.
 * `closed` counts consecutive transport failures; at `failureThreshold` it opens. `open` refuses calls
 * until `probeAt`; then one call is admitted as a probe (`half_open`). The probe's success closes the
 * circuit, its failure opens it again. A probe that ends without a verdict (cancelled, refused before
 * reaching the provider) leaves `half_open`; after another `resetTimeoutS` a new probe is admitted.
 */
export type Circuit =
  | { readonly status: 'closed'; readonly failures: number }
  | { readonly status: 'open'; readonly failures: number; readonly probeAt: string }
  | { readonly status: 'half_open'; readonly failures: number; readonly since: string };

export const closedCircuit: Circuit = { status: 'closed', failures: 0 };

/**
 * Error codes that say the provider failed: they count toward opening the circuit. Not
 * PROVIDER_UNAVAILABLE: that is what calls in flight get when the hangar itself stops the provider.
 */
const TRANSPORT_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['TIMEOUT', 'PROVIDER_CRASHED', 'PROVIDER_START_FAILED']);

/** Whether a failure with this code counts toward opening the circuit (a tool's own isError never does). */
export const countsAsTransportFailure = (errorCode: ErrorCode): boolean => TRANSPORT_FAILURES.has(errorCode);

/** What the circuit says about a new call at `nowMs`. */
export type Admission =
  { readonly verdict: 'admit' } | { readonly verdict: 'probe' } | { readonly verdict: 'refuse'; readonly retryAfterMs: number; readonly reason: string };

export const admission = (circuit: Circuit, nowMs: number, resetTimeoutMs: number): Admission => {
  switch (circuit.status) {
    case 'closed':
      return { verdict: 'admit' };
    case 'open': {
      const waitMs = Date.parse(circuit.probeAt) - nowMs;
      return waitMs > 0
        ? { verdict: 'refuse', retryAfterMs: waitMs, reason: `the circuit is open after ${circuit.failures} consecutive failures` }
        : { verdict: 'probe' };
    }
    case 'half_open': {
      const waitMs = Date.parse(circuit.since) + resetTimeoutMs - nowMs;
      return waitMs > 0 ? { verdict: 'refuse', retryAfterMs: waitMs, reason: 'the circuit is half-open and a probe call is under way' } : { verdict: 'probe' };
    }
  }
};
