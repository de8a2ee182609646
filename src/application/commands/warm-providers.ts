import { providerNotFound, toDomainError } from '../errors.js';
import type { LiveProviders } from '../live-providers.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';
import type { StartProvider } from './start-provider.js';

export interface WarmResult {
  readonly warmed: readonly string[];
  readonly already_warm: readonly string[];
  readonly failed: readonly { readonly id: string; readonly code: string; readonly error: string }[];
  readonly summary: string;
}

/** registry_warm: starts the named providers (all when none are named) in parallel, so first calls are fast. */
export const warmProviders =
  (deps: { readonly catalog: ProviderCatalog; readonly live: LiveProviders; readonly start: StartProvider }) =>
  async (names: readonly string[], correlationId: string): Promise<WarmResult> => {
    const ids = names.length > 0 ? names : deps.catalog.list().map((e) => e.id);
    const warmed: string[] = [];
    const already: string[] = [];
    const failed: { id: string; code: string; error: string }[] = [];
    await Promise.all(
      ids.map(async (name) => {
        const entry = deps.catalog.get(name);
        try {
          if (!entry)
            throw providerNotFound(
              name,
              deps.catalog.list().map((e) => e.id),
            );
          if (deps.live.get(entry.id)) return void already.push(entry.id);
          await deps.start(entry.id, 'warm', { correlationId });
          warmed.push(entry.id);
        } catch (error) {
          const e = toDomainError(error);
          failed.push({ id: name, code: e.code, error: e.message });
        }
      }),
    );
    return {
      warmed: warmed.sort(),
      already_warm: already.sort(),
      failed: failed.sort((a, b) => a.id.localeCompare(b.id)),
      summary: `${warmed.length} warmed, ${already.length} already warm, ${failed.length} failed`,
    };
  };
