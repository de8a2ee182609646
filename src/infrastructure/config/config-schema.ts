import { z } from 'zod';
import { RECORD_ARGUMENTS_MODES } from '../../domain/audit/redact-arguments.js';
import { closestMatch } from '../../domain/shared/closest.js';

/** Modes named in the spec; only `subprocess` has a runtime in this version. */
export const ALL_MODES = ['subprocess', 'container', 'remote', 'group'] as const;
export const SUPPORTED_MODES = ['subprocess'] as const;
/** Top-level sections of the spec that this version refuses with a clear "not available" message. */
export const UNAVAILABLE_SECTIONS = ['discovery'] as const;

/**
 * The rate limit when MCP_RATE_LIMIT_RPS and MCP_RATE_LIMIT_BURST are not set: per provider and tool. Sized
 * for one person's agent on a local gateway: ordinary use (a few calls a second, bursts of tens, a hundred
 * quick calls in a row) is never refused, while a runaway loop (thousands of calls a second) is held to
 * 100 a second. A shared server sets its own, lower, figures.
 */
export const DEFAULT_RATE_LIMIT = { rps: 100, burst: 200 } as const;

const TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** A short human rendering of a YAML value for messages: `"abc"`, `12`, `a list`, `a map`. */
export const describeValue = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
};

interface Bounds {
  readonly int?: boolean;
  readonly gte?: number;
  readonly gt?: number;
  readonly lte?: number;
}

const describeBounds = (b: Bounds): string => {
  const noun = b.int === true ? 'an integer' : 'a number';
  if (b.gte !== undefined && b.lte !== undefined) return `${noun} from ${b.gte} to ${b.lte}`;
  if (b.gte !== undefined) return `${noun} ≥ ${b.gte}`;
  if (b.gt !== undefined) return `${noun} > ${b.gt}`;
  return noun;
};

/** A number whose every failure reads the same: `expected a number ≥ 0, got "abc"`. */
const boundedNumber = (b: Bounds): z.ZodNumber => {
  const what = describeBounds(b);
  const error = (issue: { readonly input?: unknown }): string => `expected ${what}, got ${describeValue(issue.input)}`;
  let schema = z.number({ error });
  if (b.int === true) schema = schema.int({ error });
  if (b.gte !== undefined) schema = schema.gte(b.gte, { error });
  if (b.gt !== undefined) schema = schema.gt(b.gt, { error });
  if (b.lte !== undefined) schema = schema.lte(b.lte, { error });
  return schema;
};

/** YAML reads `8000` or `true` as scalars; where the value ends up as text, accept them as written. */
const text = (what: string) =>
  z
    .union([z.string(), z.number(), z.boolean()], {
      error: (issue) => `expected ${what}, got ${describeValue(issue.input)}`,
    })
    .transform(String);

const jsonMap = z.record(z.string(), z.unknown());

/** MCP tool schemas describe an object of arguments; a missing `type` is filled in. */
const toolSchemaMap = jsonMap.superRefine((value, ctx) => {
  if ('type' in value && value['type'] !== 'object') {
    ctx.addIssue({
      code: 'custom',
      path: ['type'],
      message: `expected "object" (an MCP tool schema describes an object), got ${describeValue(value['type'])}`,
    });
  }
});

const toolSchema = z.strictObject({
  name: z.string().regex(TOOL_NAME_PATTERN, {
    error: (issue) => `invalid tool name ${describeValue(issue.input)}: 1-128 characters of A-Z a-z 0-9 _ . -`,
  }),
  title: z.string().optional(),
  description: z.string().optional(),
  inputSchema: toolSchemaMap.optional(),
  outputSchema: toolSchemaMap.optional(),
  annotations: jsonMap.optional(),
  _meta: jsonMap.optional(),
});

const circuitBreakerSchema = z.strictObject({
  failure_threshold: boundedNumber({ int: true, gte: 1 }).default(5),
  reset_timeout_s: boundedNumber({ gt: 0 }).default(30),
});

/** The surfaces `expose` chooses between (`search` is served as `registry` in this version). */
export const EXPOSE_MODES = ['registry', 'direct', 'both', 'search'] as const;
/** The front door when the config sets none: the registry tools and every provider's tools, `<provider>__<tool>`. */
export const DEFAULT_EXPOSE = { mode: 'both', separator: '__' } as const;

const exposeMode = z.enum(EXPOSE_MODES, {
  error: (issue) => {
    const hint = typeof issue.input === 'string' ? closestMatch(issue.input, EXPOSE_MODES) : undefined;
    const suggestion = hint === undefined ? '' : ` — did you mean '${hint}'?`;
    return `invalid expose mode ${describeValue(issue.input)}: expected one of ${EXPOSE_MODES.join(', ')}${suggestion}`;
  },
});

