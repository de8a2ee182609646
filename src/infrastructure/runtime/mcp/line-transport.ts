import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage, type MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { LineReader, type LineItem } from '../../jsonrpc/line-reader.js';
import { LineWriter } from '../../jsonrpc/line-writer.js';
import { findMessageId } from '../../jsonrpc/message-ids.js';
import { describeCloseReason, type StreamCloseReason } from './close-reason.js';
import { RawRequests } from './raw-requests.js';

/** Limits and hooks of a {@link LineTransport}. */
export interface LineTransportOptions {
  /**
   * The longest message kept (default 16 MiB). A longer line is dropped as it streams in; when it is a
   * response, its request fails with an error whose `data` is {@link OversizedMessage}.
   */
  readonly maxLineBytes?: number;
  /** Skipped lines kept for diagnostics (default 10). */
  readonly keepSkipped?: number;
  /** Each kept skipped line is cut to this many characters (default 500). */
  readonly maxSkippedChars?: number;
  /** Called for each skipped line (for debug logging). */
  readonly onSkipped?: (line: string) => void;
}

const OPEN_BRACE = 0x7b;

/** The `data` of the error a request gets when the provider's answer to it was too long to keep. */
export interface OversizedMessage {
  readonly oversizedMessage: { readonly bytes: number; readonly limitBytes: number };
}

/** Whether an error's `data` says the answer was too long (a fact this transport puts there, never the provider). */
export const isOversizedMessage = (data: unknown): data is OversizedMessage => {
  const fact = (data as Partial<OversizedMessage> | null)?.oversizedMessage;
  return typeof fact?.bytes === 'number' && typeof fact.limitBytes === 'number';
};

// A response starts with its result or error (after jsonrpc and id, in whatever order the writer put
// them); a request or notification names a method first. Only a response may fail a request of ours.
const RESPONSE_START = /^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?(?:"id"\s*:\s*[^,{}]{1,300},\s*)?"(?:result|error)"\s*:/;

const isBlank = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0d || code === 0xfeff;

/**
 * MCP over a pair of byte streams (a child's stdout and stdin, a container's attached streams): one
 * JSON-RPC message per line. Lines that are not JSON-RPC messages (banners, stray logs) are skipped and
 * counted, never fatal. A line longer than `maxLineBytes` is never held whole: it is dropped as it streams
 * in, and when it was the answer to a request, that request fails (see {@link OversizedMessage}); the
 * stream and the provider carry on. After close, the input is still drained (and discarded) so the provider never blocks on a
 * full pipe while it is being stopped.
 */
