import { DomainError } from '../../domain/shared/errors.js';
import type { ProviderId } from '../../domain/shared/ids.js';
import type { StartReason } from '../../domain/provider/events.js';
import type { ProviderConfig } from '../config.js';
import { providerNotFound, toDomainError } from '../errors.js';
import type { LiveProviders, LiveSession } from '../live-providers.js';
import type { Clock, Hasher, IdGenerator } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { ProviderRuntime } from '../ports/provider-runtime.js';
import type { CommandContext, ProviderRepository } from '../provider-repository.js';

export interface StartProviderDeps {
  readonly repository: ProviderRepository;
  readonly live: LiveProviders;
  readonly runtime: ProviderRuntime;
  readonly providers: ReadonlyMap<ProviderId, ProviderConfig>;
  readonly support: { readonly clock: Clock; readonly ids: IdGenerator; readonly hasher: Hasher; readonly logger: Logger };
  readonly clientInfo: { readonly name: string; readonly version: string };
}

export type StartProvider = (id: ProviderId, reason: StartReason, context?: CommandContext) => Promise<LiveSession>;

/**
 * Starts a provider unless it runs already; concurrent callers share one start (one process).
 * decide (ProviderStartRequested) → act (runtime.start) → record (ProviderStarted + ToolsDiscovered, or
 * ProviderStartFailed, perhaps ProviderDegraded). A crash of the started process is recorded as ProviderCrashed.
 */
export const startProvider = (deps: StartProviderDeps): StartProvider => {
  const { repository, live, runtime, providers, support } = deps;
  const { clock, ids, hasher, logger } = support;

  const launch = async (id: ProviderId, config: ProviderConfig, reason: StartReason, context: CommandContext): Promise<LiveSession> => {
    const requested = await repository.execute(id, { type: 'RequestStart', reason, nowMs: clock.now() }, context);
    if (requested.events.length === 0) {
      // Recorded as running but without a process here (an earlier hangar ended abruptly): close that chapter first.
      await repository.execute(id, { type: 'StopProvider', reason: 'hangar_restart' }, context);
      await repository.execute(id, { type: 'RequestStart', reason, nowMs: clock.now() }, context);
    }
    const startedAt = clock.now();
    let connection;
    try {
      connection = await runtime.start(
        { mode: config.mode, providerId: id, command: config.command, env: config.env, cwd: config.cwd },
        { startTimeoutMs: config.settings.timeoutS * 1000, clientInfo: deps.clientInfo },
      );
    } catch (thrown) {
      const error = toDomainError(thrown, 'PROVIDER_START_FAILED');
      const d = error.details;
      await repository.execute(
        id,
        {
          type: 'RecordStartFailed',
          message: error.message,
          exitCode: d.exitCode ?? null,
          signal: d.signal ?? null,
          stderrTail: d.stderrTail ?? '',
          hint: d.hints?.[0] ?? '',
          nowMs: clock.now(),
          jitter: ids.random(),
        },
        context,
      );
      throw new DomainError(error.code, error.message, { ...d, provider: id });
    }
    const recorded = await repository.execute(
      id,
      {
        type: 'RecordStarted',
        pid: connection.pid,
        protocolVersion: connection.protocolVersion,
        serverInfo: connection.serverInfo,
        startupMs: clock.now() - startedAt,
        tools: connection.tools,
        toolsDigest: hasher.digest(connection.tools),
      },
      context,
    );
    if (recorded.events.length === 0) {
      await connection.stop();
      throw new DomainError('PROVIDER_UNAVAILABLE', `provider '${id}' was stopped while it was starting`, { provider: id, retryable: true });
    }
    const session = live.add(id, connection, clock.now());
    connection.onExit((exit) => {
      if (!live.release(id, connection) || exit.expected) return;
      logger.warn('provider crashed', { provider: id, exitCode: exit.exitCode, signal: exit.signal });
      const { exitCode, signal, stderrTail } = exit;
      repository
        .execute(id, { type: 'RecordCrash', exitCode, signal, stderrTail, inFlightCalls: session.inFlight })
        .catch((e: unknown) => logger.error('could not record a crash', { provider: id, error: String(e) }));
    });
    return session;
  };

  return (id, reason, context = {}) => {
    const running = live.get(id);
    if (running) return Promise.resolve(running);
    const pending = live.pendingStart(id);
    if (pending) return pending;
    const config = providers.get(id);
    if (!config) return Promise.reject(providerNotFound(id, providers.keys()));
    return live.trackStart(id, launch(id, config, reason, context));
  };
};
