import type { Logger } from '../../../application/ports/logger.js';
import type {
  CallOptions,
  ForwardedMethod,
  ProviderConnection,
  ProviderDiagnostics,
  ProviderExit,
  ProviderNotification,
  RequestOptions,
  ToolCallResult,
} from '../../../application/ports/provider-runtime.js';
import { DomainError } from '../../../domain/shared/errors.js';
import { redactSecrets } from '../../../domain/shared/redact.js';
import { formatBytes } from '../../../domain/shared/utf8.js';
import type { ToolDefinition } from '../../../domain/provider/tool-definition.js';
import { describeCloseReason, streamBroke } from './close-reason.js';
import { McpSession, type McpSessionOptions, type OpenOutcome, type RequestFailure } from './mcp-session.js';
import type { LifecycleExit, ProviderLifecycle, ProviderStreams } from './provider-lifecycle.js';
import { StderrTail } from './stderr-tail.js';
import type { StartFailureReport } from './start-failure.js';

/** Settings of an {@link McpConnection}; all optional. */
export interface McpConnectionOptions extends Pick<McpSessionOptions, 'clientInfo' | 'maxLineBytes'> {
  /** Receives debug lines (never stdout). */
  readonly logger?: Logger;
  /** Error output kept per provider (defaults 8 KiB, 50 lines). */
  readonly stderrTailBytes?: number;
  readonly stderrTailLines?: number;
}

/** What an {@link McpConnection} runs over; a runtime provides all of it. */
export interface McpConnectionParts {
  readonly provider: string;
  readonly lifecycle: ProviderLifecycle;
  readonly streams: ProviderStreams;
  /** The runtime's wording of a failed start (a process runtime speaks of commands and working directories). */
  readonly startFailed: StartFailureReport;
  /** Values never to let out (the provider's env values, expanded `${VAR}`s): see {@link redactSecrets}. */
  readonly secrets?: readonly string[];
}

type Ended = LifecycleExit & { readonly expected: boolean };
const NOT_ENDED: Ended = { exitCode: null, signal: null, launchError: null, endedByRuntime: false, expected: true };
const noop = (): void => {};

/**
 * A started provider: an {@link McpSession} over its streams, its lifecycle (a process, a container) and
 * the tail of its error output. It turns what goes wrong into the port's typed errors and ends the
 * provider when its session breaks, whatever kind of process the runtime runs.
 */
export class McpConnection implements ProviderConnection {
  readonly pid: number | null;
  protocolVersion: string | null = null;
  serverInfo: { readonly name: string; readonly version: string } | null = null;
  tools: readonly ToolDefinition[] = [];
  capabilities: Readonly<Record<string, unknown>> = {};
  readonly exited: Promise<ProviderExit>;

  private readonly provider: string;
  private readonly lifecycle: ProviderLifecycle;
  private readonly startFailed: StartFailureReport;
  private readonly session: McpSession;
  private readonly stderr: StderrTail;
  private readonly log: Logger | undefined;
  private end: Ended | null = null;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  /** Resolves once the provider ended and every in-flight call has been failed. */
  private readonly finished: Promise<void>;
  private reportExit: (exit: ProviderExit) => void = noop;
  /** Provider output passes through this before it is stored or shown. */
  private readonly redact: (text: string) => string;
  /** Calls sent and not yet answered. */
  private inFlight = 0;

