import type { Readable } from 'node:stream';

/** Limits of a {@link StderrTail}. */
export interface StderrTailOptions {
  /** Bytes kept (default 8 KiB). */
  readonly maxBytes?: number;
  /** Lines returned by `tail()` (default 50). */
  readonly maxLines?: number;
}

/**
 * The last few KiB of a provider's error output (a child's stderr, a container's stderr stream). Attached
 * streams are always drained, so a chatty provider never blocks on a full pipe; only the tail is kept.
 */
export class StderrTail {
  private readonly maxBytes: number;
  private readonly maxLines: number;
  private chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;
  private ended = false;
  private readonly endWaiters: Array<() => void> = [];

  constructor(options: StderrTailOptions = {}) {
    this.maxBytes = options.maxBytes ?? 8 * 1024;
    this.maxLines = options.maxLines ?? 50;
  }

  /** Drains `stream` into the tail until it ends; stream errors end the tail, they never throw. */
  attach(stream: Readable): void {
    stream.on('data', (chunk: Buffer | string) => this.push(chunk));
    stream.once('end', () => this.markEnded());
    stream.once('close', () => this.markEnded());
    stream.on('error', () => this.markEnded());
  }

  /** Appends a chunk, dropping the oldest bytes beyond the limit. */
  push(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.total += buf.length;
    if (buf.length >= this.maxBytes) {
      this.chunks = [Buffer.from(buf.subarray(buf.length - this.maxBytes))];
      this.kept = this.maxBytes;
      return;
    }
    this.chunks.push(buf);
    this.kept += buf.length;
    // Compact lazily (at twice the limit) so a flood costs O(bytes), not O(bytes x chunks).
    if (this.kept > 2 * this.maxBytes) this.compact();
  }

  /** The last lines (at most `maxLines`, at most `maxBytes`), without a trailing newline. */
  tail(): string {
    this.compact();
    if (this.chunks.length === 0) return '';
    let text = (this.chunks[0] as Buffer).toString('utf8');
    // A cut through a multi-byte character decodes as U+FFFD at the start: drop it.
    if (this.total > this.kept) text = text.replace(/^\uFFFD+/, '');
    // trimEnd, not /\s+$/: that regex backtracks quadratically over a long run of blanks followed by a non-blank.
    text = text.trimEnd();
    const lines = text.split('\n');
    return lines.length > this.maxLines ? lines.slice(-this.maxLines).join('\n') : text;
  }

  /** Resolves when the stream ended, or after `maxWaitMs`, whichever comes first. */
  whenEnded(maxWaitMs: number): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs);
      this.endWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private markEnded(): void {
    if (this.ended) return;
    this.ended = true;
    for (const wake of this.endWaiters.splice(0)) wake();
  }

  private compact(): void {
    if (this.chunks.length === 0) return;
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.kept);
    const cut = all.length > this.maxBytes ? all.subarray(all.length - this.maxBytes) : all;
    // Copy so the tail does not pin a large chunk it was sliced from.
    this.chunks = [cut.length === all.length ? cut : Buffer.from(cut)];
    this.kept = cut.length;
  }
}
