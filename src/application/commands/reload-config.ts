import type { ProviderId, InstanceId } from '../../domain/shared/ids.js';
import type { InstanceCommands, ProviderCommands } from '../aggregates.js';
import type { ConfigResult, HangarConfig, ProviderConfig } from '../config.js';
import type { LiveProviders } from '../live-providers.js';
import type { Clock, Hasher, Scheduler } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import { registrationOf } from './open-instance.js';
import type { StartProvider } from './start-provider.js';
import type { StopProvider } from './stop-provider.js';

/** What one reload did: the provider ids it added, removed, changed (and of those, restarted), and what waits for a restart of the hangar. */
export type ReloadOutcome =
  | {
      readonly status: 'applied';
      readonly added: readonly ProviderId[];
      readonly removed: readonly ProviderId[];
      readonly changed: readonly ProviderId[];
      readonly restarted: readonly ProviderId[];
      /** Config sections that differ but only take effect when the hangar is restarted. */
      readonly notApplied: readonly string[];
    }
  | { readonly status: 'rejected'; readonly problems: number };

export interface ReloadConfigDeps {
  readonly instance: InstanceId;
  readonly providers: ProviderCommands;
  readonly instances: InstanceCommands;
  readonly live: LiveProviders;
  readonly start: StartProvider;
  readonly stop: StopProvider;
  /**
   * The provider configs the application starts providers with (and shows): this handler replaces its
   * contents in one synchronous step, so a start after the reload uses the new launch settings.
   */
  readonly configs: Map<ProviderId, ProviderConfig>;
  /** The config now in force (the rest of it, beyond providers). */
  readonly current: () => HangarConfig;
  /** Takes the parts that reload live (retry, audit; the sweep intervals) from `next`, and makes it the config in force. */
  readonly adopt: (next: HangarConfig) => void;
  readonly support: { readonly clock: Clock; readonly scheduler: Scheduler; readonly hasher: Hasher; readonly logger: Logger };
}

/** How often a drain looks at the calls in flight. */
const DRAIN_POLL_MS = 20;

/** Sections that only a restart of the hangar applies (the transports and the store are built once). */
const RESTART_ONLY = ['eventStore', 'limits', 'http', 'rateLimit', 'expose'] as const satisfies readonly (keyof HangarConfig)[];

const SECTION_NAMES: Record<(typeof RESTART_ONLY)[number], string> = {
  eventStore: 'event_store',
  limits: 'limits',
  http: 'http',
  rateLimit: 'rate limit (MCP_RATE_LIMIT_RPS, MCP_RATE_LIMIT_BURST)',
  expose: "expose (the top-level surface; the providers' own expose settings reload live)",
};

/**
 * Reloads the configuration while the hangar serves: a config that does not validate is refused as a whole
 * (ConfigReloadRejected on the instance's stream; the running configuration stays). Otherwise the providers
 * are compared by id and the difference becomes the same commands the boot uses:
 * - added: RegisterProvider (ProviderRegistered); it starts on its first call;
 * - removed: its calls in flight finish (bounded by its timeout), then it is stopped
 *   (ProviderStopped{removed_from_config}) and deregistered (ProviderDeregistered);
 * - changed (by config digest): RegisterProvider (ProviderConfigChanged). Only when its launch settings
 *   changed (command, env, cwd, secrets) and it runs is it restarted, after its calls in flight finish
 *   (ProviderStopped{config_changed}, then a start with reason config_changed); any other setting takes
 *   effect on its next call or sweep, with the process kept.
 * Unchanged providers are not touched. Reloads run one at a time, in the order they were asked for.
 */
