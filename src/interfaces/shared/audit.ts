import type { InvocationPage, InvocationRecord } from '../../application/ports/invocation-audit.js';

/** One recorded call in wire shape (snake_case): the `registry_audit` rows and `mcp-hangar audit --json`. */
export const invocationDto = (r: InvocationRecord) => ({
  position: r.position,
  occurred_at: r.occurredAt,
  provider: r.provider,
  instance: r.instance,
  tool: r.tool,
  outcome: r.outcome,
  duration_ms: r.durationMs,
  caller: r.caller,
  correlation_id: r.correlationId,
  // Recorded in full (`audit.record_arguments: full`): the redacted JSON text, maybe cut; else null.
  arguments: r.arguments === null ? null : { json: r.arguments.json, truncated: r.arguments.truncated, bytes: r.arguments.bytes },
  arguments_digest: r.argumentsDigest,
});

/** A page of recorded calls in wire shape, with the cursor of the next page (`before`). */
export const auditPageDto = (page: InvocationPage) => ({
  invocations: page.invocations.map(invocationDto),
  next_before: page.nextBefore,
});

const duration = (ms: number): string => (Number.isFinite(ms) ? `${ms < 10 ? Number(ms.toFixed(1)) : Math.round(ms)} ms` : '-');

/** The widest arguments text a table row shows; --json and --csv carry all of it. */
const ARGUMENTS_SHOWN = 80;

/** The arguments as a table shows them: the recorded JSON (cut to fit; `…` when cut here or when recording), else the digest. */
const argumentsText = (r: InvocationRecord): string => {
  if (r.arguments !== null) {
    const { json, truncated } = r.arguments;
    return json.length > ARGUMENTS_SHOWN ? `${json.slice(0, ARGUMENTS_SHOWN - 1)}…` : truncated ? `${json}…` : json;
  }
  return r.argumentsDigest === null ? '-' : `digest ${r.argumentsDigest.slice(0, 12)}`;
};

const HEADER = ['POSITION', 'TIME', 'PROVIDER', 'TOOL', 'OUTCOME', 'DURATION', 'CALLER', 'CORRELATION ID', 'ARGUMENTS'] as const;

/**
 * Recorded calls as an aligned table, newest first, one per line (the CLI's `audit` and the `registry_audit`
 * tool's text). The provider is shown with the instance that served the call (`math@1`).
 */
export const formatInvocations = (page: InvocationPage): string => {
  if (page.invocations.length === 0) return 'No recorded tool calls match.';
  const rows = page.invocations.map((r) => [
    `#${r.position}`,
    r.occurredAt,
    r.instance === null ? r.provider : `${r.provider}@${r.instance}`,
    r.tool,
    r.outcome,
    duration(r.durationMs),
    r.caller ?? '-',
    r.correlationId ?? '-',
    argumentsText(r),
  ]);
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(HEADER), ...rows.map(line)].join('\n');
};

/** RFC 4180: a field with a comma, a double quote or a line break is quoted, its quotes doubled. */
const csvField = (value: string | number | boolean | null): string => {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

const CSV_COLUMNS = [
  'position',
  'occurred_at',
  'provider',
  'instance',
  'tool',
  'outcome',
  'duration_ms',
  'caller',
  'correlation_id',
  'arguments',
  'arguments_truncated',
  'arguments_bytes',
  'arguments_digest',
] as const;

/**
 * Recorded calls as CSV (RFC 4180): a header line, then one record per call, every line ended by CRLF;
 * empty fields for absent values. `arguments` is the recorded JSON text as it is.
 */
export const invocationsCsv = (page: InvocationPage): string => {
  const records = page.invocations.map((r) =>
    [
      r.position,
      r.occurredAt,
      r.provider,
      r.instance,
      r.tool,
      r.outcome,
      r.durationMs,
      r.caller,
      r.correlationId,
      r.arguments?.json ?? null,
      r.arguments?.truncated ?? null,
      r.arguments?.bytes ?? null,
      r.argumentsDigest,
    ]
      .map(csvField)
      .join(','),
  );
  return [CSV_COLUMNS.join(','), ...records].map((record) => `${record}\r\n`).join('');
};