export class LineTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: (<T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void) | undefined;

  /** Why the transport closed, when it was not asked to; null while open or after close(). */
  closeReason: StreamCloseReason | null = null;
  /** The protocol version the client negotiated. */
  protocolVersion: string | null = null;
  /** Requests sent past the SDK client (the hot path); their answers never reach `onmessage`. */
  readonly requests: RawRequests;

  private readonly maxLineBytes: number;
  private readonly keepSkipped: number;
  private readonly maxSkippedChars: number;
  private readonly onSkipped: ((line: string) => void) | undefined;
  private readonly reader: LineReader;
  private skipped = 0;
  private readonly lastSkipped: string[] = [];
  private started = false;
  private closed = false;
  private readonly writer: LineWriter;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    options: LineTransportOptions = {},
  ) {
    this.maxLineBytes = options.maxLineBytes ?? 16 * 1024 * 1024;
    this.reader = new LineReader(this.maxLineBytes);
    this.keepSkipped = options.keepSkipped ?? 10;
    this.maxSkippedChars = options.maxSkippedChars ?? 500;
    this.onSkipped = options.onSkipped;
    this.writer = new LineWriter(output);
    this.requests = new RawRequests(this.writeLine);
  }

  /** Input lines that were not protocol messages. */
  get skippedLines(): number {
    return this.skipped;
  }

  /** The last few skipped lines, oldest first, each cut to `maxSkippedChars`. */
  lastSkippedLines(): readonly string[] {
    return [...this.lastSkipped];
  }

  /** True once closed, by close() or because the stream ended or broke (see `closeReason`). */
  get isClosed(): boolean {
    return this.closed;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('LineTransport already started');
    this.started = true;
    this.input.on('data', this.handleData);
    this.input.once('end', this.handleEnd);
    this.input.once('close', this.handleEnd);
    this.input.on('error', this.handleInputError);
    this.output.on('error', this.handleOutputError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (!this.writable) return Promise.reject(new Error('the provider session is closed'));
    return this.writer.write(JSON.stringify(message) + '\n');
  }

  private get writable(): boolean {
    return !(this.closed || this.output.writableEnded || this.output.destroyed);
  }

  /**
   * Writes one line for the hot path's requests, which do not wait for a full pipe; false when the session
   * is closed. Lines of one turn leave in one write (see LineWriter).
   */
  private readonly writeLine = (line: string): boolean => {
    if (!this.writable) return false;
    void this.writer.write(line);
    return true;
  };

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  /** Ends the output (an MCP stdio server exits on EOF) and reports the close once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.reader.reset();
    this.requests.close();
    try {
      this.output.end();
    } catch {
      // stdin already broken: the process is going away anyway.
    }
    this.writer.release(); // nothing waits for a drain of a closed session
    this.onclose?.();
  }

  private fail(reason: StreamCloseReason, error?: Error): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.onerror?.(error ?? new Error(describeCloseReason(reason)));
    void this.close();
  }

  private readonly handleData = (chunk: Buffer): void => {
    if (!this.closed) this.reader.push(chunk, this.handleItem);
  };

  private readonly handleItem = (item: LineItem): void => {
    if (this.closed) return;
    if (item.kind === 'line') this.handleLine(item.text);
    else this.handleOversized(item);
  };

  /** An answer too long to keep fails its request (its id is at one end of the line); anything else is skipped. */
  private handleOversized(item: Extract<LineItem, { kind: 'oversized' }>): void {
    const id = RESPONSE_START.test(item.head) ? findMessageId(item.head, item.tail) : undefined;
    if (id !== undefined && this.requests.oversized(id, item.bytes, this.maxLineBytes)) return;
    if (id === undefined) {
      this.skip(`[a line of ${item.bytes} bytes, over the limit of ${this.maxLineBytes}, was dropped] ${item.head.slice(0, 200)}`);
      return;
    }
    const data: OversizedMessage = { oversizedMessage: { bytes: item.bytes, limitBytes: this.maxLineBytes } };
    const message = `the provider's answer of ${item.bytes} bytes exceeds the limit of ${this.maxLineBytes} bytes`;
    const failed: JSONRPCMessage = { jsonrpc: '2.0', id, error: { code: ErrorCode.InternalError, message, data } };
    queueMicrotask(() => this.deliver(failed));
  }

  private handleLine(line: string): void {
    let i = 0;
    while (i < line.length && isBlank(line.charCodeAt(i))) i++;
    if (i === line.length) return;
    if (line.charCodeAt(i) !== OPEN_BRACE) {
      this.skip(line);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.skip(line);
      return;
    }
    if (!looksLikeJsonRpc(parsed)) {
      this.skip(line);
      return;
    }
    // Answers and progress of the hot path's own requests go to them at once, in the provider's order.
    const raw = parsed as { id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown };
    if (raw.method === undefined ? this.requests.take(raw.id, raw, line) : raw.method === 'notifications/progress' && this.rawProgress(raw.params)) return;
    // The original object, not zod's copy: what the provider sent reaches the caller unchanged.
    const message = parsed as JSONRPCMessage;
    // The SDK handles a notification one microtask after it arrives but a response at once, so a progress
    // notification followed by its result in the same chunk would find its handler gone. Delivering
    // responses one microtask later keeps the provider's order.
    if ('id' in message && !('method' in message)) queueMicrotask(() => this.deliver(message));
    else this.deliver(message);
  }

  private rawProgress(params: unknown): boolean {
    return typeof params === 'object' && params !== null && this.requests.progress(params);
  }

  private deliver(message: JSONRPCMessage): void {
    try {
      this.onmessage?.(message);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private skip(line: string): void {
    this.skipped++;
    const text = line.replace(/\r$/, '');
    this.lastSkipped.push(text.length > this.maxSkippedChars ? `${text.slice(0, this.maxSkippedChars)}…` : text);
    if (this.lastSkipped.length > this.keepSkipped) this.lastSkipped.shift();
    this.onSkipped?.(text);
  }

  private readonly handleEnd = (): void => {
    if (this.closed) return;
    this.reader.end(this.handleItem);
    if (this.closed) return;
    this.closeReason = { kind: 'stdout_closed' };
    void this.close();
  };

  private readonly handleInputError = (error: Error): void => {
    this.fail({ kind: 'read_failed', message: error.message }, error);
  };

  private readonly handleOutputError = (error: Error): void => {
    this.fail({ kind: 'write_failed', message: error.message }, error);
  };
}

/**
 * Tells JSON-RPC 2.0 messages from other JSON a provider may print (structured logs): `jsonrpc: "2.0"`
 * and a method or an id. The SDK validates each message's full shape itself, so a full schema parse
 * here would only do that work twice on every line.
 */
const looksLikeJsonRpc = (value: unknown): boolean => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const message = value as { jsonrpc?: unknown; method?: unknown; id?: unknown };
  return message.jsonrpc === '2.0' && (typeof message.method === 'string' || typeof message.id === 'string' || typeof message.id === 'number');
};
