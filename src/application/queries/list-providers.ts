import { knownTools, type ProviderStatus } from '../../domain/provider/state.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';

export interface ProviderSummary {
  readonly id: string;
  readonly mode: string;
  readonly state: ProviderStatus;
  readonly tools_count: number;
  readonly description: string;
}

/** registry_list: every registered provider with its state, optionally only those in `stateFilter`. */
export const listProviders =
  (catalog: ProviderCatalog) =>
  (stateFilter?: string): readonly ProviderSummary[] =>
    catalog
      .list()
      .filter((e) => stateFilter === undefined || e.state.status === stateFilter)
      .map((e) => ({
        id: e.id,
        mode: e.state.registration.mode,
        state: e.state.status,
        tools_count: knownTools(e.state).length,
        description: e.state.registration.description,
      }));
