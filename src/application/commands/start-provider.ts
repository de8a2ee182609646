import { DomainError } from '../../domain/shared/errors.js';
import type { ProviderId } from '../../domain/shared/ids.js';
import { utf8Bytes } from '../../domain/shared/utf8.js';
import type { StartReason } from '../../domain/provider/events.js';
import type { ProviderCommands } from '../aggregates.js';
import type { CommandContext } from '../command-handler.js';
import type { ProviderConfig } from '../config.js';
import { providerNotFound, toDomainError } from '../errors.js';
import type { LiveProviders, LiveSession } from '../live-providers.js';
import type { Clock, Hasher, IdGenerator } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ProviderConnection, ProviderRuntime } from '../ports/provider-runtime.js';

export interface StartProviderDeps {
  readonly providers: ProviderCommands;
  readonly live: LiveProviders;
  readonly runtime: ProviderRuntime;
  readonly configs: ReadonlyMap<ProviderId, ProviderConfig>;
  readonly support: { readonly clock: Clock; readonly ids: IdGenerator; readonly hasher: Hasher; readonly logger: Logger };
}

/**
 * A tool list whose JSON is larger than this is recorded as its digest and count only: events stay small
 * (a provider listing 100,000 tools would otherwise store megabytes per start), and the list is taken from
 * the running provider when it is needed.
 */
export const MAX_RECORDED_TOOLS_BYTES = 1024 * 1024;

export type StartProvider = (id: ProviderId, reason: StartReason, context?: CommandContext) => Promise<LiveSession>;

/**
 * Starts a provider unless it runs already; concurrent callers share one start (one process).
 * decide (ProviderStartRequested) → act (runtime.start) → record (ProviderStarted + ToolsDiscovered, or
 * ProviderStartFailed, perhaps ProviderDegraded). An unexpected exit of the started provider is recorded
 * as ProviderCrashed.
 */
export const startProvider = (deps: StartProviderDeps): StartProvider => {
  const { providers, live, runtime, configs, support } = deps;
  const { clock, ids, hasher, logger } = support;

  const requestStart = async (id: ProviderId, reason: StartReason, context: CommandContext): Promise<void> => {
    const requested = await providers.execute(id, { type: 'RequestStart', reason, nowMs: clock.now() }, context);
    if (requested.events.length > 0) return;
    // Recorded as running, yet no process of this hangar runs it: a record of its end was lost (the store
    // refused a write). Close that chapter so the provider can start again.
    logger.warn('provider recorded as running without a process; closing that record', { provider: id, ...context });
    await providers.execute(id, { type: 'StopProvider', reason: 'hangar_restart' }, context);
    await providers.execute(id, { type: 'RequestStart', reason, nowMs: clock.now() }, context);
  };

  const recordFailure = async (id: ProviderId, thrown: unknown, context: CommandContext): Promise<never> => {
    const error = toDomainError(thrown, 'PROVIDER_START_FAILED');
    const d = error.details;
    const { exitCode = null, signal = null, stderrTail = '' } = d;
    const hint = d.hints?.[0] ?? '';
    await providers.execute(
      id,
      { type: 'RecordStartFailed', message: error.message, exitCode, signal, stderrTail, hint, nowMs: clock.now(), jitter: ids.random() },
      context,
    );
    throw new DomainError(error.code, error.message, { ...d, provider: id });
  };

  const watch = (id: ProviderId, connection: ProviderConnection): void => {
    void connection.exited.then((exit) => {
      if (!live.release(id, connection) || exit.expected) return;
      logger.warn('provider crashed', { provider: id, exitCode: exit.exitCode, signal: exit.signal });
      const { exitCode, signal, stderrTail, interruptedCalls } = exit;
      providers
        .execute(id, { type: 'RecordCrash', exitCode, signal, stderrTail, inFlightCalls: interruptedCalls })
        .catch((e: unknown) => logger.error('could not record a crash', { provider: id, error: String(e) }));
    });
  };

  /**
   * A provider's own `notifications/tools/list_changed`: its tools are listed again and, when they differ
   * from the recorded ones, recorded as ToolsDiscovered (the direct tools and list_changed follow from it).
   * Notifications arriving while a listing is under way make one more listing after it.
   */
  const followToolChanges = (id: ProviderId, connection: ProviderConnection, timeoutMs: number): void => {
    let listing = false;
    let again = false;
    const relist = async (): Promise<void> => {
      if (listing) return void (again = true);
      listing = true;
      try {
        do {
          again = false;
          const tools = await connection.listTools(timeoutMs);
          const recordable = utf8Bytes(JSON.stringify(tools)) <= MAX_RECORDED_TOOLS_BYTES;
          await providers.execute(id, {
            type: 'RecordToolsListed',
            tools: recordable ? tools : [],
            toolsDigest: hasher.digest(tools),
            toolsCount: tools.length,
          });
        } while (again && live.get(id)?.connection === connection);
      } catch (error) {
        logger.warn('could not list the tools of a provider that said they changed', { provider: id, error: String(error) });
      } finally {
        listing = false;
      }
    };
    const unsubscribe = connection.onNotification((notification) => {
      if (notification.method === 'notifications/tools/list_changed') void relist();
    });
    void connection.exited.then(unsubscribe);
  };

  const launch = async (id: ProviderId, config: ProviderConfig, reason: StartReason, context: CommandContext): Promise<LiveSession> => {
    await requestStart(id, reason, context);
    const startedAt = clock.now();
    let connection: ProviderConnection;
    try {
      connection = await runtime.start(id, config.launch, { startTimeoutMs: config.settings.timeoutS * 1000, secrets: config.secrets });
    } catch (thrown) {
      return recordFailure(id, thrown, context);
    }
    const { pid, protocolVersion, serverInfo, tools } = connection;
    const startupMs = clock.now() - startedAt;
    const recordable = utf8Bytes(JSON.stringify(tools)) <= MAX_RECORDED_TOOLS_BYTES;
    const recorded = await providers.execute(
      id,
      {
        type: 'RecordStarted',
        pid,
        protocolVersion,
        serverInfo,
        startupMs,
        tools: recordable ? tools : [],
        toolsDigest: hasher.digest(tools),
        toolsCount: tools.length,
      },
      context,
    );
    if (recorded.events.length === 0) {
      await connection.stop();
      throw new DomainError('PROVIDER_UNAVAILABLE', `provider '${id}' was stopped while it was starting`, { provider: id, retryable: true });
    }
    const session = live.add(id, connection, clock.now());
    watch(id, connection);
    followToolChanges(id, connection, config.settings.timeoutS * 1000);
    return session;
  };

  return (id, reason, context = {}) => {
    const running = live.get(id);
    if (running) return Promise.resolve(running);
    const pending = live.pendingStart(id);
    if (pending) return pending;
    const config = configs.get(id);
    if (!config) return Promise.reject(providerNotFound(id, configs.keys()));
    return live.trackStart(id, launch(id, config, reason, context));
  };
};
