import { z } from 'zod';
import { RetriesExhausted } from '../../../application/commands/invoke-with-retry.js';
import { toDomainError } from '../../../application/errors.js';
import { retryMetadataDto } from '../../shared/dto.js';
import { errorResult, reasonOf } from '../error-result.js';
import { StageProgress } from '../progress.js';
import { providerIdSchema, timeoutSchema, toolArgumentsSchema, toolNameSchema } from '../schemas.js';
import { defineTool, type ToolContext } from '../registry-tool.js';

const input = z
  .object({
    provider: providerIdSchema,
    tool: toolNameSchema,
    arguments: toolArgumentsSchema,
    timeout: timeoutSchema,
    max_retries: z.number().int().min(0).max(10).default(3).describe('Retries after the first attempt (the config retry.max_attempts caps total attempts)'),
    retry_on_error: z.boolean().default(true).describe('false: never retry'),
    correlation_id: z.string().min(1).max(128).optional().describe('Your id for this call, recorded with every event it causes'),
  })
  .strict();

type Input = z.output<typeof input>;

const TOOL_ERROR_HINT =
  "The tool itself answered with an error (isError): retrying the same call will not help; read the tool's message and change the arguments, or use another tool";

/** Shared by registry_invoke_ex and registry_invoke_stream; `progress` adds stage notifications. */
const run = async (args: Input, context: ToolContext, withStages: boolean) => {
  const { app, signal } = context;
  const correlationId = args.correlation_id ?? context.correlationId;
  const reporter = withStages && context.progress ? new StageProgress(context.progress) : undefined;
  const started = Date.now();
  try {
    const { result, metadata } = await app.invokeWithRetry({
      provider: args.provider,
      tool: args.tool,
      arguments: args.arguments,
      timeoutMs: args.timeout === undefined ? undefined : args.timeout * 1000,
      correlationId,
      caller: context.caller,
      signal,
      maxRetries: args.max_retries,
      retryOnError: args.retry_on_error,
      onStage: reporter ? (stage, text) => void reporter.stage(stage, text) : undefined,
      onProgress: reporter ? (update) => reporter.provider(update) : undefined,
      onRetry: reporter ? (r) => void reporter.stage('retrying', `Attempt ${r.attempt} failed (${r.errorCode}); retrying in ${r.delayMs} ms`) : undefined,
    });
    await reporter?.stage('complete', `Operation completed in ${Date.now() - started} ms`);
    // The tool's own error result is passed on unchanged; the metadata beside it says that retrying will not help.
    const toolError = result.isError === true ? { final_error_reason: 'tool_error', recovery_hints: [TOOL_ERROR_HINT] } : {};
    return { ...result, _retry_metadata: { ...retryMetadataDto(metadata), ...toolError } };
  } catch (thrown) {
    const error = toDomainError(thrown);
    await reporter?.stage('failed', `${error.code}: ${error.message}`);
    const failed = errorResult(error, correlationId);
    const metadata = thrown instanceof RetriesExhausted ? retryMetadataDto(thrown.metadata) : undefined;
    return {
      ...failed,
      structuredContent: {
        ...failed.structuredContent,
        final_error_reason: reasonOf(error),
        recovery_hints: failed.structuredContent.error.hints,
        ...(metadata ? { _retry_metadata: metadata } : {}),
      },
      ...(metadata ? { _retry_metadata: metadata } : {}),
    };
  }
};

export const registryInvokeEx = defineTool({
  name: 'registry_invoke_ex',
  title: 'Call a provider tool with retries',
  description:
    "Like registry_invoke, but retries transient failures (timeouts, crashes, failed starts) with exponential backoff, and reports the attempts in _retry_metadata (correlation_id, attempts, retries, total_time_ms). A tool's own error result is never retried: it comes back unchanged, and _retry_metadata adds final_error_reason tool_error and a hint. On failure the result adds final_error_reason (the root cause first, e.g. the failed start behind a degraded provider) and recovery_hints. Prefer it for calls that must succeed.",
  inputSchema: input,
  annotations: { readOnlyHint: false, openWorldHint: true },
  handler: (args, context) => run(args, context, false),
});

export const registryInvokeStream = defineTool({
  name: 'registry_invoke_stream',
  title: 'Call a provider tool with live progress',
  description:
    "Like registry_invoke_ex, and sends progress notifications while it works (when the request carries a progressToken): [cold_start], [launching], [ready], [executing] (with the provider's own progress), [retrying], then [complete] or [failed]. Use it for slow tools or cold providers.",
  inputSchema: input,
  annotations: { readOnlyHint: false, openWorldHint: true },
  handler: (args, context) => run(args, context, true),
});
