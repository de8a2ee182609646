import type { ProviderId } from '../../domain/shared/ids.js';
import type { ProviderRegistration } from '../../domain/provider/tool-definition.js';
import type { ProviderConfig } from '../config.js';
import type { Hasher } from '../ports/clock.js';
import type { ProviderCatalog } from '../projections/provider-catalog.projection.js';
import type { ProviderRepository } from '../provider-repository.js';

export interface SyncRegistryDeps {
  readonly repository: ProviderRepository;
  readonly catalog: ProviderCatalog;
  readonly hasher: Hasher;
}

/** The recorded shape of a configured provider: no command, env or paths (they may hold secrets), a digest of all of it. */
export const registrationOf = (config: ProviderConfig, hasher: Hasher): ProviderRegistration => ({
  mode: config.mode,
  description: config.description,
  configDigest: hasher.digest(config),
  settings: config.settings,
  predefinedTools: config.tools,
});

/**
 * Brings the recorded registry in line with the configuration at boot: providers recorded as running by
 * an earlier hangar process are closed (`ProviderStopped{hangar_restart}`: that process is gone),
 * configured providers are registered (or their config change recorded), and providers no longer
 * configured are deregistered. Unchanged providers record nothing.
 */
export const syncRegistry =
  ({ repository, catalog, hasher }: SyncRegistryDeps) =>
  async (providers: ReadonlyMap<ProviderId, ProviderConfig>): Promise<void> => {
    for (const entry of catalog.list()) {
      if (entry.state.status !== 'cold') await repository.execute(entry.id, { type: 'StopProvider', reason: 'hangar_restart' });
    }
    for (const [id, config] of providers) {
      await repository.execute(id, { type: 'RegisterProvider', providerId: id, registration: registrationOf(config, hasher) });
    }
    for (const entry of catalog.list()) {
      if (!providers.has(entry.id)) await repository.execute(entry.id, { type: 'DeregisterProvider' });
    }
  };
