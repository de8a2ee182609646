import { DomainError, type ErrorCode } from '../../domain/shared/errors.js';
import { isTransient, retryDelayMs } from '../../domain/provider/retry-policy.js';
import type { RetryConfig } from '../config.js';
import { toDomainError } from '../errors.js';
import type { Clock, IdGenerator, Scheduler } from '../ports/clock.js';
import type { ToolCallResult } from '../ports/provider-runtime.js';
import type { InvokeTool } from './invoke-tool.js';

/** One failed attempt that was retried. */
export interface RetryRecord {
  readonly attempt: number;
  readonly errorCode: ErrorCode;
  readonly message: string;
  readonly delayMs: number;
}

/** What a retrying call reports about its attempts. */
export interface RetryMetadata {
  readonly correlationId: string;
  readonly attempts: number;
  readonly retries: readonly RetryRecord[];
  readonly totalTimeMs: number;
}

export interface InvokeWithRetry extends InvokeTool {
  /** Retries after the first attempt; the config's `retry.max_attempts` caps the total attempts. */
  readonly maxRetries: number;
  /** false: never retry. */
  readonly retryOnError: boolean;
  /** Told before each retry's wait. */
  readonly onRetry?: ((record: RetryRecord) => void) | undefined;
}

/** A failure after every attempt, with the metadata of the attempts. */
export class RetriesExhausted extends DomainError {
  constructor(
    readonly last: DomainError,
    readonly metadata: RetryMetadata,
  ) {
    super(last.code, last.message, last.details);
  }
}

export interface InvokeWithRetryDeps {
  readonly invoke: (cmd: InvokeTool) => Promise<ToolCallResult>;
  readonly retry: RetryConfig;
  readonly support: { readonly clock: Clock; readonly scheduler: Scheduler; readonly ids: IdGenerator };
}

/**
 * Invokes a tool, retrying transient failures (by error code) with exponential backoff and jitter. A
 * tool's own error result is a result, never retried. Resolves to the result and the attempts'
 * metadata; rejects with RetriesExhausted carrying the last error and the metadata.
 */
export const invokeWithRetry =
  ({ invoke, retry, support }: InvokeWithRetryDeps) =>
  async (cmd: InvokeWithRetry): Promise<{ result: ToolCallResult; metadata: RetryMetadata }> => {
    const started = support.clock.now();
    const retries: RetryRecord[] = [];
    const maxAttempts = cmd.retryOnError ? Math.max(1, Math.min(cmd.maxRetries + 1, retry.maxAttempts)) : 1;
    const metadata = (attempts: number): RetryMetadata => ({ correlationId: cmd.correlationId, attempts, retries, totalTimeMs: support.clock.now() - started });
    for (let attempt = 1; ; attempt++) {
      try {
        return { result: await invoke(cmd), metadata: metadata(attempt) };
      } catch (thrown) {
        const error = toDomainError(thrown);
        if (attempt >= maxAttempts || !isTransient(error.code) || cmd.signal?.aborted) throw new RetriesExhausted(error, metadata(attempt));
        const record: RetryRecord = { attempt, errorCode: error.code, message: error.message, delayMs: retryDelayMs(attempt, retry, support.ids.random()) };
        retries.push(record);
        cmd.onRetry?.(record);
        try {
          await support.scheduler.delay(record.delayMs, cmd.signal);
        } catch {
          throw new RetriesExhausted(new DomainError('CANCELLED', 'the call was cancelled while waiting to retry', { retryable: false }), metadata(attempt));
        }
      }
    }
  };
