/**
 * What a call needs of a cancellation signal: an `AbortSignal` has it, and so does the lean lane's lighter
 * one (no EventTarget behind it), which a tool call on the hot path gets instead of an AbortController.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { readonly once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
