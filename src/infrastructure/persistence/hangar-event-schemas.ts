import { z } from 'zod';
import type { HangarEvent } from '../../domain/hangar-event.js';
import type { InstanceEvent } from '../../domain/instance/instance.decider.js';
import type { ProviderEvent } from '../../domain/provider/events.js';
import type { ToolDefinition } from '../../domain/provider/tool-definition.js';
import { ERROR_CODES } from '../../domain/shared/errors.js';
import { isProviderId, type ProviderId } from '../../domain/shared/ids.js';
import { EventRegistry, type EventSchemas } from './event-registry.js';

/**
 * The schema of every event the hangar stores, as the domain types them (`z.ZodType<data>` makes the
 * compiler hold each schema to its type). A breaking change to an event's data bumps its
 * `currentVersion` here and adds an upcaster from the old version, tested against a frozen fixture.
 */

const providerIdSchema = z.custom<ProviderId>((value) => typeof value === 'string' && isProviderId(value), { error: 'not a provider id' });
const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), { error: 'not an ISO time' });
const count = z.number().int().nonnegative();
const json = z.record(z.string(), z.unknown());
/** Both optional: `none` records neither, `digest` the digest only; rows from before `arguments` existed hold the digest. */
const argumentsRecord = {
  argumentsDigest: z.string().exactOptional(),
  arguments: z.object({ json: z.string(), truncated: z.boolean(), bytes: count }).exactOptional(),
};

const toolDefinition: z.ZodType<ToolDefinition> = z.looseObject({
  name: z.string(),
  description: z.string().exactOptional(),
  inputSchema: json.exactOptional(),
});

const registration = z.object({
  providerId: providerIdSchema,
  mode: z.enum(['subprocess', 'container', 'remote', 'group']),
  description: z.string(),
  configDigest: z.string(),
  settings: z.object({
    idleTtlS: z.number(),
    healthCheckIntervalS: z.number(),
    maxConsecutiveFailures: count,
    timeoutS: z.number(),
    circuitBreaker: z.object({ failureThreshold: count, resetTimeoutS: z.number() }),
  }),
  predefinedTools: z.array(toolDefinition),
});

const providerEventSchemas: EventSchemas<ProviderEvent> = {
  ProviderRegistered: { schema: registration },
  ProviderConfigChanged: { schema: registration },
  ProviderDeregistered: { schema: z.object({ reason: z.literal('removed_from_config') }) },
  ProviderStartRequested: { schema: z.object({ reason: z.enum(['invoke', 'user_request', 'warm', 'config_changed']), attempt: count }) },
  ProviderStarted: {
    schema: z.object({
      pid: z.number().int().nullable(),
      protocolVersion: z.string().nullable(),
      serverInfo: z.object({ name: z.string(), version: z.string() }).nullable(),
      startupMs: z.number(),
    }),
  },
  ProviderStartFailed: {
    schema: z.object({
      message: z.string(),
      exitCode: z.number().int().nullable(),
      signal: z.string().nullable(),
      stderrTail: z.string(),
      hint: z.string(),
      consecutiveFailures: count,
    }),
  },
  ToolsDiscovered: {
    schema: z.object({ tools: z.array(toolDefinition), digest: z.string(), count: count }),
    currentVersion: 2,
    olderSchemas: { 1: z.object({ tools: z.array(z.unknown()), digest: z.string() }) },
    // Version 1 always held every tool, so its count is the length of its list.
    upcasters: { 1: (data: unknown) => ({ ...(data as { tools: unknown[] }), count: (data as { tools: unknown[] }).tools.length }) },
  },
  ProviderStopped: { schema: z.object({ reason: z.enum(['idle', 'user_request', 'shutdown', 'hangar_restart', 'config_changed', 'removed_from_config']) }) },
  ProviderCrashed: {
    schema: z.object({ exitCode: z.number().int().nullable(), signal: z.string().nullable(), stderrTail: z.string(), inFlightCalls: count }),
  },
  ProviderDegraded: { schema: z.object({ reason: z.string(), consecutiveFailures: count, retryAt: isoTime }) },
  ToolInvoked: {
    schema: z.object({
      tool: z.string(),
      correlationId: z.string(),
      durationMs: z.number(),
      outcome: z.enum(['success', 'tool_error']),
      resultSize: count,
      ...argumentsRecord,
    }),
  },
  ToolInvocationFailed: {
    schema: z.object({
      tool: z.string(),
      correlationId: z.string(),
      durationMs: z.number(),
      errorCode: z.enum(ERROR_CODES),
      message: z.string(),
      ...argumentsRecord,
    }),
  },
  HealthCheckFailed: { schema: z.object({ consecutiveFailures: count, message: z.string() }) },
  ProviderRecovered: { schema: z.object({ after: z.enum(['health_check', 'restart']), failures: count }) },
  CircuitOpened: { schema: z.object({ failures: count, probeAt: isoTime, reason: z.string() }) },
  CircuitHalfOpened: { schema: z.object({ since: isoTime }) },
  CircuitClosed: { schema: z.object({ after: z.literal('probe_succeeded') }) },
};

const instanceEventSchemas: EventSchemas<InstanceEvent> = {
  InstanceStarted: { schema: z.object({ pid: z.number().int(), host: z.string(), version: z.string() }) },
  InstanceStopped: { schema: z.object({ reason: z.enum(['shutdown', 'died']) }) },
  ConfigReloadRejected: {
    schema: z.object({
      sourcePath: z.string(),
      problems: z.array(z.object({ path: z.string(), line: z.number().int().nullable(), message: z.string() })),
    }),
  },
  ChainBreakAccepted: { schema: z.object({ position: count, reason: z.string() }) },
};

/** Every hangar event type's schema (a test registry may extend it with test-only types). */
export const hangarEventSchemas: EventSchemas<HangarEvent> = { ...providerEventSchemas, ...instanceEventSchemas };

/** The registry of every event the hangar stores; the composition root gives it to the event store. */
export const hangarEventRegistry = (): EventRegistry<HangarEvent> => new EventRegistry<HangarEvent>(hangarEventSchemas);
