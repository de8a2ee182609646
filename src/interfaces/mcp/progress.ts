import type { ProgressUpdate } from '../../application/ports/provider-runtime.js';

/** Progress stages of registry_invoke_stream, in the order a call passes them. */
export type Stage = 'cold_start' | 'launching' | 'ready' | 'executing' | 'retrying' | 'complete' | 'failed';

const PROGRESS_TOTAL = 100;
const CEILING = 99;
const STAGE_AT: Record<Stage, number> = { cold_start: 5, launching: 10, ready: 30, executing: 40, retrying: 0, complete: 100, failed: 100 };
const PROVIDER_FROM = 40;
/**
 * The SDK's client handles notifications a microtask later than responses: a progress notification
 * read in the same chunk as the result finds its handler already gone and is dropped. Pausing this long
 * after the final notification lets it reach the client in a read of its own.
 */
const FINAL_FLUSH_MS = 15;

/** Waits FINAL_FLUSH_MS (see above). */
export const flushProgress = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, FINAL_FLUSH_MS));
const PROVIDER_SPAN = 55;

type Send = (progress: number, total: number, message: string) => Promise<void>;

/**
 * Turns stages and the provider's own progress into MCP progress notifications that strictly increase
 * and never exceed the total: each stage has a target value, provider progress maps into 40-95, and a
 * value that would not move forward (a retry, a provider without a total) moves halfway to 99 instead.
 * `complete` and `failed` send 100, after which nothing more is sent.
 */
export class StageProgress {
  private last = 0;
  private done = false;

  constructor(
    private readonly send: Send,
    private readonly onSendError: (error: unknown) => void = () => undefined,
  ) {}

  /** Sends a stage. Await the final one (`complete`, `failed`) before answering: a client drops progress that arrives after the result. */
  stage(stage: Stage, text: string): Promise<void> {
    const final = stage === 'complete' || stage === 'failed';
    return this.emit(final ? PROGRESS_TOTAL : this.next(STAGE_AT[stage]), `[${stage}] ${text}`, final);
  }

  /** Relays a progress notification the provider sent for the call. */
  provider(update: ProgressUpdate): void {
    const target = update.total && update.total > 0 ? PROVIDER_FROM + PROVIDER_SPAN * Math.min(1, update.progress / update.total) : 0;
    const detail = update.message ?? `${update.progress}${update.total ? `/${update.total}` : ''}`;
    void this.emit(this.next(target), `[executing] ${detail}`, false);
  }

  private next(target: number): number {
    return target > this.last ? Math.min(target, CEILING) : this.last + (CEILING - this.last) / 2;
  }

  private emit(value: number, message: string, final: boolean): Promise<void> {
    if (this.done || value <= this.last) return Promise.resolve();
    this.last = value;
    this.done = final;
    const sent = this.send(value, PROGRESS_TOTAL, message).catch(this.onSendError);
    return final ? sent.then(flushProgress) : sent;
  }
}
