import { recordedArguments, redactArguments } from '../../domain/audit/redact-arguments.js';
import type { ArgumentsRecord } from '../../domain/provider/events.js';
import { DomainError } from '../../domain/shared/errors.js';
import { formatBytes, utf8Bytes } from '../../domain/shared/utf8.js';
import { knownTools } from '../../domain/provider/state.js';
import type { ToolDefinition } from '../../domain/provider/tool-definition.js';
import type { ProviderCommands } from '../aggregates.js';
import type { CallRecording } from '../config.js';
import { toDomainError, toolNotFound } from '../errors.js';
import type { LiveProviders, LiveSession } from '../live-providers.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';
import type { ArgumentsValidator } from '../ports/arguments-validator.js';
import type { CancelSignal } from '../ports/cancel-signal.js';
import type { Clock, Hasher } from '../ports/clock.js';
import { jsonTextOf, type ProgressUpdate, type ToolCallResult } from '../ports/provider-runtime.js';
import type { StartProvider } from './start-provider.js';

/** The moments of a call that a caller may want to hear about (progress notifications). */
export type InvokeStage = 'cold_start' | 'launching' | 'ready' | 'executing';

export interface InvokeTool {
  readonly provider: string;
  readonly tool: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Per-call timeout; default the provider's `timeout_s`. */
  readonly timeoutMs?: number | undefined;
  readonly correlationId: string;
  /** Who asked, recorded with the call's events (an HTTP caller's identity; absent over stdio). */
  readonly caller?: string | undefined;
  readonly signal?: CancelSignal | undefined;
  /** Progress the provider reports for this call. */
  readonly onProgress?: ((update: ProgressUpdate) => void) | undefined;
  /** Told as the call passes each stage. */
  readonly onStage?: ((stage: InvokeStage, detail: string) => void) | undefined;
}

export interface InvokeToolDeps {
  readonly catalog: ProviderCatalog;
  readonly providers: ProviderCommands;
  /** The running providers: a warm call takes its session from here without waiting for anything. */
  readonly live: LiveProviders;
  readonly start: StartProvider;
  readonly validator: ArgumentsValidator;
  readonly support: { readonly clock: Clock; readonly hasher: Hasher };
  /** A result larger than this (UTF-8 bytes of its JSON) is refused with RESULT_TOO_LARGE. */
  readonly maxResultBytes: number;
  /** What the call's events keep of its arguments; read at each call, so a reload changes it in place. */
  readonly audit: CallRecording;
}

const findTool = (tools: readonly ToolDefinition[], name: string) => tools.find((t) => t.name === name);

/**
 * What a call's events keep of its arguments (`audit.record_arguments`): under `digest` the digest of their
 * JSON, as always; under `full` the redacted arguments and the digest of that redacted JSON — never of the
 * arguments as sent, which would let anyone holding the record test guesses of a redacted value against
 * it (when nothing is redacted the two are the same); under `none` nothing.
 */
const argumentsRecord = (args: unknown, audit: CallRecording, hasher: Hasher): ArgumentsRecord => {
  switch (audit.recordArguments) {
    case 'digest':
      return { argumentsDigest: hasher.digest(args) };
    case 'full': {
      const json = redactArguments(args);
      return { argumentsDigest: hasher.digestJson(json), arguments: recordedArguments(json, audit.maxArgumentBytes) };
    }
    case 'none':
      return {};
  }
};

/**
 * Calls a tool on a provider once: checks the tool and its arguments (before any process starts,
 * whenever the tools are known), asks the circuit breaker, starts the provider when it is cold, calls,
 * and records the outcome — ToolInvoked for every result the tool returned (isError included),
 * ToolInvocationFailed for every failure without one (perhaps opening the circuit).
 */
