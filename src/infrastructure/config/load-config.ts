import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { ConfigProblem, ConfigResult, HangarConfig, HttpConfig, ProviderConfig, ProviderExposure, RateLimitConfig } from '../../application/config.js';
import type { ToolDefinition } from '../../domain/provider/tool-definition.js';
import { providerId, type ProviderId } from '../../domain/shared/ids.js';
import { DEFAULT_RATE_LIMIT, configFileSchema, describeValue, type ConfigFile, type ProviderFile } from './config-schema.js';
import { expandEnv, type Expansion, type RawProblem } from './expand-env.js';
import { checkStructure, stripUnavailable } from './structural-checks.js';
import { recursiveAliases } from './yaml-aliases.js';
import { positionOf, toPosition } from './yaml-position.js';
import { configErrorMap, zodProblems } from './zod-problems.js';

export { bundledStorePath, isBundledConfig, userDataFolder } from './data-folder.js';
export { locateConfig, type LocateConfigOptions } from './locate.js';

type Env = Readonly<Record<string, string | undefined>>;
type ConfigFailure = Extract<ConfigResult, { ok: false }>;

/** What a config that leaves something out gets instead of the usual default. */
export interface ConfigDefaults {
  /** The store when neither `event_store.path` nor `MCP_DATABASE_PATH` names one (else `<config folder>/data/hangar.db`). */
  readonly storePath?: string;
}

/**
 * Reads, parses and validates a hangar config file. Never throws: every problem (unreadable file, YAML syntax,
 * unknown key, wrong type, missing `${VAR}`, ...) is collected with its YAML path, line and column.
 *
 * `${NAME}` references in string values are expanded from `env` (`$${` writes a literal `${`); `MCP_DATABASE_PATH`
 * in `env` overrides `event_store.path`; `MCP_RATE_LIMIT_RPS` and `MCP_RATE_LIMIT_BURST` set the rate limit (a bad value is
 * a problem like any other). Relative paths resolve against the config file's folder. Without either, the store is
 * `defaults.storePath`, else `data/hangar.db` beside the config file.
 */
export const loadConfig = (path: string, env: Env = process.env, defaults: ConfigDefaults = {}): ConfigResult => {
  const sourcePath = resolve(path);
  const fail = (problems: readonly ConfigProblem[]): ConfigFailure => ({ ok: false, sourcePath, problems });

  let source: string;
  try {
    source = readFileSync(sourcePath, 'utf8');
  } catch (error) {
    return fail([{ path: '', line: null, column: null, message: readError(error) }]);
  }

  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) {
    return fail(
      doc.errors.map((error) => ({
        path: '',
        ...toPosition(lines, error.pos[0]),
        message: `YAML syntax error: ${error.message}`,
      })),
    );
  }

  // A recursive alias would make the value circular, and every walk below would exhaust the stack.
  const recursive = recursiveAliases(doc, source);
  if (recursive.length > 0) {
    return fail(
      recursive.map((alias) => ({
        path: formatPath(alias.path),
        ...toPosition(lines, alias.offset),
        message: `recursive alias *${alias.anchor}: it is inside the node anchored &${alias.anchor}${atLine(lines, alias.anchorOffset)}, so its value would contain itself`,
      })),
    );
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    return fail([{ path: '', line: null, column: null, message: `YAML error: ${(error as Error).message}` }]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return fail([{ path: '', ...positionOf(doc, lines, [], 'value'), message: `expected a map at the top level, got ${describeValue(raw)}` }]);
  }

  const stripped = stripUnavailable(raw);
  const expanded = expandEnv(stripped.value, env);
  const problems: RawProblem[] = [...stripped.problems, ...expanded.problems, ...checkStructure(expanded.value)];
  const parsed = configFileSchema.safeParse(expanded.value, { error: configErrorMap });
  if (!parsed.success) problems.push(...zodProblems(configFileSchema, parsed.error.issues));

  const rateLimit = rateLimitFromEnv(env);
  if (problems.length > 0 || !parsed.success || !rateLimit.ok) {
    const located = problems.map((p) => ({ path: formatPath(p.path), ...positionOf(doc, lines, p.path, p.at), message: p.message }));
    const fromEnv = rateLimit.ok ? [] : rateLimit.problems;
    return fail([...dedupe(located).sort(byPosition), ...fromEnv]);
  }
  const written = { raw: stripped.value, expansions: expanded.expansions };
  return { ok: true, config: { ...toHangarConfig(parsed.data, sourcePath, env, written, defaults), rateLimit: rateLimit.value } };
};

