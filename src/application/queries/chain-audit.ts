import type { AnchorProblem, AnchorRecord, ChainAnchors, ChainBreak } from '../ports/chain-anchors.js';
import type { ChainHead, ChainVerification, EventStore } from '../ports/event-store.js';

/** What checking the chain needs of a store (any store: none of it depends on the event types). */
export type ChainReader = Pick<EventStore, 'verifyChain' | 'hashAt' | 'lastPosition'>;

/**
 * The integrity of the hash chain, checked against the anchors kept next to the store.
 *
 * - The chain alone shows a row altered or deleted; an anchor (a head `position:hash` written down outside
 *   the store) also shows that the newest rows were cut off, or a row replaced by a rewritten tail.
 * - An accepted break (a hangar was told to serve on a broken chain, `serve --accept-broken-chain`) is
 *   written to the anchor list as an acceptance record, after ChainBreakAccepted was recorded in the log.
 *   Verification passes over an accepted break — it goes on from the row the break was found at — and an
 *   acceptance forgives the anchors written before it at or after the accepted position (the rows a
 *   truncation removed, or that were written again since). Nothing else is forgiven.
 */

/** The most breaks a check collects before it stops looking (a store with more is not a log to serve from). */
export const MAX_BREAKS = 100;

/** `position:hash`, as `audit anchor` prints a head and `audit verify --anchor` takes one. */
export const formatHead = (head: ChainHead): string => `${head.position}:${head.hash}`;

/** Reads `position:hash` (64 hex digits); undefined when it is not one. */
export const parseHead = (text: string): ChainHead | undefined => {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  return match === null ? undefined : { position: Number(match[1]), hash: match[2] as string };
};

const short = (hash: string): string => `${hash.slice(0, 12)}…`;

/** The anchor named in messages: `1000:ab12cd34ef56… (2026-01-01T10:00:00.000Z)`. */
export const describeAnchor = (record: AnchorRecord): string => `${record.head.position}:${short(record.head.hash)} (anchored ${record.at})`;

/**
 * Whether the store still holds `head`: undefined when it does, else why not (the row is missing, and where
 * the store ends when it ends before it; or the row holds another hash).
 */
export const anchorNotHeld = async (store: ChainReader, head: ChainHead): Promise<string | undefined> => {
  if (head.position === 0) return undefined; // the genesis is held by every store
  const stored = await store.hashAt(head.position);
  if (stored === head.hash) return undefined;
  if (stored !== undefined) return `row ${head.position} holds the hash ${short(stored)}, not ${short(head.hash)} (replaced)`;
  const last = await store.lastPosition();
  return last < head.position
    ? `row ${head.position} is missing: the store ends at position ${last} (its newest events were removed)`
    : `row ${head.position} is missing (deleted)`;
};

/** Follows a verification past each break it finds, collecting them, until the head or MAX_BREAKS. */
const collectBreaks = async (
  store: ChainReader,
  first: ChainVerification,
  onBreak: (found: ChainBreak) => boolean,
): Promise<{ count: number; stoppedAt?: ChainBreak }> => {
  let result = first;
  let count = 0;
  for (;;) {
    count += result.count;
    if (result.ok) return { count };
    const found = { position: result.position, reason: result.reason };
    if (!onBreak(found) || result.resumeAt === undefined) return { count, stoppedAt: found };
    result = await store.verifyChain(result.resumeAt);
  }
};

/** What the boot check found. */
export interface BootCheck {
  /** Every break found from the last anchor still held to the head (at most MAX_BREAKS); empty when intact. */
  readonly breaks: readonly ChainBreak[];
  /** True when there were more than MAX_BREAKS breaks (the check stopped looking). */
  readonly tooMany: boolean;
  /** The anchor the check started from; undefined when it verified the whole chain (no anchor yet, or none held). */
  readonly from: AnchorRecord | undefined;
  /** Whether there was an anchor list at all. */
  readonly anchored: boolean;
  /** Rows verified. */
  readonly count: number;
  /** The head verified up to, when the chain is intact: what to anchor. */
  readonly head: ChainHead | undefined;
  /** Lines of the anchor list that are not anchors (skipped). */
  readonly problems: readonly AnchorProblem[];
}

/**
 * The check a hangar runs before it writes anything: verifies the chain from the newest anchor the store
 * still holds (among those written since the last acceptance) to the head, so that it costs the rows
 * written since the last anchor, not the whole log. An anchor no longer held is a break at its position
 * (a truncation, or a row deleted or replaced); the check then verifies from an older anchor (or the
 * genesis) so that what came after is checked too. With no anchor list yet it verifies the whole chain.
 */
