import type { Readable, Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ErrorCode,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from '../../../application/ports/logger.js';
import {
  withJsonText,
  type CallOptions,
  type ForwardedMethod,
  type ProviderNotification,
  type RequestOptions,
  type ToolCallResult,
} from '../../../application/ports/provider-runtime.js';
import { memberText } from '../../jsonrpc/json-member.js';
import type { ToolDefinition } from '../../../domain/provider/tool-definition.js';
import { VERSION } from '../../../version.js';
import type { StreamCloseReason } from './close-reason.js';
import { isOversizedMessage, LineTransport } from './line-transport.js';
import type { RequestFailure, RequestOutcome } from './raw-requests.js';
import type { HandshakeStep } from './start-failure.js';

/** Settings of an {@link McpSession}; all optional. */
export interface McpSessionOptions {
  /** How the hangar introduces itself in `initialize` (default mcp-hangar and its version). */
  readonly clientInfo?: { readonly name: string; readonly version: string };
  /** A partial line longer than this makes the session unusable (default 16 MiB). */
  readonly maxLineBytes?: number;
  /** Receives debug lines (skipped lines, session errors). */
  readonly logger?: Logger | undefined;
  /** Called once when the session closes, for any reason: the stream ended or broke, or close() was called. */
  readonly onClose?: () => void;
}

/** What a provider said about itself in the handshake. */
export interface Handshake {
  readonly protocolVersion: string | null;
  readonly serverInfo: { readonly name: string; readonly version: string } | null;
  /** Every tool from `tools/list` (all pages), as the provider described them. */
  readonly tools: readonly ToolDefinition[];
  /** The capabilities it declared in `initialize`. */
  readonly capabilities: Readonly<Record<string, unknown>>;
}

/** How {@link McpSession.open} ended: the handshake, or the step it failed at and why. */
export type OpenOutcome =
  | { readonly ok: true; readonly handshake: Handshake }
  | { readonly ok: false; readonly step: HandshakeStep; readonly timedOut: boolean; readonly message: string };

export type { RequestFailure, RequestOutcome } from './raw-requests.js';

// A pass-through schema: it checks the shape and keeps every field the provider sent.
const ToolPageSchema = z.looseObject({
  tools: z.array(z.looseObject({ name: z.string() })),
  nextCursor: z.string().optional(),
});
const MAX_TOOL_PAGES = 1000;
// A forwarded request's result: any object, every field kept.
const AnyResultSchema = z.looseObject({});
/** The notifications a provider sends of itself that the hangar listens to. */
const RELAYED_NOTIFICATIONS = [
  LoggingMessageNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  PromptListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
] as const;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What is wrong with a `tools/call` result's shape, if anything (every other field passes as it is). */
const resultProblem = (result: unknown): string | undefined => {
  if (!isObject(result)) return 'it is not an object';
  if (result['content'] !== undefined && !Array.isArray(result['content'])) return 'content is not a list';
  if (result['isError'] !== undefined && typeof result['isError'] !== 'boolean') return 'isError is not true or false';
  if (result['structuredContent'] !== undefined && !isObject(result['structuredContent'])) return 'structuredContent is not an object';
  return undefined;
};

/** A JSON-RPC error from the provider, worded as the SDK words it. */
const refusedBy = (error: unknown): RequestFailure => {
  const { code, message: said } = isObject(error) ? error : {};
  const text = typeof said === 'string' ? said : 'an error without a message';
  return { kind: 'refused', invalidParams: code === ErrorCode.InvalidParams, message: typeof code === 'number' ? `MCP error ${code}: ${text}` : text };
};

/**
 * An MCP client session over a pair of byte streams, whatever runs at the other end: the SDK's `Client`
 * over a {@link LineTransport}. It knows nothing of processes; its failures come back as values.
 */
export class McpSession {
  private readonly client: Client;
  private readonly transport: LineTransport;
  private readonly listeners = new Set<(notification: ProviderNotification) => void>();

  constructor(stdout: Readable, stdin: Writable, options: McpSessionOptions = {}) {
    const log = options.logger;
    this.transport = new LineTransport(stdout, stdin, {
      maxLineBytes: options.maxLineBytes ?? 16 * 1024 * 1024,
      ...(log ? { onSkipped: (line: string) => log.debug('skipped a non-protocol line on stdout', { line: line.slice(0, 200) }) } : {}),
    });
    this.client = new Client(options.clientInfo ?? { name: 'mcp-hangar', version: VERSION }, { capabilities: {} });
    this.client.onerror = (error) => log?.debug('provider session error', { error: error.message });
    for (const schema of RELAYED_NOTIFICATIONS) {
      this.client.setNotificationHandler(schema, (notification) => {
        const relayed: ProviderNotification = { method: notification.method, ...(notification.params ? { params: notification.params } : {}) };
        for (const listener of this.listeners) listener(relayed);
      });
    }
    const onClose = options.onClose;
    if (onClose) this.client.onclose = () => onClose();
  }

  /** `initialize`, `notifications/initialized` and `tools/list` (every page) within `timeoutMs`. */
  async open(timeoutMs: number): Promise<OpenOutcome> {
    const controller = new AbortController();
    let timedOut = false;
    let step: HandshakeStep = 'initialize';
    const deadline = setTimeout(() => ((timedOut = true), controller.abort()), timeoutMs);
    try {
      await this.client.connect(this.transport, { signal: controller.signal, timeout: timeoutMs });
      step = 'tools/list';
      const tools = await this.listTools(controller.signal, timeoutMs);
      const server = this.client.getServerVersion();
      const serverInfo = server ? { name: server.name, version: server.version } : null;
      const capabilities = (this.client.getServerCapabilities() ?? {}) as Record<string, unknown>;
      return { ok: true, handshake: { protocolVersion: this.transport.protocolVersion, serverInfo, tools, capabilities } };
    } catch (error) {
      return { ok: false, step, timedOut, message: message(error) };
    } finally {
      clearTimeout(deadline);
    }
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

  /**
   * `tools/call`; the provider's result unchanged (a tool's own error is a result with isError, not a
   * failure). Sent past the SDK client as a raw JSON-RPC line (see {@link RawRequests}); the result keeps
   * the JSON text it came as, so that it can be forwarded byte for byte.
   */
  async callTool(name: string, args: Readonly<Record<string, unknown>>, options: CallOptions): Promise<RequestOutcome<ToolCallResult>> {
    // timeoutMs is a hard deadline for the whole call (what the caller asked for), so progress does not extend it.
    const outcome = await this.transport.requests.request('tools/call', { name, arguments: args }, options);
    if (!outcome.ok) return options.signal?.aborted ? { ok: false, failure: { kind: 'cancelled' } } : outcome;
    const { message, line } = outcome.value;
    if (message.error !== undefined) return { ok: false, failure: refusedBy(message.error) };
    const problem = resultProblem(message.result);
    if (problem !== undefined)
      return { ok: false, failure: { kind: 'refused', invalidParams: false, message: `the provider's result is not a CallToolResult: ${problem}` } };
    const result = message.result as ToolCallResult;
    if (result.content === undefined) return { ok: true, value: { ...result, content: [] } };
    const text = memberText(line, 'result');
    return { ok: true, value: text === undefined ? result : withJsonText(result, text) };
  }

  /** `tools/list` again, every page. */
  async relistTools(timeoutMs: number): Promise<RequestOutcome<ToolDefinition[]>> {
    const controller = new AbortController();
    try {
      return { ok: true, value: await this.listTools(controller.signal, timeoutMs) };
    } catch (error) {
      return { ok: false, failure: this.failure(error) };
    }
  }

  /** One of the forwarded requests (resources, prompts, completions, logging) through the SDK client; the result as sent. */
  async request(method: ForwardedMethod, params: Readonly<Record<string, unknown>>, options: RequestOptions): Promise<RequestOutcome<Record<string, unknown>>> {
    try {
      const signal = options.signal as AbortSignal | undefined;
      const value = await this.client.request({ method, params: { ...params } }, AnyResultSchema, {
        timeout: options.timeoutMs,
        ...(signal ? { signal } : {}),
      });
      return { ok: true, value: value as Record<string, unknown> };
    } catch (error) {
      return { ok: false, failure: this.failure(error, options.signal) };
    }
  }

  /** Calls `listener` with each notification the provider sends of itself; returns the unsubscribe function. */
  onNotification(listener: (notification: ProviderNotification) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** MCP `ping`. */
  async ping(timeoutMs: number): Promise<RequestOutcome<void>> {
    try {
      await this.client.ping({ timeout: timeoutMs });
      return { ok: true, value: undefined };
    } catch (error) {
      return { ok: false, failure: this.failure(error) };
    }
  }

  /** Ends the output (an MCP stdio server exits on EOF) and fails every request in flight. Idempotent. */
  close(): void {
    void this.transport.close();
  }

  /** True once the session closed, for any reason. */
  get isClosed(): boolean {
    return this.transport.isClosed;
  }

  /** Why the session closed when the hangar did not close it; null while open or after close(). */
  get closeReason(): StreamCloseReason | null {
    return this.transport.closeReason;
  }

  /** Lines on stdout that were not protocol messages. */
  get skippedLines(): number {
    return this.transport.skippedLines;
  }

  /** The last few skipped lines, oldest first. */
  lastSkippedLines(): readonly string[] {
    return this.transport.lastSkippedLines();
  }

  private failure(error: unknown, signal?: { readonly aborted: boolean }): RequestFailure {
    if (signal?.aborted) return { kind: 'cancelled' };
    if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) return { kind: 'timeout' };
    if (error instanceof McpError && isOversizedMessage(error.data)) return { kind: 'too_large', ...error.data.oversizedMessage };
    if (this.transport.isClosed) return { kind: 'closed' };
    const invalidParams = error instanceof McpError && error.code === ErrorCode.InvalidParams;
    return { kind: 'refused', invalidParams, message: message(error) };
  }
}