const atLine = (lines: LineCounter, offset: number | undefined): string => {
  const { line } = toPosition(lines, offset);
  return line === null ? '' : ` (line ${line})`;
};

const readError = (error: unknown): string => {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'config file not found';
  if (code === 'EISDIR') return 'config path is a folder, not a file';
  return `cannot read config file: ${(error as Error).message}`;
};

/** MCP_RATE_LIMIT_RPS (≥ 0; 0 turns limiting off) and MCP_RATE_LIMIT_BURST (≥ 1) over the defaults. */
const rateLimitFromEnv = (env: Env): { ok: true; value: RateLimitConfig } | { ok: false; problems: ConfigProblem[] } => {
  const problems: ConfigProblem[] = [];
  const read = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (Number.isFinite(value) && value >= min) return value;
    problems.push({ path: '', line: null, column: null, message: `environment variable ${name}=${raw}: expected a number ≥ ${min}` });
    return fallback;
  };
  const value = { rps: read('MCP_RATE_LIMIT_RPS', DEFAULT_RATE_LIMIT.rps, 0), burst: read('MCP_RATE_LIMIT_BURST', DEFAULT_RATE_LIMIT.burst, 1) };
  return problems.length === 0 ? { ok: true, value } : { ok: false, problems };
};

/** The config as written, before `${VAR}` expansion, and what each expansion put where. */
interface Written {
  readonly raw: unknown;
  readonly expansions: readonly Expansion[];
}

const toHttpConfig = (file: ConfigFile): HttpConfig => {
  const { http } = file;
  const auth = http.auth;
  return {
    host: http.host,
    port: http.port,
    sessionIdleMs: http.session_idle_s * 1000,
    shutdownGraceMs: http.shutdown_grace_s * 1000,
    maxBodyBytes: http.max_body_bytes ?? file.limits.max_message_bytes,
    allowedOrigins: http.allowed_origins,
    metricsAuth: http.metrics_auth,
    ...(http.public_url === undefined ? {} : { publicUrl: http.public_url }),
    ...(auth === undefined
      ? {}
      : {
          auth: {
            // Plain strings are named token-1, token-2, ... in the audit trail, in the order written.
            tokens: auth.tokens.map((token, i) => (typeof token === 'string' ? { name: `token-${i + 1}`, value: token } : token)),
            ...(auth.jwt === undefined ? {} : { jwt: { issuer: auth.jwt.issuer, audience: auth.jwt.audience, jwksUrl: auth.jwt.jwks_url } }),
          },
        }),
  };
};

const toHangarConfig = (file: ConfigFile, sourcePath: string, env: Env, written: Written, defaults: ConfigDefaults): Omit<HangarConfig, 'rateLimit'> => {
  const configDir = dirname(sourcePath);
  const override = env['MCP_DATABASE_PATH'];
  const storePath = override !== undefined && override !== '' ? override : file.event_store?.path;
  const providers = new Map<ProviderId, ProviderConfig>();
  for (const [id, provider] of Object.entries(file.providers)) {
    providers.set(providerId(id), toProviderConfig(provider, configDir, asWritten(written.raw, id), secretsOf(provider, id, written.expansions)));
  }
  return {
    sourcePath,
    configDir,
    eventStore: { path: resolve(configDir, storePath ?? defaults.storePath ?? 'data/hangar.db') },
    providers,
    limits: { maxMessageBytes: file.limits.max_message_bytes, maxResultBytes: file.limits.max_result_bytes },
    http: toHttpConfig(file),
    expose: { mode: file.expose.mode, separator: file.expose.separator },
    audit: {
      recordArguments: file.audit.record_arguments,
      maxArgumentBytes: file.audit.max_argument_bytes,
      anchorEvery: file.audit.anchor_every,
      anchorEveryMinutes: file.audit.anchor_every_minutes,
    },
    retry: {
      maxAttempts: file.retry.max_attempts,
      initialDelayMs: file.retry.initial_delay_ms,
      maxDelayMs: file.retry.max_delay_ms,
      jitter: file.retry.jitter,
    },
  };
};

