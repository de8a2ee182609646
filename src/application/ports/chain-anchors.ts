import type { ChainHead } from './event-store.js';

/** A break of the hash chain: where, and why (a row altered or deleted, an anchored head no longer held). */
export interface ChainBreak {
  readonly position: number;
  readonly reason: string;
}

/**
 * One record of the anchor list: the store held the row `head` at time `at`. An acceptance record is
 * written after a hangar was told to serve on a broken chain: `head` is the head once the acceptance was
 * recorded in the log (ChainBreakAccepted), and `acceptedBreak` the break it accepted.
 */
export interface AnchorRecord {
  readonly head: ChainHead;
  /** ISO time it was taken. */
  readonly at: string;
  readonly acceptedBreak?: ChainBreak | undefined;
}

/** A line of the anchor list that is not a record: reported by `audit verify`, skipped at boot. */
export interface AnchorProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly message: string;
}

/** What the anchor list holds. `exists` is false when none was ever written. */
export interface AnchorList {
  readonly exists: boolean;
  readonly records: readonly AnchorRecord[];
  readonly problems: readonly AnchorProblem[];
}

/**
 * The anchors taken of one event store's hash chain, kept outside it (a file next to the store): append
 * only, each append durable once it resolves. An anchor lets a later check see that the store still holds
 * that head — the one thing the chain alone cannot show is that its newest rows were cut off.
 */
export interface ChainAnchors {
  /** Where the anchors are kept, for messages (a file path). */
  readonly location: string;
  read(): Promise<AnchorList>;
  /** Appends the records in order; resolves once they are durable. */
  append(records: readonly AnchorRecord[]): Promise<void>;
}
