import type { DomainError } from '../../domain/shared/errors.js';
import { ERROR_CODES } from '../shared/error-codes.js';

/** The rich error a failed registry tool returns, as a CallToolResult with isError. */
export const errorResult = (error: DomainError, correlationId: string) => {
  const row = ERROR_CODES[error.code];
  const d = error.details;
  const hints = d.hints && d.hints.length > 0 ? [...d.hints] : [row.hint.replaceAll('{p}', d.provider ?? '<provider>')];
  const structured = {
    code: error.code,
    message: error.message,
    ...(d.provider !== undefined ? { provider: d.provider } : {}),
    ...(d.tool !== undefined ? { tool: d.tool } : {}),
    retryable: d.retryable ?? row.retryable,
    hints,
    correlation_id: correlationId,
    ...(d.retryAfterMs !== undefined ? { retry_after_ms: Math.ceil(d.retryAfterMs) } : {}),
    ...(d.exitCode !== undefined ? { exit_code: d.exitCode } : {}),
    ...(d.signal !== undefined && d.signal !== null ? { signal: d.signal } : {}),
    ...(d.stderrTail ? { stderr_tail: d.stderrTail } : {}),
  };
  const text = [`${error.code}: ${error.message}`, ...hints.map((h) => `Hint: ${h}`)];
  if (d.stderrTail) text.push(`stderr (last lines):\n${d.stderrTail}`);
  return {
    isError: true as const,
    content: [{ type: 'text' as const, text: text.join('\n') }],
    structuredContent: { error: structured },
  };
};