export const reloadConfig = (deps: ReloadConfigDeps) => {
  const { instance, providers, instances, live, start, stop, configs, support } = deps;
  const { clock, scheduler, hasher, logger } = support;
  const launchDigest = (config: ProviderConfig): string => hasher.digest({ launch: config.launch, secrets: config.secrets });

  /**
   * Waits (at most `timeoutMs`) until no call is in flight on the provider's process, then stops it in the
   * same turn, so that no call slips in between; a call still running at the bound is cut off
   * (PROVIDER_UNAVAILABLE). A start under way finishes first.
   */
  const drainThenStop = async (id: ProviderId, reason: 'config_changed' | 'removed_from_config', timeoutMs: number): Promise<boolean> => {
    const pending = live.pendingStart(id);
    if (pending) await pending.catch(() => undefined);
    const deadline = clock.now() + timeoutMs;
    for (let session = live.get(id); session !== undefined && session.inFlight > 0 && clock.now() < deadline; session = live.get(id)) {
      await scheduler.delay(DRAIN_POLL_MS);
    }
    const session = live.get(id);
    if (session === undefined) return false;
    if (session.inFlight > 0) logger.warn('calls still in flight after the provider timeout; stopping it anyway', { provider: id, inFlight: session.inFlight });
    await stop(id, reason);
    return true;
  };

  const apply = async (next: HangarConfig): Promise<ReloadOutcome> => {
    const before = new Map(configs);
    const added: ProviderId[] = [];
    const removed: ProviderId[] = [];
    const changed: ProviderId[] = [];
    const relaunch: ProviderId[] = [];
    for (const [id, config] of next.providers) {
      const old = before.get(id);
      if (old === undefined) added.push(id);
      else if (hasher.digest(old) !== hasher.digest(config)) {
        changed.push(id);
        if (launchDigest(old) !== launchDigest(config)) relaunch.push(id);
      }
    }
    for (const id of before.keys()) if (!next.providers.has(id)) removed.push(id);

    const current = deps.current();
    const notApplied = RESTART_ONLY.filter((key) => hasher.digest(current[key]) !== hasher.digest(next[key])).map((key) => SECTION_NAMES[key]);

    // One synchronous step: every start from here on uses the new launch settings.
    configs.clear();
    for (const [id, config] of next.providers) configs.set(id, config);
    deps.adopt(next);

    for (const id of [...added, ...changed]) {
      const config = next.providers.get(id) as ProviderConfig;
      await providers.execute(id, { type: 'RegisterProvider', providerId: id, registration: registrationOf(config, hasher) });
    }
    const restarted: ProviderId[] = [];
    await Promise.all([
      ...removed.map(async (id) => {
        const old = before.get(id) as ProviderConfig;
        await drainThenStop(id, 'removed_from_config', old.settings.timeoutS * 1000);
        await providers.execute(id, { type: 'DeregisterProvider' });
      }),
      ...relaunch.map(async (id) => {
        const old = before.get(id) as ProviderConfig;
        if (!(await drainThenStop(id, 'config_changed', old.settings.timeoutS * 1000))) return;
        restarted.push(id);
        await start(id, 'config_changed').catch((e: unknown) =>
          logger.warn('the restart after a config change failed; the next call tries again', { provider: id, error: String(e) }),
        );
      }),
    ]);
    const outcome = { status: 'applied', added, removed, changed, restarted, notApplied } as const;
    if (notApplied.length > 0) logger.warn('config reloaded; these sections changed and take effect only when the hangar restarts', { sections: notApplied });
    logger.info('config reloaded', { instance, added, removed, changed, restarted });
    return outcome;
  };

  const reject = async (result: Extract<ConfigResult, { ok: false }>): Promise<ReloadOutcome> => {
    const problems = result.problems.map(({ path, line, message }) => ({ path, line, message }));
    await instances.execute(instance, { type: 'RejectConfigReload', sourcePath: result.sourcePath, problems });
    return { status: 'rejected', problems: problems.length };
  };

  let queue: Promise<unknown> = Promise.resolve();
  /** `load` reads and validates the config file when this reload's turn comes. */
  return (load: () => ConfigResult): Promise<ReloadOutcome> => {
    const run = queue.then(() => {
      const result = load();
      return result.ok ? apply(result.config) : reject(result);
    });
    queue = run.catch(() => undefined);
    return run;
  };
};
