import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

/** A JSON-RPC request or notification as the fake provider received it. */
export interface Received {
  readonly jsonrpc: '2.0';
  readonly id?: string | number;
  readonly method: string;
  readonly params?: Record<string, unknown>;
}

/** Answers a request (or stays silent: a request nobody answers hangs). */
export type Handler = (request: Received, provider: FakeProvider) => void;

/** What the fake says about itself; every field optional. */
export interface FakeProviderOptions {
  /** Tools for `tools/list`, served in pages of `pageSize` (default all at once). */
  readonly tools?: readonly Record<string, unknown>[];
  readonly pageSize?: number;
}

/**
 * The provider's end of a pair of byte streams, in-process: it reads the hangar's newline-delimited
 * JSON-RPC from `stdin`, answers `initialize`, `tools/list` and `ping`, and answers other methods with the
 * handlers a test registers. It writes raw lines, so a test controls chunking and order exactly.
 */
export class FakeProvider {
  /** The hangar writes here. */
  readonly stdin = new PassThrough();
  /** The fake writes here. */
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  /** Every request and notification received, in order. */
  readonly received: Received[] = [];
  stdinEnded = false;
  private readonly handlers = new Map<string, Handler>();
  private buffered = '';

  constructor(options: FakeProviderOptions = {}) {
    const tools = options.tools ?? [{ name: 'echo', inputSchema: { type: 'object' } }];
    const pageSize = options.pageSize ?? tools.length;
    this.on('initialize', (r) =>
      this.result(r, { protocolVersion: r.params?.['protocolVersion'], capabilities: { tools: {} }, serverInfo: { name: 'fake', version: '1.0.0' } }),
    );
    this.on('tools/list', (r) => {
      const start = Number(r.params?.['cursor'] ?? 0);
      const next = start + pageSize;
      this.result(r, { tools: tools.slice(start, next), ...(next < tools.length ? { nextCursor: String(next) } : {}) });
    });
    this.on('ping', (r) => this.result(r, {}));
    this.stdin.on('data', (chunk: Buffer) => this.read(chunk.toString('utf8')));
    this.stdin.on('end', () => (this.stdinEnded = true));
  }

  /** Answers `method` with `handler` from now on (replacing the default for initialize, tools/list, ping). */
  on(method: string, handler: Handler): this {
    this.handlers.set(method, handler);
    return this;
  }

  /** The result line for `request`. */
  resultLine(request: Received, result: unknown): string {
    return JSON.stringify({ jsonrpc: '2.0', id: request.id, result }) + '\n';
  }

  result(request: Received, result: unknown): void {
    this.write(this.resultLine(request, result));
  }

  error(request: Received, code: number, message: string): void {
    this.write(JSON.stringify({ jsonrpc: '2.0', id: request.id, error: { code, message } }) + '\n');
  }

  /** A `notifications/progress` line for `request` (which must carry a progress token). */
  progressLine(request: Received, progress: number, total?: number): string {
    const progressToken = (request.params?.['_meta'] as { progressToken?: unknown } | undefined)?.progressToken;
    const params = { progressToken, progress, ...(total !== undefined ? { total } : {}) };
    return JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params }) + '\n';
  }

  /** Writes raw text on the provider's stdout, as one chunk. */
  write(text: string): void {
    this.stdout.write(text);
  }

  /** Waits until a received message matches; fails after `ms`. */
  async waitFor(check: (message: Received) => boolean, ms = 2000): Promise<Received> {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(5)) {
      const found = this.received.find(check);
      if (found) return found;
    }
    throw new Error(`the fake provider never received the expected message; got ${this.received.map((m) => m.method).join(', ')}`);
  }

  private read(text: string): void {
    this.buffered += text;
    for (let nl = this.buffered.indexOf('\n'); nl !== -1; nl = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const message = JSON.parse(line) as Received;
      this.received.push(message);
      if (message.id !== undefined) this.handlers.get(message.method)?.(message, this);
    }
  }
}