  constructor(parts: McpConnectionParts, options: McpConnectionOptions = {}) {
    this.provider = parts.provider;
    const secrets = parts.secrets ?? [];
    this.redact = (text) => redactSecrets(text, secrets);
    this.lifecycle = parts.lifecycle;
    this.startFailed = parts.startFailed;
    this.pid = parts.lifecycle.pid;
    this.log = options.logger?.child({ provider: this.provider, pid: this.pid });
    this.exited = new Promise((resolve) => (this.reportExit = resolve));
    this.stderr = new StderrTail({ maxBytes: options.stderrTailBytes ?? 8192, maxLines: options.stderrTailLines ?? 50 });
    this.stderr.attach(parts.streams.stderr);
    this.session = new McpSession(parts.streams.stdout, parts.streams.stdin, {
      ...(options.clientInfo ? { clientInfo: options.clientInfo } : {}),
      ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}),
      logger: this.log,
      onClose: () => this.handleSessionClosed(),
    });
    this.finished = parts.lifecycle.ended.then((exit) => this.windDown(exit));
  }

  /** initialize + initialized + tools/list (all pages) within the deadline; on failure nothing is left running. */
  async open(timeoutMs: number): Promise<void> {
    const opening = this.session.open(timeoutMs);
    const first = await Promise.race([opening, this.finished.then(() => null)]);
    if (first === null || !first.ok) throw await this.failStart(opening, first, timeoutMs);
    ({ protocolVersion: this.protocolVersion, serverInfo: this.serverInfo, tools: this.tools, capabilities: this.capabilities } = first.handshake);
    // An idle provider must not keep the hangar alive; stop() and a broken session hold it again until it ends.
    this.lifecycle.keepAlive(false);
    this.log?.debug('provider started', { tools: this.tools.length });
  }

  /** `failed` is null when the provider ended before the handshake failed. */
  private async failStart(opening: Promise<OpenOutcome>, failed: Extract<OpenOutcome, { ok: false }> | null, timeoutMs: number): Promise<DomainError> {
    this.stopping = true;
    const timedOut = failed?.timedOut ?? false;
    // Its stdout closed: it is most likely exiting by itself; let it, so that its own exit code is reported.
    if (!timedOut && this.end === null && this.session.closeReason !== null) {
      await Promise.race([this.finished, new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    this.session.close();
    this.lifecycle.kill();
    await this.finished;
    const settled = await opening; // the session is closed, so the handshake has settled too
    const exit = this.end ?? NOT_ENDED;
    const byItself = exit.launchError === null && !exit.endedByRuntime;
    const closeReason = this.session.closeReason;
    const protocolError = closeReason !== null ? describeCloseReason(closeReason) : this.redact(failed?.message ?? 'the provider exited during start');
    return this.startFailed({
      ...(exit.launchError !== null ? { launchError: exit.launchError } : {}),
      exitCode: byItself ? exit.exitCode : null,
      signal: byItself ? exit.signal : null,
      timedOut: timedOut && !byItself,
      timeoutMs,
      pendingStep: settled.ok ? 'tools/list' : settled.step,
      protocolError: byItself || timedOut ? undefined : protocolError,
      stderrTail: this.stderrTail(),
      skippedStdoutLines: this.session.skippedLines,
    });
  }

  async callTool(name: string, args: Readonly<Record<string, unknown>>, options: CallOptions): Promise<ToolCallResult> {
    if (this.session.isClosed) throw this.unavailable(name);
    // A call cut off by the provider's end stays counted until that end is wound down (callFailure waits
    // for it), so the exit can say how many calls it interrupted.
    this.inFlight++;
    try {
      const outcome = await this.session.callTool(name, args, options);
      if (outcome.ok) return outcome.value;
      throw await this.callFailure(outcome.failure, name, options.timeoutMs);
    } finally {
      this.inFlight--;
    }
  }

  async request(method: ForwardedMethod, params: Readonly<Record<string, unknown>>, options: RequestOptions): Promise<Readonly<Record<string, unknown>>> {
    if (this.session.isClosed) throw this.unavailable(method);
    this.inFlight++;
    try {
      const outcome = await this.session.request(method, params, options);
      if (outcome.ok) return outcome.value;
      throw await this.callFailure(outcome.failure, method, options.timeoutMs);
    } finally {
      this.inFlight--;
    }
  }

  async listTools(timeoutMs: number): Promise<readonly ToolDefinition[]> {
    if (this.session.isClosed) throw this.unavailable('tools/list');
    const outcome = await this.session.relistTools(timeoutMs);
    if (!outcome.ok) throw await this.callFailure(outcome.failure, 'tools/list', timeoutMs);
    this.tools = outcome.value;
    return this.tools;
  }

  onNotification(listener: (notification: ProviderNotification) => void): () => void {
    return this.session.onNotification(listener);
  }

  private async callFailure(failure: RequestFailure, tool: string, timeoutMs: number): Promise<DomainError> {
    const provider = this.provider;
    if (failure.kind === 'cancelled') {
      return new DomainError('CANCELLED', `the call to '${tool}' on '${provider}' was cancelled`, { provider, tool, retryable: false });
    }
    if (failure.kind === 'timeout') {
      return new DomainError('TIMEOUT', `'${tool}' on '${provider}' did not answer within ${timeoutMs} ms`, { provider, tool, retryable: true });
    }
    if (failure.kind === 'too_large') {
      return new DomainError(
        'RESULT_TOO_LARGE',
        `'${tool}' on '${provider}' answered with ${formatBytes(failure.bytes)}, over the ${formatBytes(failure.limitBytes)} the hangar reads from a provider`,
        { provider, tool, retryable: false },
      );
    }
    if (failure.kind === 'refused' && this.end === null) {
      // The session is fine: the provider answered with a JSON-RPC error or a malformed result.
      const code = failure.invalidParams ? 'INVALID_ARGUMENTS' : 'INTERNAL_ERROR';
      const said = this.redact(failure.message);
      return new DomainError(code, `'${provider}' refused '${tool}': ${said}`, { provider, tool, retryable: false, cause: said });
    }
    if (this.stopping) return this.unavailable(tool);
    await this.finished; // bounded: a broken session gets its provider killed (handleSessionClosed)
    const exit = this.end ?? NOT_ENDED;
    const how = exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}`;
    const reason = this.session.closeReason;
    const why = reason !== null && streamBroke(reason) ? `; ${describeCloseReason(reason)}` : '';
    return new DomainError('PROVIDER_CRASHED', `provider '${provider}' crashed during '${tool}' (${how})${why}`, {
      provider,
      tool,
      exitCode: exit.exitCode,
      signal: exit.signal,
      stderrTail: this.stderrTail(),
      retryable: true,
    });
  }

  private unavailable(tool?: string): DomainError {
    const exit = this.end;
    const state = exit === null ? 'its session is closed' : exit.signal !== null ? `it was killed by ${exit.signal}` : `it exited with code ${exit.exitCode}`;
    return new DomainError('PROVIDER_UNAVAILABLE', `provider '${this.provider}' is not running: ${state}`, {
      provider: this.provider,
      ...(tool !== undefined ? { tool } : {}),
      retryable: true,
    });
  }

  async ping(timeoutMs: number): Promise<void> {
    if (this.session.isClosed) throw this.unavailable();
    const outcome = await this.session.ping(timeoutMs);
    if (outcome.ok) return;
    const failure = outcome.failure;
    if (failure.kind === 'timeout') {
      throw new DomainError('TIMEOUT', `'${this.provider}' did not answer ping within ${timeoutMs} ms`, { provider: this.provider, retryable: true });
    }
    if (failure.kind !== 'refused') throw this.unavailable();
    throw new DomainError('PROVIDER_UNAVAILABLE', `'${this.provider}' answered ping with an error: ${this.redact(failure.message)}`, {
      provider: this.provider,
      retryable: true,
      cause: this.redact(failure.message),
    });
  }

  stop(): Promise<void> {
    return (this.stopped ??= this.doStop());
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    if (this.end === null) {
      this.lifecycle.keepAlive(true);
      this.session.close(); // end of input: a well-behaved server exits by itself
      this.lifecycle.terminate();
    }
    await this.finished;
  }

  /** The provider's last words on stderr, secrets removed. */
  private stderrTail(): string {
    return this.redact(this.stderr.tail());
  }

  diagnostics(): ProviderDiagnostics {
    return { stderrTail: this.stderrTail(), skippedStdoutLines: this.session.skippedLines, lastSkippedLines: this.session.lastSkippedLines().map(this.redact) };
  }

  private handleSessionClosed(): void {
    if (this.stopping || this.end !== null) return;
    // The session broke while the provider runs (stdout closed, overlong line, stdin failed): it is
    // unusable. Give it a moment to exit by itself so its own exit code is reported, then kill it.
    const reason = this.session.closeReason;
    this.log?.debug('provider session closed unexpectedly', { reason: reason === null ? null : describeCloseReason(reason) });
    this.lifecycle.keepAlive(true); // failed calls wait for the end: keep the loop alive until it comes
    setTimeout(() => this.lifecycle.kill(), 200).unref();
  }

  private async windDown(exit: LifecycleExit): Promise<void> {
    this.end = { ...exit, expected: this.stopping };
    // An exit can be reported before the error output is fully read; wait briefly so the tail has the last words.
    await this.stderr.whenEnded(100);
    const interruptedCalls = this.inFlight;
    this.session.close(); // fails every in-flight call at once
    const { exitCode, signal, expected } = this.end;
    this.log?.debug('provider exited', { exitCode, signal, expected });
    // After the in-flight calls' rejections have been delivered (microtasks), not before.
    const info: ProviderExit = { exitCode, signal, stderrTail: this.stderrTail(), expected, interruptedCalls };
    setImmediate(() => this.reportExit(info));
  }
}
