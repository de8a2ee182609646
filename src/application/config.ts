import type { RecordArgumentsMode } from '../domain/audit/redact-arguments.js';
import type { ProviderId } from '../domain/shared/ids.js';
import type { ProviderSettings, ToolDefinition } from '../domain/provider/tool-definition.js';
import type { LaunchSpec } from './ports/provider-runtime.js';

/**
 * The surface a client sees: `registry` (the registry tools), `direct` (every provider's tools under their
 * own namespaced names), `both`; `search` is served as `registry` in this version.
 */
export type ExposeMode = 'registry' | 'direct' | 'both' | 'search';

/** The top-level `expose` section. */
export interface ExposeConfig {
  readonly mode: ExposeMode;
  /** Between the prefix (the provider id by default) and the tool's name: `math__add`. */
  readonly separator: string;
}

/** A provider's `expose` section: only what it writes (so a config without it keeps its digest). */
export interface ProviderExposure {
  /** Default: the top-level mode. `direct` or `both` lists its tools directly. */
  readonly mode?: ExposeMode;
  /** Default: the provider id; empty: the tools' own names, no separator. */
  readonly prefix?: string;
  /** Tool names or `*` patterns; when given, only the tools matching one are exposed directly. */
  readonly allow?: readonly string[];
  /** Tool names or `*` patterns never exposed directly (they stay callable through registry_invoke). */
  readonly deny?: readonly string[];
}

/** A validated provider, paths resolved. */
export interface ProviderConfig {
  /** How to run it; the composition root routes it to the runtime of its `mode`. */
  readonly launch: LaunchSpec;
  readonly description: string;
  readonly settings: ProviderSettings;
  /** Tools given in the config, visible while the provider is cold. */
  readonly tools: readonly ToolDefinition[];
  /** The launch as the config file writes it, `${VAR}` references unexpanded: what is shown, never the expanded form. */
  readonly asWritten: { readonly command: readonly string[]; readonly cwd: string | null };
  /** Values never stored or shown: the provider's env values and every `${VAR}` value expanded into its config. */
  readonly secrets: readonly string[];
  /** How its tools are exposed directly; absent: as the top-level `expose` says. */
  readonly expose?: ProviderExposure;
}

export interface RetryConfig {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: number;
}

/** A token bucket per key: `rps` sustained calls per second (0 turns limiting off), `burst` above that at once. */
export interface RateLimitConfig {
  readonly rps: number;
  readonly burst: number;
}

/** Sizes the hangar refuses beyond: what a client may send in one message, and what a call may return. */
export interface LimitsConfig {
  /** One message from the client, in bytes (`limits.max_message_bytes`). */
  readonly maxMessageBytes: number;
  /** One tool result or tool list sent to the client, in UTF-8 bytes of its JSON (`limits.max_result_bytes`). */
  readonly maxResultBytes: number;
}

/** A bearer token a client may present over HTTP; `name` is what the audit trail records. */
export interface BearerToken {
  readonly name: string;
  readonly value: string;
}

/** HTTP mode (`serve --http`): where it listens, its limits, and who may call it. */
export interface HttpConfig {
  readonly host: string;
  /** 0 picks a free port (logged). */
  readonly port: number;
  /** A session without a request for this long is closed. */
  readonly sessionIdleMs: number;
  /** On SIGTERM, in-flight calls get this long to finish. */
  readonly shutdownGraceMs: number;
  /** A request body over this is refused with 413. */
  readonly maxBodyBytes: number;
  /** Browser origins allowed to call (an Origin header outside them is refused with 403). */
  readonly allowedOrigins: readonly string[];
  /** Whether /metrics asks for the same credentials as /mcp. */
  readonly metricsAuth: boolean;
  /** The URL clients use to reach /mcp (behind a proxy); the OAuth metadata names it. Default: the address listened on. */
  readonly publicUrl?: string;
  /** Absent: no authentication (allowed on a loopback address only). */
  readonly auth?: {
    readonly tokens: readonly BearerToken[];
    readonly jwt?: { readonly issuer: string; readonly audience: string; readonly jwksUrl: string };
  };
}

/**
 * What the audit trail keeps of each call (`audit:`). Read at every call, so a reload applies it to the
 * calls that begin after it.
 */
/** What the audit trail records of each call (read at every call). */
export type CallRecording = Pick<AuditConfig, 'recordArguments' | 'maxArgumentBytes'>;

export interface AuditConfig {
  /** `none`, `digest` (the default: a digest of the arguments) or `full` (the redacted arguments too). */
  readonly recordArguments: RecordArgumentsMode;
  /** Under `full`, the recorded JSON is cut to this many UTF-8 bytes (the cut and the whole size are recorded). */
  readonly maxArgumentBytes: number;
  /** Anchor the head of the hash chain every this many events (`anchor_every`, default 1000)... */
  readonly anchorEvery: number;
  /** ...or every this many minutes when events came (`anchor_every_minutes`, default 10), whichever comes first. */
  readonly anchorEveryMinutes: number;
}

/** The hangar's whole configuration after validation; every path in it is absolute. */
export interface HangarConfig {
  /** Absolute path of the file this came from (or a description for built-in defaults). */
  readonly sourcePath: string;
  /** Absolute folder of the config file: relative paths in it resolve here. */
  readonly configDir: string;
  readonly eventStore: { readonly path: string };
  readonly providers: ReadonlyMap<ProviderId, ProviderConfig>;
  readonly retry: RetryConfig;
  readonly limits: LimitsConfig;
  readonly http: HttpConfig;
  /** Which tools clients see (`expose:`). */
  readonly expose: ExposeConfig;
  /** What the audit trail keeps of each call, and how often the chain's head is anchored (`audit:`). */
  readonly audit: AuditConfig;
  /** Per provider and tool (per registry tool for the others), from MCP_RATE_LIMIT_RPS and MCP_RATE_LIMIT_BURST. */
  readonly rateLimit: RateLimitConfig;
}

/** One problem in a config file, located by YAML path and line. */
export interface ConfigProblem {
  /** Dotted YAML path, e.g. `providers.math.idle_ttl_s` (empty for the document or the environment). */
  readonly path: string;
  /** 1-based line and column in the file, when known. */
  readonly line: number | null;
  readonly column: number | null;
  readonly message: string;
}

export type ConfigResult =
  { readonly ok: true; readonly config: HangarConfig } | { readonly ok: false; readonly sourcePath: string; readonly problems: readonly ConfigProblem[] };
