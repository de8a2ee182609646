import type { ProviderId } from '../../domain/shared/ids.js';
import type { StopReason } from '../../domain/provider/events.js';
import type { ProviderState } from '../../domain/provider/state.js';
import type { ProviderCommands } from '../aggregates.js';
import type { CommandContext } from '../command-handler.js';
import type { LiveProviders } from '../live-providers.js';

export interface StopProviderDeps {
  readonly providers: ProviderCommands;
  readonly live: LiveProviders;
}

export type StopProvider = (id: ProviderId, reason: StopReason, context?: CommandContext) => Promise<ProviderState>;

/**
 * Stops a provider: takes it out of service at once (no new call reaches it), records ProviderStopped,
 * then ends it. A start under way is allowed to finish first.
 */
export const stopProvider =
  ({ providers, live }: StopProviderDeps): StopProvider =>
  async (id, reason, context = {}) => {
    const pending = live.pendingStart(id);
    if (pending) await pending.catch(() => undefined);
    const session = live.take(id);
    const { state } = await providers.execute(id, { type: 'StopProvider', reason }, context);
    if (session) await session.connection.stop();
    return state;
  };
