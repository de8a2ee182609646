import type { Circuit } from '../../domain/provider/circuit-breaker.js';
import { pendingStartFailure, toolsKnown, type LastError, type RegisteredProviderState } from '../../domain/provider/state.js';
import type { Clock } from '../ports/clock.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';

/** One provider on the status dashboard: what each interface needs to render its line. */
export interface StatusRow {
  readonly id: string;
  readonly status: RegisteredProviderState['status'];
  /** When it was last used (or started), for ready providers; when its last event happened otherwise. */
  readonly lastUsedAt: string | null;
  readonly lastEventAt: string;
  /** When a degraded provider may start again. */
  readonly retryAt: string | null;
  readonly lastError: LastError | null;
  /** The failure of its last start, while it is cold or degraded because of it (with the hint). */
  readonly startFailure: LastError | null;
  /** False while it has never started and the config predefines no tools. */
  readonly toolsKnown: boolean;
  readonly circuit: Circuit;
}

/** The status dashboard: one row per provider of this instance, in id order, as of `atMs`. */
export const statusDashboard =
  (deps: { readonly catalog: ProviderCatalog; readonly clock: Clock }) => (): { readonly atMs: number; readonly rows: readonly StatusRow[] } => ({
    atMs: deps.clock.now(),
    rows: deps.catalog.list().map((e) => ({
      id: e.id,
      status: e.state.status,
      lastUsedAt: e.lastUsedAt ?? e.startedAt,
      lastEventAt: e.lastEventAt,
      retryAt: e.state.status === 'degraded' ? e.state.retryAt : null,
      lastError: e.state.lastError,
      startFailure: pendingStartFailure(e.state),
      toolsKnown: toolsKnown(e.state),
      circuit: e.state.circuit,
    })),
  });
