import type { ErrorCode } from '../../domain/shared/errors.js';

interface CodeRow {
  /** Whether trying the same call again later can succeed. */
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly exitCode: number;
  /** Hint used when the error carries none; `{p}` is replaced by the provider id. */
  readonly hint: string;
}

/** The one table from error codes to MCP results, HTTP statuses and CLI exit codes. */
export const ERROR_CODES: Readonly<Record<ErrorCode, CodeRow>> = {
  PROVIDER_NOT_FOUND: { retryable: false, httpStatus: 404, exitCode: 3, hint: 'Call registry_list() to see the registered providers' },
  TOOL_NOT_FOUND: { retryable: false, httpStatus: 404, exitCode: 3, hint: "Call registry_tools('{p}') to see its tools" },
  INVALID_ARGUMENTS: { retryable: false, httpStatus: 400, exitCode: 2, hint: "Call registry_tools('{p}') for the tool's inputSchema" },
  PROVIDER_START_FAILED: { retryable: true, httpStatus: 502, exitCode: 4, hint: "Call registry_details('{p}') for its last error and stderr" },
  PROVIDER_DEGRADED: { retryable: true, httpStatus: 503, exitCode: 4, hint: "Wait for the retry time, or call registry_details('{p}')" },
  CIRCUIT_OPEN: { retryable: true, httpStatus: 503, exitCode: 4, hint: "Wait for the circuit's probe, or call registry_details('{p}')" },
  TIMEOUT: { retryable: true, httpStatus: 504, exitCode: 4, hint: 'Retry with a larger timeout, or check the provider with registry_details' },
  PROVIDER_CRASHED: { retryable: true, httpStatus: 502, exitCode: 4, hint: "The next call restarts it; registry_details('{p}') shows its stderr" },
  PROVIDER_UNAVAILABLE: { retryable: true, httpStatus: 503, exitCode: 4, hint: 'Retry the call; the provider will be started again' },
  RATE_LIMITED: { retryable: true, httpStatus: 429, exitCode: 4, hint: 'Wait before calling again' },
  RESULT_TOO_LARGE: {
    retryable: false,
    httpStatus: 502,
    exitCode: 4,
    hint: 'Ask for less (a narrower query, a smaller page), or raise limits.max_result_bytes in the config',
  },
  CANCELLED: { retryable: false, httpStatus: 499, exitCode: 130, hint: 'The call was cancelled by the client' },
  CONCURRENCY_CONFLICT: { retryable: true, httpStatus: 409, exitCode: 4, hint: 'Retry the call' },
  INTERNAL_ERROR: { retryable: false, httpStatus: 500, exitCode: 1, hint: 'This is a bug in mcp-hangar: the logs on stderr have details' },
};