export const invokeTool = (deps: InvokeToolDeps) => {
  const { catalog, providers, live, start, validator, support, maxResultBytes, audit } = deps;

  const check = (id: string, tools: readonly ToolDefinition[], cmd: InvokeTool): void => {
    const tool = findTool(tools, cmd.tool);
    if (!tool)
      throw toolNotFound(
        id,
        cmd.tool,
        tools.map((t) => t.name),
      );
    const problems = validator.validate(tool.inputSchema, cmd.arguments, `${id}.${cmd.tool}`);
    if (problems.length > 0) {
      throw new DomainError('INVALID_ARGUMENTS', `arguments do not fit ${id}.${cmd.tool}: ${problems.join('; ')}`, {
        provider: id,
        tool: cmd.tool,
        retryable: false,
      });
    }
  };

  return async (cmd: InvokeTool): Promise<ToolCallResult> => {
    const entry = catalog.require(cmd.provider);
    const { id } = entry;
    const { tool, correlationId } = cmd;
    const started = support.clock.now();
    const recorded = argumentsRecord(cmd.arguments, audit, support.hasher);
    const context = cmd.caller === undefined ? { correlationId } : { correlationId, caller: cmd.caller };
    const fail = async (thrown: unknown): Promise<never> => {
      const { code: errorCode, message, details } = toDomainError(thrown);
      const nowMs = support.clock.now();
      await providers.execute(
        id,
        { type: 'RecordInvocationFailure', tool, correlationId, durationMs: nowMs - started, errorCode, message, nowMs, ...recorded },
        context,
      );
      throw new DomainError(errorCode, message, { provider: id, tool, ...details });
    };

    // Tools a provider listed itself are authoritative; predefined ones from the config may be incomplete,
    // so a tool missing from those is looked up again once the provider runs.
    const discovered = entry.state.discoveredTools;
    let session: LiveSession;
    try {
      if (discovered) check(id, discovered, cmd);
      else if (findTool(knownTools(entry.state), tool)) check(id, knownTools(entry.state), cmd);
      await providers.execute(id, { type: 'AdmitCall', nowMs: support.clock.now() }, context);
      const cold = entry.state.status !== 'ready';
      if (cold) {
        cmd.onStage?.('cold_start', `Provider '${id}' is ${entry.state.status}, starting it`);
        cmd.onStage?.('launching', `Launching ${entry.state.registration.mode} provider '${id}'`);
      }
      session = live.get(id) ?? (await start(id, 'invoke', context));
      if (cold) cmd.onStage?.('ready', `Provider '${id}' is ready`);
      if (!discovered) check(id, session.connection.tools, cmd);
    } catch (thrown) {
      return fail(thrown);
    }

    cmd.onStage?.('executing', `Calling tool '${tool}'`);
    session.inFlight++;
    let result: ToolCallResult;
    try {
      result = await session.connection.callTool(tool, cmd.arguments, {
        timeoutMs: cmd.timeoutMs ?? entry.state.registration.settings.timeoutS * 1000,
        ...(cmd.signal ? { signal: cmd.signal } : {}),
        ...(cmd.onProgress ? { onProgress: cmd.onProgress } : {}),
      });
    } catch (thrown) {
      return fail(thrown);
    } finally {
      session.inFlight--;
      session.lastUsedMs = support.clock.now();
    }
    const resultSize = utf8Bytes(jsonTextOf(result) ?? JSON.stringify(result));
    if (resultSize > maxResultBytes) {
      // Passing it on would make the client drop the whole connection (official clients read at most 10 MiB).
      const message = `'${tool}' on '${id}' returned ${formatBytes(resultSize)} of JSON, over limits.max_result_bytes (${formatBytes(maxResultBytes)})`;
      return fail(new DomainError('RESULT_TOO_LARGE', message, { retryable: false }));
    }
    const outcome = result.isError === true ? 'tool_error' : 'success';
    await providers.execute(
      id,
      { type: 'RecordInvocation', tool, correlationId, durationMs: support.clock.now() - started, outcome, resultSize, ...recorded },
      context,
    );
    return result;
  };
};
