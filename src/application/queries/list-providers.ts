import type { ProviderMode } from '../../domain/provider/tool-definition.js';
import { knownTools, type ProviderStatus } from '../../domain/provider/state.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';

export interface ProviderSummary {
  readonly id: string;
  readonly mode: ProviderMode;
  readonly state: ProviderStatus;
  readonly toolsCount: number;
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
        toolsCount: knownTools(e.state).length,
        description: e.state.registration.description,
      }));