/** A tool name or a pattern with `*` (any run of characters). */
const toolPattern = z.string().regex(/^[A-Za-z0-9_.*-]{1,128}$/, {
  error: (issue) => `invalid tool pattern ${describeValue(issue.input)}: 1-128 characters of A-Z a-z 0-9 _ . - and * (any run of characters)`,
});

/** `expose: direct` is short for `expose: { mode: direct }`. */
const modeShorthand = (value: unknown): unknown => (typeof value === 'string' ? { mode: value } : value);

/** Top level: `expose: both`, or `expose: { mode: both, separator: "__" }`. */
const exposeSchema = z.preprocess(
  modeShorthand,
  z.strictObject({
    mode: exposeMode.default(DEFAULT_EXPOSE.mode),
    separator: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,8}$/, { error: (issue) => `invalid separator ${describeValue(issue.input)}: 1-8 characters of A-Z a-z 0-9 _ -` })
      .default(DEFAULT_EXPOSE.separator),
  }),
);

/** Per provider: `expose: direct`, or `expose: { mode?, prefix?, allow?, deny? }`. */
const providerExposeSchema = z.preprocess(
  modeShorthand,
  z.strictObject({
    mode: exposeMode.optional(),
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]{0,64}$/, { error: (issue) => `invalid prefix ${describeValue(issue.input)}: 0-64 characters of A-Z a-z 0-9 _ -` })
      .optional(),
    allow: z.array(toolPattern).optional(),
    deny: z.array(toolPattern).optional(),
  }),
);

const providerSchema = z.strictObject({
  mode: z
    .literal('subprocess', {
      error: (issue) => {
        const hint = typeof issue.input === 'string' ? closestMatch(issue.input, ALL_MODES) : undefined;
        const suggestion = hint === undefined ? '' : ` — did you mean '${hint}'?`;
        return `invalid mode ${describeValue(issue.input)}: expected one of ${ALL_MODES.join(', ')}${suggestion}`;
      },
    })
    .default('subprocess'),
  command: z
    .array(text('a string'), {
      error: (issue) =>
        issue.input === undefined
          ? 'required: the command that starts the provider, as a list, e.g. [node, server.js]'
          : `command must be a list, e.g. [node, server.js], got ${describeValue(issue.input)}`,
    })
    .min(1, { error: 'command must have at least one word, e.g. [node, server.js]' })
    .refine((words) => words[0] !== '', { error: 'the first word of command must not be empty', path: [0] }),
  env: z.record(z.string(), text('a string')).default({}),
  cwd: z.string().min(1, { error: "cwd must not be empty (leave it out for the config file's folder)" }).optional(),
  description: z.string().default(''),
  idle_ttl_s: boundedNumber({ gte: 0 }).default(300),
  health_check_interval_s: boundedNumber({ gt: 0 }).default(60),
  max_consecutive_failures: boundedNumber({ int: true, gte: 1 }).default(3),
  timeout_s: boundedNumber({ gte: 0.1, lte: 3600 }).default(30),
  circuit_breaker: circuitBreakerSchema.default({ failure_threshold: 5, reset_timeout_s: 30 }),
  tools: z.array(toolSchema).default([]),
  /** How this provider's tools are exposed as direct tools (default: as the top-level `expose` says). */
  expose: providerExposeSchema.optional(),
});

const retrySchema = z.strictObject({
  max_attempts: boundedNumber({ int: true, gte: 1, lte: 10 }).default(3),
  initial_delay_ms: boundedNumber({ gte: 0 }).default(1000),
  max_delay_ms: boundedNumber({ gte: 0 }).default(30000),
  jitter: boundedNumber({ gte: 0, lte: 1 }).default(0.25),
});

const MIB = 1024 * 1024;
/** The size limits when the config sets none: below the 10 MiB that the official MCP clients accept in one message. */
export const DEFAULT_LIMITS = { max_message_bytes: 8 * MIB, max_result_bytes: 8 * MIB } as const;

const limitsSchema = z.strictObject({
  max_message_bytes: boundedNumber({ int: true, gte: 1024, lte: 1024 * MIB }).default(DEFAULT_LIMITS.max_message_bytes),
  max_result_bytes: boundedNumber({ int: true, gte: 1024, lte: 1024 * MIB }).default(DEFAULT_LIMITS.max_result_bytes),
});

/** HTTP mode's settings when the config sets none (SPEC section 8). */
export const DEFAULT_HTTP = { host: '127.0.0.1', port: 8000, session_idle_s: 600, shutdown_grace_s: 10 } as const;

const tokenSchema = z.union([
  z.string().min(16, { error: 'a bearer token must be at least 16 characters' }),
  z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, { error: 'a token name has 1-64 letters, digits, _ . @ or -' }),
    value: z.string().min(16, { error: 'a bearer token must be at least 16 characters' }),
  }),
]);

