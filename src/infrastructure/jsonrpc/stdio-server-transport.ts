import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../application/ports/logger.js';
import { LineReader, type LineItem } from './line-reader.js';
import { LineWriter } from './line-writer.js';
import { findMessageId, isRequestId, type RequestId } from './message-ids.js';
import { isJsonRpcMessage } from './message-shape.js';

/** Settings of {@link StdioServerLineTransport}. */
export interface StdioServerOptions {
  /** The longest message a client may send, in bytes (`limits.max_message_bytes`). */
  readonly maxMessageBytes: number;
  readonly logger?: Logger | undefined;
  readonly input?: Readable;
  readonly output?: Writable;
}

const preview = (text: string): string => (text.length > 120 ? `${text.slice(0, 117)}...` : text);

/**
 * The hangar's side of MCP over stdio: one JSON-RPC message per line. Unlike the SDK's stdio transport it
 * never lets one message take the connection down: a line longer than `maxMessageBytes` is skipped as it
 * streams in (never buffered whole) and answered with an error for its id, found at either end of the
 * line; a line that is not JSON, a JSON-RPC batch, or a message of the wrong shape (`jsonrpc: "1.0"`, an
 * object as id) is answered with the error JSON-RPC prescribes whenever it carries an id, and logged. The
 * next message is served as usual.
 */
export class StdioServerLineTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: JSONRPCMessage) => void) | undefined;

  private readonly input: Readable;
  private readonly output: Writable;
  private readonly reader: LineReader;
  private started = false;
  private closed = false;
  /** The client closed its end of stdout (EPIPE): what is sent after that is dropped. */
  private outputGone = false;
  private readonly writer: LineWriter;

  constructor(private readonly options: StdioServerOptions) {
    this.input = options.input ?? process.stdin;
    this.output = options.output ?? process.stdout;
    this.writer = new LineWriter(this.output);
    this.reader = new LineReader(options.maxMessageBytes);
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('StdioServerLineTransport already started');
    this.started = true;
    this.input.on('data', this.handleData);
    this.input.on('error', this.handleError);
    this.output.on('error', this.handleOutputError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.sendRaw(JSON.stringify(message));
  }

  /**
   * Sends one message given as its JSON text (which must be one valid JSON-RPC message on one line): what
   * lets a provider's result be forwarded byte for byte. Messages of one turn leave in one write, and a
   * full stdout makes callers wait (see LineWriter).
   */
  sendRaw(json: string): Promise<void> {
    if (this.closed || this.outputGone) return Promise.reject(new Error('the client connection is closed'));
    return this.writer.write(`${json}\n`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.handleData);
    this.input.off('error', this.handleError);
    this.reader.reset();
    this.onclose?.();
  }

  private readonly handleData = (chunk: Buffer | string): void => {
    this.reader.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, this.handleItem);
  };

  private readonly handleError = (error: Error): void => {
    this.onerror?.(error);
  };

  /**
   * A client that went away (EPIPE) is not an error of the hangar: nothing can reach it any more, so what
   * waits for stdout to drain is let go and later sends are refused. The process's end is the serve
   * lifecycle's (stdin closes too).
   */
  private readonly handleOutputError = (error: Error): void => {
    if (!this.outputGone) this.options.logger?.debug('the client closed stdout', { code: (error as NodeJS.ErrnoException).code ?? null });
    this.outputGone = true;
    this.writer.release();
  };

  private readonly handleItem = (item: LineItem): void => {
    if (item.kind === 'oversized') {
      const id = findMessageId(item.head, item.tail);
      const limit = this.options.maxMessageBytes;
      this.options.logger?.warn('refused a message over the size limit', { bytes: item.bytes, limit, id: id ?? null });
      this.refuse(id, ErrorCode.InvalidRequest, `message of ${item.bytes} bytes exceeds the limit of ${limit} bytes (limits.max_message_bytes)`);
      return;
    }
    const text = item.text.trim();
    if (text.length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const id = findMessageId(text);
      this.options.logger?.warn('refused a line that is not JSON', { line: preview(text), error: (error as Error).message, id: id ?? null });
      this.refuse(id, ErrorCode.ParseError, 'Parse error: the message is not valid JSON');
      return;
    }
    if (Array.isArray(value)) {
      this.options.logger?.warn('refused a JSON-RPC batch', { messages: value.length });
      for (const element of value) {
        const id = (element as { id?: unknown } | null)?.id;
        this.refuse(
          isRequestId(id) ? id : undefined,
          ErrorCode.InvalidRequest,
          'Invalid Request: JSON-RPC batches are not supported; send one message per line',
        );
      }
      return;
    }
    if (!isJsonRpcMessage(value)) {
      const id = (value as { id?: unknown } | null)?.id;
      this.options.logger?.warn('refused a message that is not a JSON-RPC 2.0 message', { line: preview(text) });
      this.refuse(isRequestId(id) ? id : undefined, ErrorCode.InvalidRequest, 'Invalid Request: not a JSON-RPC 2.0 request, notification or response');
      return;
    }
    this.onmessage?.(value);
  };

  /** Answers a message that cannot be served, when it has an id to answer; one without is only logged. */
  private refuse(id: RequestId | undefined, code: number, message: string): void {
    if (id === undefined) return;
    void this.send({ jsonrpc: '2.0', id, error: { code, message } }).catch(() => undefined);
  }
}
