import type { ErrorCode } from '../shared/errors.js';
import type { ProviderId } from '../shared/ids.js';
import type { ArgumentsRecord, StartReason, StopReason } from './events.js';
import type { ProviderRegistration, ToolDefinition } from './tool-definition.js';

type Command<T extends string, D> = { readonly type: T } & D;

/** Time arrives in commands as epoch milliseconds, so the decider never reads a clock. */
export type RegisterProvider = Command<'RegisterProvider', { readonly providerId: ProviderId; readonly registration: ProviderRegistration }>;
export type DeregisterProvider = Command<'DeregisterProvider', Record<never, never>>;
export type RequestStart = Command<'RequestStart', { readonly reason: StartReason; readonly nowMs: number }>;
export type RecordStarted = Command<
  'RecordStarted',
  {
    readonly pid: number | null;
    readonly protocolVersion: string | null;
    readonly serverInfo: { readonly name: string; readonly version: string } | null;
    readonly startupMs: number;
    /** Every tool listed, or none when the list is too large to record (see `toolsCount`). */
    readonly tools: readonly ToolDefinition[];
    readonly toolsDigest: string;
    readonly toolsCount: number;
  }
>;
export type RecordStartFailed = Command<
  'RecordStartFailed',
  {
    readonly message: string;
    readonly exitCode: number | null;
    readonly signal: string | null;
    readonly stderrTail: string;
    readonly hint: string;
    readonly nowMs: number;
    /** A random number in [0, 1) drawn by the caller, for backoff jitter. */
    readonly jitter: number;
  }
>;
export type RecordInvocation = Command<
  'RecordInvocation',
  {
    readonly tool: string;
    readonly correlationId: string;
    readonly durationMs: number;
    readonly outcome: 'success' | 'tool_error';
    readonly resultSize: number;
  } & ArgumentsRecord
>;
export type RecordInvocationFailure = Command<
  'RecordInvocationFailure',
  {
    readonly tool: string;
    readonly correlationId: string;
    readonly durationMs: number;
    readonly errorCode: ErrorCode;
    readonly message: string;
    readonly nowMs: number;
  } & ArgumentsRecord
>;
/** Asks the circuit to admit a call; refused with CIRCUIT_OPEN, or admitted (perhaps as the probe). */
export type AdmitCall = Command<'AdmitCall', { readonly nowMs: number }>;
/** The outcome of one health check (MCP ping) of a running provider. */
export type RecordHealthCheck = Command<
  'RecordHealthCheck',
  { readonly ok: boolean; readonly message: string; readonly nowMs: number; readonly jitter: number }
>;
export type StopProvider = Command<'StopProvider', { readonly reason: StopReason }>;
export type RecordCrash = Command<
  'RecordCrash',
  { readonly exitCode: number | null; readonly signal: string | null; readonly stderrTail: string; readonly inFlightCalls: number }
>;

/** A running provider listed its tools again (after its own `notifications/tools/list_changed`). */
export type RecordToolsListed = Command<
  'RecordToolsListed',
  {
    /** Every tool listed, or none when the list is too large to record (see `toolsCount`). */
    readonly tools: readonly ToolDefinition[];
    readonly toolsDigest: string;
    readonly toolsCount: number;
  }
>;

export type ProviderCommand =
  | RegisterProvider
  | DeregisterProvider
  | RequestStart
  | RecordStarted
  | RecordStartFailed
  | RecordInvocation
  | RecordInvocationFailure
  | StopProvider
  | RecordCrash
  | AdmitCall
  | RecordHealthCheck
  | RecordToolsListed;