/** The provider's command and cwd as the file writes them (`${VAR}` unexpanded), for showing. */
const asWritten = (raw: unknown, id: string): ProviderConfig['asWritten'] => {
  const provider = (raw as { providers?: Record<string, { command?: unknown; cwd?: unknown }> } | null)?.providers?.[id];
  const command = Array.isArray(provider?.command) ? provider.command.map(String) : [];
  return { command, cwd: provider?.cwd === undefined ? null : String(provider.cwd) };
};

/** Every value that must not be stored or shown: the provider's env values and whatever `${VAR}` put into its part of the file. */
const secretsOf = (p: ProviderFile, id: string, expansions: readonly Expansion[]): readonly string[] => {
  const expanded = expansions.filter((e) => e.path[0] === 'providers' && e.path[1] === id).map((e) => e.value);
  return [...new Set([...Object.values(p.env), ...expanded])].filter((value) => value !== '');
};

const toProviderConfig = (p: ProviderFile, configDir: string, written: ProviderConfig['asWritten'], secrets: readonly string[]): ProviderConfig => ({
  launch: { mode: p.mode, command: p.command, env: p.env, cwd: resolve(configDir, p.cwd ?? '.') },
  asWritten: written,
  secrets,
  description: p.description,
  settings: {
    idleTtlS: p.idle_ttl_s,
    healthCheckIntervalS: p.health_check_interval_s,
    maxConsecutiveFailures: p.max_consecutive_failures,
    timeoutS: p.timeout_s,
    circuitBreaker: {
      failureThreshold: p.circuit_breaker.failure_threshold,
      resetTimeoutS: p.circuit_breaker.reset_timeout_s,
    },
  },
  tools: p.tools.map(toToolDefinition),
  ...(p.expose === undefined ? {} : { expose: toProviderExposure(p.expose) }),
});

/** Only the keys written, so that the provider's config digest changes only when its exposure does. */
const toProviderExposure = (e: NonNullable<ProviderFile['expose']>): ProviderExposure => {
  const exposure: { -readonly [K in keyof ProviderExposure]: ProviderExposure[K] } = {};
  if (e.mode !== undefined) exposure.mode = e.mode;
  if (e.prefix !== undefined) exposure.prefix = e.prefix;
  if (e.allow !== undefined) exposure.allow = e.allow;
  if (e.deny !== undefined) exposure.deny = e.deny;
  return exposure;
};

/** Copies only the keys that were given, so an absent `title` is absent rather than `undefined`. */
const toToolDefinition = (tool: ProviderFile['tools'][number]): ToolDefinition => {
  const definition: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tool)) if (value !== undefined) definition[key] = value;
  definition['inputSchema'] = { type: 'object', ...tool.inputSchema };
  return { name: tool.name, ...definition };
};

const SIMPLE_KEY = /^[A-Za-z0-9_-]+$/;

/** `providers.math.tools[1].name`; keys that are not plain words are quoted: `providers["my tool"]`. */
const formatPath = (path: readonly (string | number)[]): string =>
  path.reduce<string>((text, segment) => {
    if (typeof segment === 'number') return `${text}[${segment}]`;
    if (!SIMPLE_KEY.test(segment)) return `${text}[${JSON.stringify(segment)}]`;
    return text === '' ? segment : `${text}.${segment}`;
  }, '');

const byPosition = (a: ConfigProblem, b: ConfigProblem): number => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);

const dedupe = (problems: readonly ConfigProblem[]): ConfigProblem[] => {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

/**
 * Renders a failed load for stderr: a header line, then one `file:line:col path: message` line per problem.
 * The file is shown relative to `cwd` when it lies inside it.
 */
export const formatProblems = (result: ConfigFailure, cwd: string = process.cwd()): string => {
  const shown = relative(cwd, result.sourcePath);
  const file = shown !== '' && !shown.startsWith('..') && !isAbsolute(shown) ? shown : result.sourcePath;
  const count = result.problems.length;
  const header = `Invalid configuration in ${result.sourcePath} (${count} problem${count === 1 ? '' : 's'}):`;
  const lines = result.problems.map((p) => {
    const where = p.line === null ? file : `${file}:${p.line}:${p.column ?? 1}`;
    return p.path === '' ? `${where}: ${p.message}` : `${where} ${p.path}: ${p.message}`;
  });
  return [header, ...lines].join('\n');
};
