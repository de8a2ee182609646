import { assertNever, type Decider } from '../shared/decider.js';
import type { Event } from '../shared/event.js';

/**
 * A hangar instance: one seat among the hangars that serve from one event store at once (two MCP clients
 * that each launch the hangar with the same config, later replicas). The seat is held by a live process
 * (a lock the others can test); when that process ends, the next hangar to claim the seat continues its
 * streams. Each run of a process in the seat is one InstanceStarted … InstanceStopped chapter.
 */

/** A hangar process took the seat and serves from it. */
export type InstanceStarted = Event<'InstanceStarted', { readonly pid: number; readonly host: string; readonly version: string }>;

/**
 * The process in the seat ended: `shutdown` when it stopped itself; `died` when it ended without doing so
 * (SIGKILL, a crash), recorded by the next hangar that found its seat free.
 */
export type InstanceStopped = Event<'InstanceStopped', { readonly reason: 'shutdown' | 'died' }>;

/** One problem of a config file that was refused, located by YAML path and line (no values: they may hold secrets). */
export interface RejectedConfigProblem {
  readonly path: string;
  readonly line: number | null;
  readonly message: string;
}

/**
 * The instance was asked to reload its config file (the file changed, or SIGHUP) and the file did not
 * validate: the running configuration stays as it was. Recorded on the instance's stream, since the config
 * is the instance's, not any one provider's.
 */
export type ConfigReloadRejected = Event<'ConfigReloadRejected', { readonly sourcePath: string; readonly problems: readonly RejectedConfigProblem[] }>;

/**
 * The hangar found the event store's hash chain broken at boot (a row altered or deleted, or an anchored head
 * no longer in the store) and was told to serve anyway (`serve --accept-broken-chain`): one event per break,
 * right after InstanceStarted, so that the acceptance is itself on the record.
 */
export type ChainBreakAccepted = Event<'ChainBreakAccepted', { readonly position: number; readonly reason: string }>;

export type InstanceEvent = InstanceStarted | InstanceStopped | ConfigReloadRejected | ChainBreakAccepted;

const INSTANCE_EVENT_TYPES = [
  'InstanceStarted',
  'InstanceStopped',
  'ConfigReloadRejected',
  'ChainBreakAccepted',
] as const satisfies readonly InstanceEvent['type'][];

const instanceEventTypes: ReadonlySet<string> = new Set(INSTANCE_EVENT_TYPES);
export const isInstanceEvent = <E extends { readonly type: string }>(event: E): event is Extract<E, InstanceEvent> => instanceEventTypes.has(event.type);

export type InstanceCommand =
  /** This process claimed the seat (it holds its lock): any earlier process in it is gone. */
  | { readonly type: 'StartInstance'; readonly pid: number; readonly host: string; readonly version: string }
  /** This process is shutting down. */
  | { readonly type: 'StopInstance' }
  /** Another process found the seat free: whoever held it ended without stopping. */
  | { readonly type: 'RecordInstanceDied' }
  /** A reload of the config file was refused (it does not validate); the running configuration stays. */
  | { readonly type: 'RejectConfigReload'; readonly sourcePath: string; readonly problems: readonly RejectedConfigProblem[] }
  /** The hash chain is broken at `position` and this process was told to serve anyway. */
  | { readonly type: 'AcceptChainBreak'; readonly position: number; readonly reason: string };

export type InstanceState =
  | { readonly status: 'new' }
  | { readonly status: 'running'; readonly pid: number; readonly host: string; readonly version: string }
  | { readonly status: 'stopped' };

const decide = (command: InstanceCommand, state: InstanceState): readonly InstanceEvent[] => {
  switch (command.type) {
    case 'StartInstance': {
      const started: InstanceEvent = { type: 'InstanceStarted', data: { pid: command.pid, host: command.host, version: command.version } };
      return state.status === 'running' ? [{ type: 'InstanceStopped', data: { reason: 'died' } }, started] : [started];
    }
    case 'StopInstance':
      return state.status === 'running' ? [{ type: 'InstanceStopped', data: { reason: 'shutdown' } }] : [];
    case 'RecordInstanceDied':
      return state.status === 'running' ? [{ type: 'InstanceStopped', data: { reason: 'died' } }] : [];
    case 'RejectConfigReload':
      return [{ type: 'ConfigReloadRejected', data: { sourcePath: command.sourcePath, problems: command.problems } }];
    case 'AcceptChainBreak':
      return [{ type: 'ChainBreakAccepted', data: { position: command.position, reason: command.reason } }];
    default:
      return assertNever(command);
  }
};

const evolve = (state: InstanceState, event: InstanceEvent): InstanceState => {
  switch (event.type) {
    case 'ConfigReloadRejected':
    case 'ChainBreakAccepted':
      return state;
    case 'InstanceStarted':
      return { status: 'running', ...event.data };
    case 'InstanceStopped':
      return { status: 'stopped' };
    default:
      return assertNever(event);
  }
};

/** The Instance aggregate as a decider. */
export const instanceDecider: Decider<InstanceCommand, InstanceEvent, InstanceState> = {
  initialState: () => ({ status: 'new' }),
  decide,
  evolve,
};
