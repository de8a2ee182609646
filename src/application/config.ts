import type { ProviderId } from '../domain/shared/ids.js';
import type { ProviderSettings, ToolDefinition } from '../domain/provider/tool-definition.js';

/** A validated subprocess provider, paths resolved. */
export interface SubprocessProviderConfig {
  readonly mode: 'subprocess';
  /** argv as written; relative paths in it resolve against `cwd`. */
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Absolute; default the config file's folder. */
  readonly cwd: string;
  readonly description: string;
  readonly settings: ProviderSettings;
  /** Tools given in the config, visible while the provider is cold. */
  readonly tools: readonly ToolDefinition[];
}

export type ProviderConfig = SubprocessProviderConfig;

export interface RetryConfig {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitter: number;
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
  /** Token bucket per provider and tool (MCP_RATE_LIMIT_RPS, MCP_RATE_LIMIT_BURST); absent: 10/s, burst 20. */
  readonly rateLimit?: { readonly rps: number; readonly burst: number } | undefined;
}

/** One problem in a config file, located by YAML path and line. */
export interface ConfigProblem {
  /** Dotted YAML path, e.g. `providers.math.idle_ttl_s` (empty for the document). */
  readonly path: string;
  /** 1-based line and column in the file, when known. */
  readonly line: number | null;
  readonly column: number | null;
  readonly message: string;
}

export type ConfigResult =
  { readonly ok: true; readonly config: HangarConfig } | { readonly ok: false; readonly sourcePath: string; readonly problems: readonly ConfigProblem[] };
