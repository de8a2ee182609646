/** What a {@link LineReader} makes of its input: complete lines, and lines too long to keep. */
export type LineItem =
  | { readonly kind: 'line'; readonly text: string }
  /**
   * A line longer than the limit: only its first and last bytes were kept (enough to find a JSON-RPC id
   * at either end), the rest was dropped as it arrived.
   */
  | { readonly kind: 'oversized'; readonly bytes: number; readonly head: string; readonly tail: string };

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into newline-delimited lines without ever holding more than `maxLineBytes` of one
 * line: past the limit the line is skipped as it streams in, keeping only its first and last `keepBytes`.
 * A reader that skips an oversized message this way can still answer it: the official MCP SDK writes a
 * request's `id` after its `params`, other writers before them.
 */
export class LineReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Set while skipping an oversized line. */
  private skipping: { bytes: number; head: Buffer; tail: Buffer } | null = null;

  constructor(
    private readonly maxLineBytes: number,
    private readonly keepBytes = 1024,
  ) {}

  /** Feeds a chunk; `emit` gets every line it completes, in order. */
  push(chunk: Buffer, emit: (item: LineItem) => void): void {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    while (newline !== -1) {
      this.finish(chunk.subarray(start, newline), emit);
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) this.keep(chunk.subarray(start));
  }

  /** At the end of the input: the last line, if it had no newline. */
  end(emit: (item: LineItem) => void): void {
    if (this.pendingBytes > 0 || this.skipping !== null) this.finish(Buffer.alloc(0), emit);
  }

  /** Drops whatever is buffered. */
  reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = null;
  }

  private finish(last: Buffer, emit: (item: LineItem) => void): void {
    if (this.skipping === null && this.pendingBytes + last.length <= this.maxLineBytes) {
      // The common case, a line within one chunk, copies nothing.
      const text = this.pendingBytes === 0 ? last.toString('utf8') : Buffer.concat([...this.pending, last], this.pendingBytes + last.length).toString('utf8');
      this.pending = [];
      this.pendingBytes = 0;
      emit({ kind: 'line', text });
      return;
    }
    this.keep(last);
    const skipped = this.skipping ?? { bytes: 0, head: Buffer.alloc(0), tail: Buffer.alloc(0) };
    this.skipping = null;
    emit({ kind: 'oversized', bytes: skipped.bytes, head: skipped.head.toString('utf8'), tail: skipped.tail.toString('utf8') });
  }

  private keep(part: Buffer): void {
    if (part.length === 0) return;
    if (this.skipping === null && this.pendingBytes + part.length <= this.maxLineBytes) {
      this.pending.push(part);
      this.pendingBytes += part.length;
      return;
    }
    if (this.skipping === null) {
      // Over the limit: from here on keep only the ends of the line.
      const sofar = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.skipping = { bytes: sofar.length, head: Buffer.from(sofar.subarray(0, this.keepBytes)), tail: this.tailOf(sofar) };
    }
    const skipping = this.skipping;
    skipping.bytes += part.length;
    if (skipping.head.length < this.keepBytes) skipping.head = Buffer.concat([skipping.head, part.subarray(0, this.keepBytes - skipping.head.length)]);
    skipping.tail = this.tailOf(Buffer.concat([skipping.tail, part.length > this.keepBytes ? part.subarray(part.length - this.keepBytes) : part]));
  }

  private tailOf(bytes: Buffer): Buffer {
    return Buffer.from(bytes.length > this.keepBytes ? bytes.subarray(bytes.length - this.keepBytes) : bytes);
  }
}
