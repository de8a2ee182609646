import type { ErrorCode } from '../../domain/shared/errors.js';
import { toDomainError } from '../errors.js';
import type { LiveProviders } from '../live-providers.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';
import type { StartProvider } from './start-provider.js';

export interface WarmResult {
  readonly warmed: readonly string[];
  readonly alreadyWarm: readonly string[];
  readonly failed: readonly { readonly id: string; readonly code: ErrorCode; readonly message: string }[];
}

/** Starts the named providers (all when none are named) in parallel, so that their first calls are fast. */
export const warmProviders =
  (deps: { readonly catalog: ProviderCatalog; readonly live: LiveProviders; readonly start: StartProvider }) =>
  async (names: readonly string[], correlationId: string): Promise<WarmResult> => {
    const ids = names.length > 0 ? names : deps.catalog.list().map((e) => e.id);
    const warmed: string[] = [];
    const alreadyWarm: string[] = [];
    const failed: { id: string; code: ErrorCode; message: string }[] = [];
    await Promise.all(
      ids.map(async (name) => {
        try {
          const { id } = deps.catalog.require(name);
          if (deps.live.get(id)) return void alreadyWarm.push(id);
          await deps.start(id, 'warm', { correlationId });
          warmed.push(id);
        } catch (error) {
          const { code, message } = toDomainError(error);
          failed.push({ id: name, code, message });
        }
      }),
    );
    return { warmed: warmed.sort(), alreadyWarm: alreadyWarm.sort(), failed: failed.sort((a, b) => a.id.localeCompare(b.id)) };
  };