export const checkChainAtBoot = async (store: ChainReader, anchors: ChainAnchors): Promise<BootCheck> => {
  const list = await anchors.read();
  const lastAcceptance = list.records.findLastIndex((r) => r.acceptedBreak !== undefined);
  const candidates = list.records.slice(Math.max(0, lastAcceptance)).sort((a, b) => b.head.position - a.head.position);
  const breaks: ChainBreak[] = [];
  let from: AnchorRecord | undefined;
  let first: ChainVerification | undefined;
  let gone: ChainBreak | undefined;
  for (const candidate of candidates) {
    const result = await store.verifyChain(candidate.head);
    if (!result.ok && result.count === 0 && result.position === candidate.head.position) {
      gone = { position: candidate.head.position, reason: `the anchored head ${describeAnchor(candidate)} is no longer in the store: ${result.reason}` };
      continue;
    }
    from = candidate;
    first = result;
    break;
  }
  if (gone !== undefined) breaks.push(gone);
  first ??= await store.verifyChain();
  let tooMany = false;
  const { count } = await collectBreaks(store, first, (found) => {
    if (found.position !== gone?.position) breaks.push(found);
    tooMany = breaks.length > MAX_BREAKS;
    return !tooMany;
  });
  let head: ChainHead | undefined;
  if (breaks.length === 0 && count === 0)
    head = from?.head; // nothing after the anchor (or an empty store)
  else if (breaks.length === 0) {
    const position = (from?.head.position ?? 0) + count;
    const hash = await store.hashAt(position);
    head = hash === undefined ? undefined : { position, hash };
  }
  return { breaks: breaks.slice(0, MAX_BREAKS), tooMany, from, anchored: list.exists, count, head, problems: list.problems };
};

/**
 * Thrown at boot when the chain is broken and the hangar was not told to serve anyway: nothing was written.
 * The serving interface says where, why and how to proceed.
 */
export class ChainBrokenError extends Error {
  override readonly name = 'ChainBrokenError';
  constructor(
    readonly check: BootCheck,
    /** Where the anchors are kept. */
    readonly anchors: string,
  ) {
    const first = check.breaks[0];
    super(`the hash chain of the event store is broken${first === undefined ? '' : ` at position ${first.position}: ${first.reason}`}`);
  }
}

/** An anchor the store no longer holds, and why; `forgiven` when an acceptance written after it covers it. */
export interface AnchorFailure {
  readonly record: AnchorRecord;
  readonly reason: string;
}

/** A head given on the command line (`audit verify --anchor`), checked strictly: no acceptance forgives it. */
export interface GivenAnchor {
  readonly head: ChainHead;
  /** Undefined when the store holds it. */
  readonly notHeld: string | undefined;
}

/** What `audit verify` found. */
export interface ChainAudit {
  /** The chain is intact but for accepted breaks, every anchor is held (or forgiven), and every given anchor is held. */
  readonly ok: boolean;
  /** Rows whose link was verified. */
  readonly count: number;
  /** The first break no acceptance covers (verification stops there). */
  readonly broken: ChainBreak | undefined;
  /** Breaks passed over, each with the acceptance that covers it. */
  readonly accepted: readonly (ChainBreak & { readonly acceptedAt: string })[];
  readonly anchors: {
    readonly location: string;
    readonly exists: boolean;
    /** Anchors (acceptance records included) the store still holds. */
    readonly held: number;
    /** Anchors not held, but covered by a later acceptance. */
    readonly forgiven: number;
    readonly failed: readonly AnchorFailure[];
    readonly problems: readonly AnchorProblem[];
    /** The newest anchor (by position) the store holds. */
    readonly latest: AnchorRecord | undefined;
  };
  readonly given: readonly GivenAnchor[];
}

/**
 * The whole audit: the chain from the genesis to the head (passing over accepted breaks), every anchor of
 * the anchor list, and the heads given.
 */
export const auditChain = async (store: ChainReader, anchors: ChainAnchors, given: readonly ChainHead[] = []): Promise<ChainAudit> => {
  const list = await anchors.read();
  const acceptances = list.records.flatMap((record, index) => (record.acceptedBreak === undefined ? [] : [{ index, record, at: record.at }]));
  const acceptedAt = new Map(acceptances.map((a) => [a.record.acceptedBreak?.position, a.at]));
  const accepted: (ChainBreak & { acceptedAt: string })[] = [];
  const { count, stoppedAt } = await collectBreaks(store, await store.verifyChain(), (found) => {
    const at = acceptedAt.get(found.position);
    if (at === undefined) return false;
    accepted.push({ ...found, acceptedAt: at });
    return true;
  });
  const broken = stoppedAt !== undefined && !accepted.some((a) => a.position === stoppedAt.position) ? stoppedAt : undefined;

  let held = 0;
  let forgiven = 0;
  let latest: AnchorRecord | undefined;
  const failed: AnchorFailure[] = [];
  for (const [index, record] of list.records.entries()) {
    const notHeld = await anchorNotHeld(store, record.head);
    if (notHeld === undefined) {
      held++;
      if (latest === undefined || record.head.position >= latest.head.position) latest = record;
    } else if (acceptances.some((a) => a.index > index && (a.record.acceptedBreak?.position ?? Infinity) <= record.head.position)) {
      forgiven++;
    } else {
      failed.push({ record, reason: notHeld });
    }
  }
  const givenAnchors: GivenAnchor[] = [];
  for (const head of given) givenAnchors.push({ head, notHeld: await anchorNotHeld(store, head) });
  return {
    ok: broken === undefined && failed.length === 0 && list.problems.length === 0 && givenAnchors.every((g) => g.notHeld === undefined),
    count,
    broken,
    accepted,
    anchors: { location: anchors.location, exists: list.exists, held, forgiven, failed, problems: list.problems, latest },
    given: givenAnchors,
  };
};
