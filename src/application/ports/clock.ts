import type { CancelSignal } from './cancel-signal.js';
/** The application's only source of time. Tests inject a clock they move by hand. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Runs a function repeatedly; tests replace it with one they drive by hand. */
export interface Scheduler {
  /** Calls `fn` every `intervalMs` until the returned function is called. Never keeps the process alive. */
  every(intervalMs: number, fn: () => void): () => void;
  /** Resolves after `ms`; rejects at once when `signal` aborts. Never keeps the process alive longer than needed. */
  delay(ms: number, signal?: CancelSignal): Promise<void>;
}

/** Fresh ids and randomness, injected so that tests are repeatable. */
export interface IdGenerator {
  /** A new correlation id (unique, opaque). */
  correlationId(): string;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

/** Short, stable fingerprints of JSON values (arguments digests, config and tool-list digests). */
export interface Hasher {
  /** A hex digest of the value's JSON form; equal values give equal digests. */
  digest(value: unknown): string;
  /** The same digest of a value whose JSON form is already at hand: `digestJson(JSON.stringify(v)) === digest(v)`. */
  digestJson(json: string): string;
}
