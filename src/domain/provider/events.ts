import type { RecordedArguments } from '../audit/redact-arguments.js';
import type { ErrorCode } from '../shared/errors.js';
import type { Event } from '../shared/event.js';
import type { ProviderId } from '../shared/ids.js';
import type { ProviderRegistration, ToolDefinition } from './tool-definition.js';

/**
 * Why a provider was stopped. `hangar_restart`: it was running when the hangar instance that ran it
 * ended without stopping it (recorded by the next hangar to claim that instance, or to find it dead).
 * `config_changed`: a reload changed its launch settings (it is started again with them);
 * `removed_from_config`: a reload removed it (ProviderDeregistered follows).
 */
export type StopReason = 'idle' | 'user_request' | 'shutdown' | 'hangar_restart' | 'config_changed' | 'removed_from_config';

/** Why a start was asked for (`config_changed`: the restart after a reload changed its launch settings). */
export type StartReason = 'invoke' | 'user_request' | 'warm' | 'config_changed';

/** A provider id was registered (first time, or again after ProviderDeregistered); later config changes are ProviderConfigChanged. */
export type ProviderRegistered = Event<'ProviderRegistered', { readonly providerId: ProviderId } & ProviderRegistration>;

/** The configuration of a registered provider differs (by digest) from what was last recorded. */
export type ProviderConfigChanged = Event<'ProviderConfigChanged', { readonly providerId: ProviderId } & ProviderRegistration>;

/** A provider id left the configuration; its history stays in the store. */
export type ProviderDeregistered = Event<'ProviderDeregistered', { readonly reason: 'removed_from_config' }>;

/** A start was admitted (the provider was cold, dead, or degraded past its backoff). Exactly one per start attempt. */
export type ProviderStartRequested = Event<'ProviderStartRequested', { readonly reason: StartReason; readonly attempt: number }>;

/** The provider answered `initialize` and `tools/list`; it is ready for calls. */
export type ProviderStarted = Event<
  'ProviderStarted',
  {
    readonly pid: number | null;
    readonly protocolVersion: string | null;
    readonly serverInfo: { readonly name: string; readonly version: string } | null;
    readonly startupMs: number;
  }
>;

/** A start attempt failed; the stderr tail and exit code are kept, with a hint fitting the cause. */
export type ProviderStartFailed = Event<
  'ProviderStartFailed',
  {
    readonly message: string;
    readonly exitCode: number | null;
    readonly signal: string | null;
    readonly stderrTail: string;
    readonly hint: string;
    readonly consecutiveFailures: number;
  }
>;

/**
 * The tools a started provider listed, when they differ (by digest) from the last ones recorded: all
 * `count` full definitions, or none when the list was too large to keep in an event (then only its
 * digest and count are recorded). Schema version 2 (version 1 had no count: it always held every tool).
 */
export type ToolsDiscovered = Event<'ToolsDiscovered', { readonly tools: readonly ToolDefinition[]; readonly digest: string; readonly count: number }>;

/** A running (or starting) provider was stopped by the hangar. */
export type ProviderStopped = Event<'ProviderStopped', { readonly reason: StopReason }>;

/** A running provider exited without being asked to; its in-flight calls were failed. */
export type ProviderCrashed = Event<
  'ProviderCrashed',
  { readonly exitCode: number | null; readonly signal: string | null; readonly stderrTail: string; readonly inFlightCalls: number }
>;

/**
 * Consecutive failed starts or health checks reached `max_consecutive_failures`; no start is admitted
 * before `retryAt`. When the provider was running, its process is stopped with this event.
 */
export type ProviderDegraded = Event<'ProviderDegraded', { readonly reason: string; readonly consecutiveFailures: number; readonly retryAt: string }>;

/** A health check (MCP ping) of a running provider failed; `consecutiveFailures` counts toward degraded. */
export type HealthCheckFailed = Event<'HealthCheckFailed', { readonly consecutiveFailures: number; readonly message: string }>;

/**
 * A provider is healthy again: a health check passed after failures (`health_check`), or a start
 * succeeded after the provider was degraded (`restart`).
 */
export type ProviderRecovered = Event<'ProviderRecovered', { readonly after: 'health_check' | 'restart'; readonly failures: number }>;

/** Consecutive transport failures reached the threshold: calls are refused until `probeAt`. */
export type CircuitOpened = Event<'CircuitOpened', { readonly failures: number; readonly probeAt: string; readonly reason: string }>;

/** The open circuit admitted one probe call (at `since`). */
export type CircuitHalfOpened = Event<'CircuitHalfOpened', { readonly since: string }>;

/** The probe call succeeded: calls flow again. */
export type CircuitClosed = Event<'CircuitClosed', { readonly after: 'probe_succeeded' }>;

/**
 * What a call's events keep of its arguments, as `audit.record_arguments` said when the call began:
 * `digest` (the default) the digest only; `full` the digest of the redacted JSON and that JSON
 * (`arguments`); `none` neither. Events written before `arguments` existed always have the digest.
 */
export interface ArgumentsRecord {
  readonly argumentsDigest?: string;
  readonly arguments?: RecordedArguments;
}

/** A tool call reached the provider and returned a result (`tool_error` when the result had isError). */
export type ToolInvoked = Event<
  'ToolInvoked',
  {
    readonly tool: string;
    readonly correlationId: string;
    readonly durationMs: number;
    readonly outcome: 'success' | 'tool_error';
    readonly resultSize: number;
  } & ArgumentsRecord
>;

/** A tool call on a known provider failed without a result from the tool (not found, start failure, crash, timeout, ...). */
export type ToolInvocationFailed = Event<
  'ToolInvocationFailed',
  {
    readonly tool: string;
    readonly correlationId: string;
    readonly durationMs: number;
    readonly errorCode: ErrorCode;
    readonly message: string;
  } & ArgumentsRecord
>;

export type ProviderEvent =
  | ProviderRegistered
  | ProviderConfigChanged
  | ProviderDeregistered
  | ProviderStartRequested
  | ProviderStarted
  | ProviderStartFailed
  | ToolsDiscovered
  | ProviderStopped
  | ProviderCrashed
  | ProviderDegraded
  | ToolInvoked
  | ToolInvocationFailed
  | HealthCheckFailed
  | ProviderRecovered
  | CircuitOpened
  | CircuitHalfOpened
  | CircuitClosed;

export type ProviderEventType = ProviderEvent['type'];

/** Every provider event type, in catalogue order. */
export const PROVIDER_EVENT_TYPES = [
  'ProviderRegistered',
  'ProviderConfigChanged',
  'ProviderDeregistered',
  'ProviderStartRequested',
  'ProviderStarted',
  'ProviderStartFailed',
  'ToolsDiscovered',
  'ProviderStopped',
  'ProviderCrashed',
  'ProviderDegraded',
  'ToolInvoked',
  'ToolInvocationFailed',
  'HealthCheckFailed',
  'ProviderRecovered',
  'CircuitOpened',
  'CircuitHalfOpened',
  'CircuitClosed',
] as const satisfies readonly ProviderEventType[];
// Compile-time check that the list above names every provider event type.
const everyTypeListed: [Exclude<ProviderEventType, (typeof PROVIDER_EVENT_TYPES)[number]>] extends [never] ? true : never = true;
void everyTypeListed;

const providerEventTypes: ReadonlySet<string> = new Set(PROVIDER_EVENT_TYPES);

/** Whether an event (already checked against its type's schema by the store) is one of the provider's. */
export const isProviderEvent = <E extends { readonly type: string }>(event: E): event is Extract<E, ProviderEvent> => providerEventTypes.has(event.type);
