import type { ProviderId } from '../../domain/shared/ids.js';
import type { StopReason } from '../../domain/provider/events.js';
import type { ProviderState } from '../../domain/provider/state.js';
import type { LiveProviders } from '../live-providers.js';
import type { CommandContext, ProviderRepository } from '../provider-repository.js';

export interface StopProviderDeps {
  readonly repository: ProviderRepository;
  readonly live: LiveProviders;
}

export type StopProvider = (id: ProviderId, reason: StopReason, context?: CommandContext) => Promise<ProviderState>;

/**
 * Stops a provider: takes it out of service at once (no new call reaches it), records ProviderStopped,
 * then closes its session and ends its process group. A start under way is allowed to finish first.
 */
export const stopProvider =
  ({ repository, live }: StopProviderDeps): StopProvider =>
  async (id, reason, context = {}) => {
    const pending = live.pendingStart(id);
    if (pending) await pending.catch(() => undefined);
    const session = live.take(id);
    const { state } = await repository.execute(id, { type: 'StopProvider', reason }, context);
    if (session) await session.connection.stop();
    return state;
  };
