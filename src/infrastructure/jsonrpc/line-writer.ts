import type { Writable } from 'node:stream';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Writes newline-delimited messages to a stream (a client's stdout, a provider's stdin). The lines written
 * in one turn of the event loop leave in one write: the stream is corked at the first and uncorked in a
 * `process.nextTick`, which, queued from a microtask, runs once all of the turn's microtasks have run — so
 * the answers and requests of one turn share a `writev`, and a lone line waits for nothing.
 */
export class LineWriter {
  private corked = false;
  private drained: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly output: Writable) {
    output.on('drain', this.release);
  }

  /**
   * Writes `line` (with its newline). Resolves at once, or, when the stream's buffer is full, once it has
   * drained (backpressure: a caller that awaits it does not pile up more).
   */
  write(line: string): Promise<void> {
    if (!this.corked) {
      this.corked = true;
      this.output.cork();
      process.nextTick(this.uncork);
    }
    if (this.output.write(line) && this.drained === null) return RESOLVED;
    return (this.drained ??= new Promise<void>((resolve) => (this.wake = resolve)));
  }

  /** Lets every caller waiting for a drain go (it drained, or the stream is gone and never will). */
  readonly release = (): void => {
    const wake = this.wake;
    this.drained = null;
    this.wake = null;
    wake?.();
  };

  private readonly uncork = (): void => {
    this.corked = false;
    this.output.uncork();
  };
}
