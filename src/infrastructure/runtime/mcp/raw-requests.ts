import type { CancelSignal } from '../../../application/ports/cancel-signal.js';
import type { ProgressUpdate } from '../../../application/ports/provider-runtime.js';

/** Why a request failed, by kind. */
export type RequestFailure =
  /** No answer within the deadline; the request was cancelled at the provider. */
  | { readonly kind: 'timeout' }
  /** The caller aborted; the request was cancelled at the provider. */
  | { readonly kind: 'cancelled' }
  /** The provider answered with a JSON-RPC error or a malformed result; the session is still open. */
  | { readonly kind: 'refused'; readonly invalidParams: boolean; readonly message: string }
  /** The session closed before an answer came (see `closeReason`). */
  | { readonly kind: 'closed' }
  /** The answer was longer than the session keeps; it was dropped, the session is still open. */
  | { readonly kind: 'too_large'; readonly bytes: number; readonly limitBytes: number };

/** A request's answer, or why there is none. */
export type RequestOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: RequestFailure };

/** A response as it came: the parsed message and the line it was read from. */
export interface RawResponse {
  readonly message: { readonly result?: unknown; readonly error?: unknown };
  readonly line: string;
}

export interface RawRequestOptions {
  readonly timeoutMs: number;
  readonly signal?: CancelSignal | undefined;
  readonly onProgress?: ((update: ProgressUpdate) => void) | undefined;
}

interface Pending {
  readonly id: number;
  readonly deadline: number;
  readonly settle: (outcome: RequestOutcome<RawResponse>) => void;
  readonly onProgress: ((update: ProgressUpdate) => void) | undefined;
  readonly signal: CancelSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/**
 * Ids of raw requests start here: far above the SDK client's own counter (initialize, tools/list, ping
 * count from 0), so that a response is told apart by its id alone.
 */
const FIRST_ID = 1_000_000_000;
const CLOSED: RequestOutcome<never> = { ok: false, failure: { kind: 'closed' } };
const TIMEOUT: RequestOutcome<never> = { ok: false, failure: { kind: 'timeout' } };
const CANCELLED: RequestOutcome<never> = { ok: false, failure: { kind: 'cancelled' } };

/**
 * Requests on the hot path (`tools/call`), written as JSON-RPC lines and matched to their responses by
 * id, without the SDK client's per-request machinery (schemas, a timer and an abort listener per request,
 * a progress handler map). Deadlines share one timer: armed for the earliest, left armed when calls end,
 * and re-armed for the earliest pending one when it fires, so that a call costs no timer of its own (the
 * timer holds the process open only while calls are pending). A caller's abort and a missed deadline both tell the provider (`notifications/cancelled`).
 * The transport hands every response, progress notification and oversized answer to {@link take},
 * {@link progress} and {@link oversized} before the SDK client sees it.
 */
export class RawRequests {
  private nextId = FIRST_ID;
  private readonly pending = new Map<number, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closed = false;

  /** `write` sends one line (with its newline); false when the session is closed. */
  constructor(private readonly write: (line: string) => boolean) {}

  /** Sends `method` with `params` (an object, serialised here) and resolves to the response, or why there is none. Never rejects. */
  request(method: string, params: Readonly<Record<string, unknown>>, options: RawRequestOptions): Promise<RequestOutcome<RawResponse>> {
    if (this.closed) return Promise.resolve(CLOSED);
    if (options.signal?.aborted) return Promise.resolve(CANCELLED);
    const id = this.nextId++;
    const body = options.onProgress === undefined ? params : { ...params, _meta: { progressToken: id } };
    if (!this.write(`{"jsonrpc":"2.0","id":${id},"method":${JSON.stringify(method)},"params":${JSON.stringify(body)}}\n`)) return Promise.resolve(CLOSED);
    return new Promise((settle) => {
      const signal = options.signal;
      const onAbort = signal === undefined ? undefined : () => this.cancel(id, CANCELLED, String(signal.reason));
      const deadline = performance.now() + options.timeoutMs;
      this.pending.set(id, { id, deadline, settle, onProgress: options.onProgress, signal, onAbort });
      if (onAbort !== undefined) signal?.addEventListener('abort', onAbort, { once: true });
      if (deadline < this.timerAt) this.arm(deadline);
      else if (this.pending.size === 1) this.timer?.ref();
    });
  }

  /** A response line: true when it answered one of ours (it is then settled, and for no one else). */
  take(id: unknown, message: RawResponse['message'], line: string): boolean {
    const call = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (call === undefined) return false;
    this.finish(call, { ok: true, value: { message, line } });
    return true;
  }

  /** A `notifications/progress` params: true when its token is one of ours. */
  progress(params: { readonly progressToken?: unknown; readonly progress?: unknown; readonly total?: unknown; readonly message?: unknown }): boolean {
    const call = typeof params.progressToken === 'number' ? this.pending.get(params.progressToken) : undefined;
    if (call === undefined) return false;
    if (typeof params.progress === 'number') {
      call.onProgress?.({
        progress: params.progress,
        ...(typeof params.total === 'number' ? { total: params.total } : {}),
        ...(typeof params.message === 'string' ? { message: params.message } : {}),
      });
    }
    return true;
  }

  /** An answer too long to keep: true when it answered one of ours (which then fails with too_large). */
  oversized(id: unknown, bytes: number, limitBytes: number): boolean {
    const call = typeof id === 'number' ? this.pending.get(id) : undefined;
    if (call === undefined) return false;
    this.finish(call, { ok: false, failure: { kind: 'too_large', bytes, limitBytes } });
    return true;
  }

  /** The session closed: every request in flight fails with `closed`, and later ones at once. */
  close(): void {
    this.closed = true;
    for (const call of [...this.pending.values()]) this.finish(call, CLOSED);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private cancel(id: number, outcome: RequestOutcome<RawResponse>, reason: string): void {
    const call = this.pending.get(id);
    if (call === undefined) return;
    this.finish(call, outcome);
    this.write(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":${JSON.stringify({ requestId: id, reason })}}\n`);
  }

  private finish(call: Pending, outcome: RequestOutcome<RawResponse>): void {
    this.pending.delete(call.id);
    if (call.onAbort !== undefined) call.signal?.removeEventListener('abort', call.onAbort);
    if (this.pending.size === 0) this.timer?.unref();
    call.settle(outcome);
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.expire, Math.max(0, at - performance.now()));
    if (this.pending.size === 0) this.timer.unref();
  }

  /** Fails the calls whose deadline has passed and re-arms for the earliest left. */
  private readonly expire = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const call of [...this.pending.values()]) {
      if (call.deadline <= now) this.cancel(call.id, TIMEOUT, `timed out after the call's deadline`);
      else next = Math.min(next, call.deadline);
    }
    if (next !== Infinity) this.arm(next);
  };
}
