import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ProgressCallback } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from '../../../application/ports/logger.js';
import type {
  CallOptions,
  ProviderDiagnostics,
  ProviderExit,
  SubprocessLaunch,
  ProviderConnection,
  ToolCallResult,
} from '../../../application/ports/provider-runtime.js';
import { DomainError } from '../../../domain/shared/errors.js';
import type { ToolDefinition } from '../../../domain/provider/tool-definition.js';
import { VERSION } from '../../../version.js';
import { LineTransport } from './line-transport.js';
import { signalGroup, track, untrack } from './process-groups.js';
import type { Child } from './spawn.js';
import { StderrTail } from './stderr-tail.js';
import { startFailed, type StartFailureFacts } from './start-hints.js';

/** Settings of {@link ProcessProviderRuntime}; all optional. */
export interface ProcessRuntimeOptions {
  /** How the hangar introduces itself in `initialize` (default mcp-hangar and its version). */
  readonly clientInfo?: { readonly name: string; readonly version: string };
  /** Receives debug lines (never stdout). */
  readonly logger?: Logger;
  /** stop(): SIGKILL the process group this long after SIGTERM (default 2000 ms). */
  readonly stopGraceMs?: number;
  /** A partial stdout line longer than this makes the session unusable (default 16 MiB). */
  readonly maxLineBytes?: number;
  /** stderr kept per provider (defaults 8 KiB, 50 lines). */
  readonly stderrTailBytes?: number;
  readonly stderrTailLines?: number;
}

// Pass-through schemas: they check the shape and keep every field the provider sent (the SDK's own
// CallToolResultSchema strips unknown keys inside content blocks and rejects unknown content types).
const ToolResultSchema = z.looseObject({
  content: z.array(z.unknown()).default([]),
  isError: z.boolean().optional(),
  structuredContent: z.record(z.string(), z.unknown()).optional(),
});
const ToolPageSchema = z.looseObject({
  tools: z.array(z.looseObject({ name: z.string() })),
  nextCursor: z.string().optional(),
});
const MAX_TOOL_PAGES = 1000;

const noop = (): void => {};
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const unref = (stream: Readable | Writable | null | undefined): void => (stream as { unref?: () => void } | null)?.unref?.();

/** A running subprocess provider with its MCP session. */
export class ProcessConnection implements ProviderConnection {
  readonly pid: number | null;
  protocolVersion: string | null = null;
  serverInfo: { readonly name: string; readonly version: string } | null = null;
  tools: readonly ToolDefinition[] = [];

  private readonly id: string;
  private readonly client: Client;
  private readonly transport: LineTransport;
  private readonly stderr: StderrTail;
  private readonly log: Logger | undefined;
  private exit: { exitCode: number | null; signal: string | null; expected: boolean } | null = null;
  private spawnErrorCode: string | undefined;
  private killSent: NodeJS.Signals | null = null;
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private finalized = false;
  private readonly ended: Promise<void>;
  private markEnded: () => void = noop;
  readonly exited: Promise<ProviderExit>;
  private reportExit: (exit: ProviderExit) => void = noop;

