import type { ChainHead } from './event-store.js';

/** Where an export ends: before a global position, or before an ISO time. */
export type ExportBefore = { readonly position: number } | { readonly at: string };

/** An export written: its file and the range of positions it holds. */
export interface ExportSummary {
  /** Absolute path of the file. */
  readonly path: string;
  readonly from: number;
  readonly to: number;
  readonly count: number;
  /** The hash the first row links to (the genesis hash when `from` is 1). */
  readonly previousHash: string;
  /** The hash of row `to`. */
  readonly lastHash: string;
  /** Hex SHA-256 of the whole file. */
  readonly sha256: string;
  /** ISO time the export was made. */
  readonly createdAt: string;
  /** Where the log of exports is (a line was appended for this one). */
  readonly log: string;
}

/** Why an export was not written (no file is left behind). */
export type ExportRefusal =
  /** The output file exists: exports never overwrite. */
  | { readonly kind: 'exists'; readonly path: string }
  /** No event before that point. */
  | { readonly kind: 'nothing' }
  /** The chain is broken inside the range: an export must verify on its own. */
  | { readonly kind: 'broken'; readonly position: number; readonly reason: string };

export type ExportOutcome = { readonly ok: true; readonly summary: ExportSummary } | ({ readonly ok: false } & ExportRefusal);

/** What verifying an export file found. */
export type ExportVerification =
  | {
      readonly ok: true;
      readonly from: number;
      readonly to: number;
      readonly count: number;
      readonly lastHash: string;
      readonly createdAt: string;
      /** The heads given to check against the export, each held by it. */
      readonly anchors: readonly ChainHead[];
    }
  | {
      readonly ok: false;
      /** 1-based line of the file (1 is the header); undefined when the problem is the file as a whole. */
      readonly line: number | undefined;
      readonly position: number | undefined;
      readonly reason: string;
    };
