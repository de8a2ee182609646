import { isRunning } from '../../domain/provider/state.js';
import type { ProviderRegistration } from '../../domain/provider/tool-definition.js';
import type { InstanceId, ProviderId } from '../../domain/shared/ids.js';
import { instanceStreamId } from '../../domain/shared/streams.js';
import type { InstanceCommands, ProviderCommands } from '../aggregates.js';
import type { ProviderConfig } from '../config.js';
import type { ChainBreak } from '../ports/chain-anchors.js';
import type { Hasher } from '../ports/clock.js';
import type { InstanceLease, InstanceLeases } from '../ports/instance-leases.js';
import type { Logger } from '../ports/logger.js';
import type { CatalogEntry, ProviderCatalog } from '../projections/provider-catalog.projection.js';

/** Who this hangar process is, for InstanceStarted. */
export interface ProcessIdentity {
  readonly pid: number;
  readonly host: string;
  readonly version: string;
}

export interface OpenInstanceDeps {
  readonly catalog: ProviderCatalog;
  readonly handlers: {
    readonly instances: InstanceCommands;
    /** The provider command handler of an instance (this one's, or a dead one's being closed). */
    readonly providersOf: (instance: InstanceId) => ProviderCommands;
  };
  readonly leases: InstanceLeases;
  readonly support: { readonly hasher: Hasher; readonly logger: Logger };
}

/** The recorded shape of a configured provider: no command, env or paths (they may hold secrets), a digest of all of it. */
export const registrationOf = (config: ProviderConfig, hasher: Hasher): ProviderRegistration => ({
  mode: config.launch.mode,
  description: config.description,
  configDigest: hasher.digest(config),
  settings: config.settings,
  predefinedTools: config.tools,
});

/**
 * Opens this hangar's instance (its seat, already claimed by `lease`) over the catalog folded from the store:
 * - records the run (InstanceStarted; an earlier run in this seat that never stopped is InstanceStopped{died}),
 *   then each break of the hash chain it was told to serve on (ChainBreakAccepted), before anything else;
 * - closes what an earlier run in this seat left running (ProviderStopped{hangar_restart}: that process is
 *   gone); degraded providers keep their failure count and retry time, dead ones stay dead;
 * - registers the configured providers (or records their config change) and deregisters the others;
 * - for every other seat with providers left running: claims it, and only when no live hangar holds it,
 *   closes what it left running the same way. A live hangar's providers are never touched.
 */
export const openInstance =
  ({ catalog, handlers, leases, support }: OpenInstanceDeps) =>
  async (
    lease: InstanceLease,
    identity: ProcessIdentity,
    configs: ReadonlyMap<ProviderId, ProviderConfig>,
    acceptedBreaks: readonly ChainBreak[] = [],
  ): Promise<void> => {
    const own = lease.instance;
    const providers = handlers.providersOf(own);
    for (const entry of catalog.instances()) handlers.instances.seed(instanceStreamId(entry.instance), entry.state, entry.streamVersion);
    await handlers.instances.execute(own, { type: 'StartInstance', ...identity });
    for (const { position, reason } of acceptedBreaks) await handlers.instances.execute(own, { type: 'AcceptChainBreak', position, reason });

    const streams = catalog.streams();
    const ownStreams = streams.filter((e) => e.instance === own);
    for (const entry of ownStreams) providers.seed(entry.streamId, entry.state, entry.streamVersion);
    await closeLeftRunning(providers, ownStreams);
    for (const [id, config] of configs) {
      await providers.execute(id, { type: 'RegisterProvider', providerId: id, registration: registrationOf(config, support.hasher) });
    }
    for (const entry of catalog.list()) {
      if (!configs.has(entry.id)) await providers.execute(entry.id, { type: 'DeregisterProvider' });
    }

    // Seats that were running when last heard of, with whatever they left running.
    const others = new Map<InstanceId, CatalogEntry[]>();
    for (const entry of catalog.instances()) if (entry.instance !== own && entry.state.status === 'running') others.set(entry.instance, []);
    for (const entry of streams) {
      if (entry.instance === null || entry.instance === own || !isRunning(entry.state)) continue;
      others.set(entry.instance, [...(others.get(entry.instance) ?? []), entry]);
    }
    for (const [instance, entries] of others) {
      const seat = await leases.tryClaim(instance);
      if (seat === null) continue; // a live hangar holds it: its providers are its own
      try {
        support.logger.info('a hangar ended without stopping; closing what it left running', { instance, providers: entries.map((e) => e.id) });
        await handlers.instances.execute(instance, { type: 'RecordInstanceDied' });
        const theirs = handlers.providersOf(instance);
        for (const entry of entries) theirs.seed(entry.streamId, entry.state, entry.streamVersion);
        await closeLeftRunning(theirs, entries);
      } finally {
        await seat.release();
      }
    }
  };

/** The decider closes what was running (ProviderStopped{hangar_restart}) and leaves the rest as it is. */
const closeLeftRunning = async (providers: ProviderCommands, entries: readonly CatalogEntry[]): Promise<void> => {
  for (const entry of entries) {
    if (entry.state.status !== 'unregistered') await providers.execute(entry.id, { type: 'StopProvider', reason: 'hangar_restart' });
  }
};