  constructor(
    private readonly child: Child,
    id: string,
    private readonly launch: SubprocessLaunch,
    private readonly settings: ProcessRuntimeOptions,
  ) {
    this.id = id;
    this.exited = new Promise((resolve) => (this.reportExit = resolve));
    this.pid = child.pid ?? null;
    this.log = settings.logger?.child({ provider: this.id, pid: this.pid });
    this.ended = new Promise((resolve) => (this.markEnded = resolve));
    this.stderr = new StderrTail({ maxBytes: settings.stderrTailBytes ?? 8192, maxLines: settings.stderrTailLines ?? 50 });
    this.stderr.attach(child.stderr);
    const log = this.log;
    this.transport = new LineTransport(child.stdout, child.stdin, {
      maxLineBytes: settings.maxLineBytes ?? 16 * 1024 * 1024,
      ...(log ? { onSkipped: (line: string) => log.debug('skipped a non-protocol line on stdout', { line: line.slice(0, 200) }) } : {}),
    });
    child.on('exit', (code, signal) => this.handleExit(code, signal));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (this.pid !== null) return void log?.debug('provider process error', { error: error.message });
      this.spawnErrorCode = error.code ?? 'spawn error';
      this.handleExit(null, null);
    });
    void child.then(noop, noop);
    if (this.pid !== null) track(this.pid);
    this.client = new Client(settings.clientInfo ?? { name: 'mcp-hangar', version: VERSION }, { capabilities: {} });
    this.client.onerror = (error) => log?.debug('provider session error', { error: error.message });
    this.client.onclose = () => this.handleSessionClosed();
  }

  /** initialize + initialized + tools/list (all pages) within the deadline; on failure nothing is left running. */
  async open(timeoutMs: number): Promise<void> {
    const controller = new AbortController();
    let timedOut = false;
    let step: 'initialize' | 'tools/list' = 'initialize';
    const deadline = setTimeout(() => ((timedOut = true), controller.abort()), timeoutMs);
    const work = (async () => {
      await this.client.connect(this.transport, { signal: controller.signal, timeout: timeoutMs });
      step = 'tools/list';
      this.tools = await this.listTools(controller.signal, timeoutMs);
    })();
    const exitedEarly = this.ended.then(() => Promise.reject(new Error('the provider exited during start')));
    work.catch(noop);
    exitedEarly.catch(noop);
    try {
      await Promise.race([work, exitedEarly]);
    } catch (error) {
      throw await this.failStart(error, timedOut, step, timeoutMs);
    } finally {
      clearTimeout(deadline);
    }
    const server = this.client.getServerVersion();
    this.serverInfo = server ? { name: server.name, version: server.version } : null;
    this.protocolVersion = this.transport.protocolVersion;
    // An idle provider must not keep the hangar alive; stop() refs the child again while waiting for it.
    this.child.unref();
    unref(this.child.stdin);
    unref(this.child.stdout);
    unref(this.child.stderr);
    this.log?.debug('provider started', { tools: this.tools.length });
  }

  private async listTools(signal: AbortSignal, timeout: number): Promise<ToolDefinition[]> {
    const tools: ToolDefinition[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const params = cursor === undefined ? {} : { cursor };
      const result = await this.client.request({ method: 'tools/list', params }, ToolPageSchema, { signal, timeout });
      tools.push(...(result.tools as ToolDefinition[]));
      if (result.nextCursor === undefined || result.nextCursor === cursor) break;
      cursor = result.nextCursor;
    }
    return tools;
  }

  private async failStart(error: unknown, timedOut: boolean, step: 'initialize' | 'tools/list', timeoutMs: number): Promise<DomainError> {
    this.stopping = true;
    // Its stdout closed: it is most likely exiting by itself; let it, so that its own exit code is reported.
    if (!timedOut && this.exit === null && this.transport.closeReason !== null) {
      await Promise.race([this.ended, new Promise((resolve) => setTimeout(resolve, 200))]);
    }
    void this.transport.close();
    this.kill('SIGKILL');
    await this.ended;
    const exit = this.exit ?? { exitCode: null, signal: null };
    const byItself = this.spawnErrorCode === undefined && !(this.killSent !== null && exit.signal === this.killSent);
    const facts: StartFailureFacts = {
      command: this.launch.command,
      cwd: this.launch.cwd,
      cwdExists: this.spawnErrorCode === undefined ? undefined : existsSync(this.launch.cwd),
      spawnErrorCode: this.spawnErrorCode,
      exitCode: byItself ? exit.exitCode : null,
      signal: byItself ? exit.signal : null,
      timedOut: timedOut && !byItself,
      timeoutMs,
      pendingStep: step,
      protocolError: byItself || timedOut ? undefined : (this.transport.closeReason ?? message(error)),
      stderrTail: this.stderr.tail(),
      skippedStdoutLines: this.transport.skippedLines,
    };
    return startFailed(this.id, facts);
  }

  async callTool(name: string, args: Readonly<Record<string, unknown>>, options: CallOptions): Promise<ToolCallResult> {
    if (this.transport.isClosed) throw this.unavailable(name);
    // timeoutMs is a hard deadline for the whole call (what the caller asked for), so progress does not extend it.
    const requestOptions: { timeout: number; resetTimeoutOnProgress: false; signal?: AbortSignal; onprogress?: ProgressCallback } = {
      timeout: options.timeoutMs,
      resetTimeoutOnProgress: false,
    };
    if (options.signal !== undefined) requestOptions.signal = options.signal;
    if (options.onProgress !== undefined) requestOptions.onprogress = options.onProgress as ProgressCallback;
    try {
      const result = await this.client.request(
        { method: 'tools/call', params: { name, arguments: args as Record<string, unknown> } },
        ToolResultSchema,
        requestOptions,
      );
      return result as ToolCallResult;
    } catch (error) {
      throw await this.callFailure(error, name, options);
    }
  }

  private async callFailure(error: unknown, tool: string, options: CallOptions): Promise<DomainError> {
    const provider = this.id;
    if (options.signal?.aborted) {
      return new DomainError('CANCELLED', `the call to '${tool}' on '${provider}' was cancelled`, { provider, tool, retryable: false });
    }
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
      return new DomainError('TIMEOUT', `'${tool}' on '${provider}' did not answer within ${options.timeoutMs} ms`, { provider, tool, retryable: true });
    }
    if (!this.transport.isClosed && this.exit === null) {
      // The session is fine: the provider answered with a JSON-RPC error or a malformed result.
      const code = error instanceof McpError && error.code === ErrorCode.InvalidParams ? 'INVALID_ARGUMENTS' : 'INTERNAL_ERROR';
      return new DomainError(code, `'${provider}' refused '${tool}': ${message(error)}`, { provider, tool, retryable: false, cause: message(error) });
    }
    if (this.stopping) return this.unavailable(tool);
    await this.ended; // bounded: a broken session gets its process killed (handleSessionClosed)
    const exit = this.exit ?? { exitCode: null, signal: null };
    const how = exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.exitCode}`;
    const why = this.transport.closeReason !== null && this.transport.closeReason !== 'the provider closed its stdout' ? `; ${this.transport.closeReason}` : '';
    return new DomainError('PROVIDER_CRASHED', `provider '${provider}' crashed during '${tool}' (${how})${why}`, {
      provider,
      tool,
      exitCode: exit.exitCode,
      signal: exit.signal,
      stderrTail: this.stderr.tail(),
      retryable: true,
    });
  }

  private unavailable(tool?: string): DomainError {
    const exit = this.exit;
    const state = exit === null ? 'its session is closed' : exit.signal !== null ? `it was killed by ${exit.signal}` : `it exited with code ${exit.exitCode}`;
    return new DomainError('PROVIDER_UNAVAILABLE', `provider '${this.id}' is not running: ${state}`, {
      provider: this.id,
      ...(tool !== undefined ? { tool } : {}),
      retryable: true,
    });
  }

  async ping(timeoutMs: number): Promise<void> {
    if (this.transport.isClosed) throw this.unavailable();
    try {
      await this.client.ping({ timeout: timeoutMs });
    } catch (error) {
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
        throw new DomainError('TIMEOUT', `'${this.id}' did not answer ping within ${timeoutMs} ms`, { provider: this.id, retryable: true });
      }
      if (this.transport.isClosed) throw this.unavailable();
      throw new DomainError('PROVIDER_UNAVAILABLE', `'${this.id}' answered ping with an error: ${message(error)}`, {
        provider: this.id,
        retryable: true,
        cause: message(error),
      });
    }
  }

  stop(): Promise<void> {
    return (this.stopped ??= this.doStop());
  }

  private async doStop(): Promise<void> {
    this.stopping = true;
    if (this.exit === null) {
      this.child.ref();
      void this.transport.close(); // stdin EOF: a well-behaved server exits by itself
      this.kill('SIGTERM');
      const timer = setTimeout(() => this.kill('SIGKILL'), this.settings.stopGraceMs ?? 2000);
      await this.ended;
      clearTimeout(timer);
    }
    await this.ended;
  }

  diagnostics(): ProviderDiagnostics {
    return { stderrTail: this.stderr.tail(), skippedStdoutLines: this.transport.skippedLines, lastSkippedLines: this.transport.lastSkippedLines() };
  }

  private kill(signal: NodeJS.Signals): void {
    if (this.pid === null || this.exit !== null) return;
    this.killSent = signal;
    signalGroup(this.pid, signal);
  }

  private handleSessionClosed(): void {
    if (this.stopping || this.exit !== null || this.pid === null) return;
    // The session broke while the process runs (stdout closed, overlong line, stdin failed): it is
    // unusable. Give it a moment to exit by itself so its own exit code is reported, then kill it.
    this.log?.debug('provider session closed unexpectedly', { reason: this.transport.closeReason });
    this.child.ref(); // failed calls wait for the exit: keep the loop alive until it comes
    setTimeout(() => this.kill('SIGKILL'), 200).unref();
  }

  private handleExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exit !== null) return;
    this.exit = { exitCode: code, signal, expected: this.stopping };
    if (this.pid !== null) {
      untrack(this.pid);
      signalGroup(this.pid, 'SIGKILL', true); // never an orphan: whatever the provider left in its group goes too
    }
    // Exit can be reported before stderr is fully read; wait briefly so the tail includes the last words.
    void this.stderr.whenEnded(100).then(() => this.finalize());
  }

  private finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    void this.transport.close(); // fails every in-flight call at once
    this.markEnded();
    this.log?.debug('provider exited', { exitCode: this.exit?.exitCode, signal: this.exit?.signal, expected: this.exit?.expected });
    // After the in-flight calls' rejections have been delivered (microtasks), not before.
    const exit = this.exit ?? { exitCode: null, signal: null, expected: true };
    const info: ProviderExit = { exitCode: exit.exitCode, signal: exit.signal, stderrTail: this.stderr.tail(), expected: exit.expected };
    setImmediate(() => this.reportExit(info));
  }
}
