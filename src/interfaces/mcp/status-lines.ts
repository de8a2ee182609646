import type { StatusRow } from '../../application/queries/status-dashboard.js';
import type { LastError } from '../../domain/provider/state.js';

/** What a provider's tools are while nobody knows them: never started, none predefined in the config. */
export const TOOLS_UNKNOWN = 'tools unknown until first start';

/** A failed start in one line: what happened, then what to do about it. */
export const startFailureText = (failure: LastError): string => `last start failed: ${failure.message}${failure.hint ? ` — hint: ${failure.hint}` : ''}`;

const ago = (iso: string | null, nowMs: number): string => {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};
const until = (iso: string, nowMs: number): string => `${Math.max(0, Math.ceil((Date.parse(iso) - nowMs) / 1000))}s`;

/** One dashboard line, e.g. `✅ math  ready  last: 2s ago`. */
const statusLine = (row: StatusRow, nowMs: number): string => {
  const c = row.circuit;
  const circuit = c.status === 'open' ? `  ⛔ circuit open, probe in ${until(c.probeAt, nowMs)}` : c.status === 'half_open' ? '  ⛔ circuit half-open' : '';
  switch (row.status) {
    case 'ready':
      return `✅ ${row.id}  ready  last: ${ago(row.lastUsedAt, nowMs)}${circuit}`;
    case 'cold':
      if (row.startFailure) return `❌ ${row.id}  cold  ${startFailureText(row.startFailure)}; next call tries again${circuit}`;
      return `⏸️ ${row.id}  cold  Will start on request${row.toolsKnown ? '' : ` (${TOOLS_UNKNOWN})`}${circuit}`;
    case 'initializing':
      return `🔄 ${row.id}  initializing  Starting...${circuit}`;
    case 'degraded': {
      const retry = row.retryAt && Date.parse(row.retryAt) > nowMs ? `retry in ${until(row.retryAt, nowMs)}` : 'will retry on request';
      const why = row.startFailure ? startFailureText(row.startFailure) : row.lastError?.message;
      return `⚠️ ${row.id}  degraded  ${retry}${why ? ` — ${why}` : ''}${circuit}`;
    }
    case 'dead':
      return `💀 ${row.id}  dead  crashed ${ago(row.lastEventAt, nowMs)}; restarts on request${circuit}`;
  }
};

/** The whole dashboard text. */
export const statusText = (rows: readonly StatusRow[], nowMs: number): string =>
  rows.length === 0 ? 'No providers registered.' : rows.map((row) => statusLine(row, nowMs)).join('\n');