const httpSchema = z.strictObject({
  host: z.string().min(1).default(DEFAULT_HTTP.host),
  port: boundedNumber({ int: true, gte: 0, lte: 65535 }).default(DEFAULT_HTTP.port),
  session_idle_s: boundedNumber({ gte: 1, lte: 86400 }).default(DEFAULT_HTTP.session_idle_s),
  shutdown_grace_s: boundedNumber({ gte: 0, lte: 3600 }).default(DEFAULT_HTTP.shutdown_grace_s),
  /** Default: limits.max_message_bytes. */
  max_body_bytes: boundedNumber({ int: true, gte: 1024, lte: 1024 * MIB }).optional(),
  /** Origins allowed besides none (requests without an Origin header are always allowed). */
  allowed_origins: z.array(z.string().min(1)).default([]),
  /** Whether /metrics asks for the same credentials as /mcp (default: open, like the health endpoints). */
  metrics_auth: z.boolean().default(false),
  /** The URL clients call /mcp at, when it is not the address listened on (a reverse proxy). */
  public_url: z.url({ error: 'public_url must be a URL, e.g. https://hangar.example.com/mcp' }).optional(),
  auth: z
    .strictObject({
      tokens: z.array(tokenSchema).default([]),
      jwt: z
        .strictObject({
          issuer: z.string().min(1),
          audience: z.string().min(1),
          jwks_url: z.url({ error: 'jwks_url must be a URL' }),
        })
        .optional(),
    })
    .optional(),
});

/** How often the serving hangar anchors the head of the hash chain when the config says nothing. */
export const DEFAULT_ANCHOR_EVERY = { events: 1000, minutes: 10 } as const;

/**
 * What the audit trail keeps of each call when the config says nothing: a digest of the arguments, and
 * under `full` at most 4 KiB of their redacted JSON per call (a store of a million calls then grows by at
 * most about 4 GB, typically far less: most arguments are a few hundred bytes).
 */
export const DEFAULT_AUDIT = { record_arguments: 'digest', max_argument_bytes: 4096 } as const;
/** `max_argument_bytes` bounds: room for a useful start of the JSON, and no more than a call's arguments may be (1 MiB). */
export const ARGUMENT_BYTES_BOUNDS = { gte: 64, lte: MIB } as const;

const auditSchema = z.strictObject({
  record_arguments: z
    .enum(RECORD_ARGUMENTS_MODES, {
      error: (issue) => {
        const hint = typeof issue.input === 'string' ? closestMatch(issue.input, RECORD_ARGUMENTS_MODES) : undefined;
        const suggestion = hint === undefined ? '' : ` — did you mean '${hint}'?`;
        return `invalid record_arguments ${describeValue(issue.input)}: expected one of ${RECORD_ARGUMENTS_MODES.join(', ')}${suggestion}`;
      },
    })
    .default(DEFAULT_AUDIT.record_arguments),
  max_argument_bytes: boundedNumber({ int: true, ...ARGUMENT_BYTES_BOUNDS }).default(DEFAULT_AUDIT.max_argument_bytes),
  /** Anchor the head every this many events... */
  anchor_every: boundedNumber({ int: true, gte: 1 }).default(DEFAULT_ANCHOR_EVERY.events),
  /** ...or every this many minutes (when events came), whichever comes first. */
  anchor_every_minutes: boundedNumber({ gt: 0, lte: 1440 }).default(DEFAULT_ANCHOR_EVERY.minutes),
});

/**
 * The config file's shape in YAML words (snake_case). Cross-field rules (provider ids, unavailable modes and
 * sections, duplicate tool names) live in `structural-checks.ts` so they run even when zod finds other problems.
 */
export const configFileSchema = z.strictObject({
  event_store: z.strictObject({ path: z.string().min(1, { error: 'path must not be empty' }).optional() }).optional(),
  // `providers:` with every entry commented out reads as null: an empty registry, not a mistake.
  providers: z
    .record(z.string(), providerSchema)
    .nullable()
    .transform((providers) => providers ?? {})
    .default({}),
  retry: retrySchema.default({ max_attempts: 3, initial_delay_ms: 1000, max_delay_ms: 30000, jitter: 0.25 }),
  limits: limitsSchema.default(DEFAULT_LIMITS),
  http: httpSchema.default({ ...DEFAULT_HTTP, allowed_origins: [], metrics_auth: false }),
  expose: exposeSchema.default({ ...DEFAULT_EXPOSE }),
  audit: auditSchema.default({ ...DEFAULT_AUDIT, anchor_every: DEFAULT_ANCHOR_EVERY.events, anchor_every_minutes: DEFAULT_ANCHOR_EVERY.minutes }),
});

export type ConfigFile = z.output<typeof configFileSchema>;
export type ProviderFile = z.output<typeof providerSchema>;
