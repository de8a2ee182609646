import type { ProviderMode } from '../../domain/provider/tool-definition.js';
import { knownTools, pendingStartFailure, toolsKnown, type LastError, type ProviderStatus } from '../../domain/provider/state.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';

export interface ProviderSummary {
  readonly id: string;
  readonly mode: ProviderMode;
  readonly state: ProviderStatus;
  /** How many tools it has; null when nobody knows yet (never started, none predefined). */
  readonly toolsCount: number | null;
  readonly toolsKnown: boolean;
  /** The failure of its last start, while it is cold or degraded because of it. */
  readonly startFailure: LastError | null;
  readonly description: string;
}

/** Every registered provider of this instance with its state, optionally only those in `stateFilter`. */
export const listProviders =
  (catalog: ProviderCatalog) =>
  (stateFilter?: ProviderStatus): readonly ProviderSummary[] =>
    catalog
      .list()
      .filter((e) => stateFilter === undefined || e.state.status === stateFilter)
      .map((e) => ({
        id: e.id,
        mode: e.state.registration.mode,
        state: e.state.status,
        toolsCount: toolsKnown(e.state) ? knownTools(e.state).length : null,
        toolsKnown: toolsKnown(e.state),
        startFailure: pendingStartFailure(e.state),
        description: e.state.registration.description,
      }));
