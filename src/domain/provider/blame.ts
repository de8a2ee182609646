import type { ErrorCode } from '../shared/errors.js';

/**
 * Whose failure a failed call was. The caller's mistakes (a tool the provider does not have, arguments
 * that do not fit — whether the hangar found them wrong before calling or the provider answered
 * "invalid params" — a cancelled call, a call above the rate limit) and the hangar's refusals (a
 * degraded provider, an open circuit, a conflict in the event store, a provider the hangar stopped while
 * the call was under way) say nothing new about the provider: they are recorded for audit
 * (`ToolInvocationFailed`) but never become its `lastError`, nor count toward its circuit. What the
 * provider did (timeouts, crashes, failed starts, results over the size limit, errors it answered) does.
 */
const PROVIDER_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TIMEOUT',
  'PROVIDER_CRASHED',
  'PROVIDER_START_FAILED',
  'RESULT_TOO_LARGE',
  'INTERNAL_ERROR',
]);

/** Whether a failed call with this code is the provider's failure (and so its last error). */
export const isProviderFailure = (errorCode: ErrorCode): boolean => PROVIDER_FAILURES.has(errorCode);
