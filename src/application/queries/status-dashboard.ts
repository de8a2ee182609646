import type { Clock } from '../ports/clock.js';
import type { CatalogEntry, ProviderCatalog } from '../projections/provider-catalog.projection.js';
import type { RegisteredProviderState } from '../../domain/provider/state.js';

const ago = (iso: string | null, nowMs: number): string => {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
};
const until = (iso: string, nowMs: number): string => `${Math.max(0, Math.ceil((Date.parse(iso) - nowMs) / 1000))}s`;

const line = (e: CatalogEntry & { readonly state: RegisteredProviderState }, nowMs: number): string => {
  const s = e.state;
  const circuit =
    s.circuit.status === 'open'
      ? `  ⛔ circuit open, probe in ${until(s.circuit.probeAt, nowMs)}`
      : s.circuit.status === 'half_open'
        ? '  ⛔ circuit half-open'
        : '';
  switch (s.status) {
    case 'ready':
      return `✅ ${e.id}  ready  last: ${ago(e.lastUsedAt ?? e.startedAt, nowMs)}${circuit}`;
    case 'cold':
      return `⏸️ ${e.id}  cold  Will start on request${circuit}`;
    case 'initializing':
      return `🔄 ${e.id}  initializing  Starting...${circuit}`;
    case 'degraded':
      return `⚠️ ${e.id}  degraded  ${Date.parse(s.retryAt) > nowMs ? `retry in ${until(s.retryAt, nowMs)}` : 'will retry on request'}${s.lastError ? ` — ${s.lastError.message}` : ''}${circuit}`;
    case 'dead':
      return `💀 ${e.id}  dead  crashed ${ago(e.lastEventAt, nowMs)}; restarts on request${circuit}`;
  }
};

/** registry_status: one line per provider, e.g. `✅ math  ready  last: 2s ago`. */
export const statusDashboard = (deps: { readonly catalog: ProviderCatalog; readonly clock: Clock }) => (): string => {
  const entries = deps.catalog.list();
  if (entries.length === 0) return 'No providers registered.';
  const now = deps.clock.now();
  return entries.map((e) => line(e, now)).join('\n');
};
