/** The command line (`serve`, `validate`, `history`, `replay`, `audit`, `audit verify|anchor|export|prune`); `main.ts` loads it once the heap is sized. */
import { Command, InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Records } from './application/application.js';
import type { HangarConfig } from './application/config.js';
import { ChainBrokenError } from './application/queries/chain-audit.js';
import type { HistoryEntry, ProvidersHistoryEntry } from './application/queries/provider-history.js';
import { closestMatch } from './domain/shared/closest.js';
import { isProviderId, type ProviderId } from './domain/shared/ids.js';
import { launchWarnings } from './infrastructure/config/launch-checks.js';
import { bundledStorePath, formatProblems, isBundledConfig, loadConfig, locateConfig } from './infrastructure/config/load-config.js';
import {
  auditCommand,
  auditAnchorCommand,
  auditExportCommand,
  auditPruneCommand,
  auditVerifyCommand,
  auditVerifyFileCommand,
  chainBrokenRefusal,
  historyCommand,
  historyJson,
  historyLine,
  historyUsage,
  replayCommand,
  noStoreYet,
  parseAnchors,
  unknownProvider,
  validateCommand,
  type CliOutcome,
} from './interfaces/cli/commands.js';
import { followEvents } from './interfaces/cli/follow.js';
import { PACKAGE_ROOT, VERSION } from './version.js';
import { letYoungGenerationGrow, withRoomToGrow } from './young-generation.js';

// Heavy modules are imported where they are needed, so that `serve` answers `initialize` and
// `tools/list` while the registry is still booting, and `validate` never loads them at all.
const records = async (path: string) => (await import('./records.js')).openRecords(path);

/** HTTP requests a client may make per second, in multiples of the per-tool rate limit (MCP_RATE_LIMIT_RPS, _BURST). */
const HTTP_REQUESTS_PER_TOOL_LIMIT = 10;

const BUNDLED_CONFIG = fileURLToPath(new URL('config/hangar.yaml', PACKAGE_ROOT));

/** Whether `config` is the bundled one, whose store lives in the user's data folder, never in the package. */
const isBundled = (config: HangarConfig): boolean => isBundledConfig(config.sourcePath, BUNDLED_CONFIG);

/**
 * Loads the config the options point at (`-c` after the command, or before it: `mcp-hangar -c FILE validate`);
 * on problems prints them and exits 2 (nothing started). The bundled config keeps its store in the user's
 * data folder, unless MCP_DATABASE_PATH or the file itself says otherwise.
 */
const configFrom = (options: { config?: string }): HangarConfig => {
  const given = options.config ?? (program.opts() as { config?: string }).config;
  const path = locateConfig({ ...(given ? { cliPath: given } : {}), env: process.env, cwd: process.cwd(), bundledPath: BUNDLED_CONFIG });
  const defaults = isBundledConfig(path, BUNDLED_CONFIG) ? { storePath: bundledStorePath(process.env) } : {};
  const result = loadConfig(path, process.env, defaults);
  if (!result.ok) {
    process.stderr.write(`${formatProblems(result)}\n`);
    process.exit(2);
  }
  return result.config;
};

/** Resolves once `text` has been handed to the operating system (a pipe may take it in several writes). */
const written = (stream: NodeJS.WriteStream, text: string): Promise<void> => new Promise((resolve) => stream.write(text, () => resolve()));

/**
 * Writes a command's output, all of it, before exiting with its code: each write resolves only once the
 * operating system took the whole text (a pipe takes 64 KiB at a time), so nothing is cut off by the exit.
 */
const finish = async (outcome: CliOutcome): Promise<never> => {
  if (outcome.stdout) await written(process.stdout, `${outcome.stdout}\n`);
  if (outcome.stderr) await written(process.stderr, `${outcome.stderr}\n`);
  process.exit(outcome.exitCode);
};

/** Opens the config's event store read-only, or finishes with "no event store yet" (exit 1) without creating it. */
const storeOf = async (config: HangarConfig): Promise<Records> => {
  if (!existsSync(config.eventStore.path)) return finish(noStoreYet(config.eventStore.path, config.sourcePath));
  return records(config.eventStore.path);
};

/** The one stderr line of a `serve` that found no config of the user's (stdout is the MCP channel). */
const servingBundled = (config: HangarConfig): string =>
  `mcp-hangar: serving the bundled config ${config.sourcePath}, event store ${config.eventStore.path} (serve your own config with --config, $MCP_CONFIG or ./config.yaml)`;

const BUNDLED_STORE_HINT =
  'the bundled config keeps its store in the user data folder ($XDG_DATA_HOME/mcp-hangar, else ~/.local/share/mcp-hangar; %LOCALAPPDATA%\\mcp-hangar on Windows): set MCP_DATABASE_PATH or XDG_DATA_HOME to a writable place, or serve a config of your own with --config';

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
};

const configOption = '-c, --config <path>';
const configHelp = 'config file (default: $MCP_CONFIG, ./config.yaml, or the bundled config/hangar.yaml)';

const program = new Command()
  .name('mcp-hangar')
  .description('A registry of MCP providers behind one MCP server: lazy starts, supervision, an auditable event log.')
  .version(VERSION)
  // Also before the command (`mcp-hangar -c hangar.yaml validate`); each command takes it after itself too.
  .option(configOption, configHelp)
  // A command's options belong to it: `audit export --before T` is export's --before, not audit's.
  .enablePositionalOptions()
  // Usage errors (an unknown option, a missing argument) exit 2, like an unknown command; help and version 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

// The commands that read the record once and exit (`history`, `replay`, `audit` and its subcommands) let V8's
// young generation grow, as a one-shot read of a long log wants; `serve`, `validate` and `history --follow`,
// which keep running or read little, keep the small one (see young-generation.ts).
program.hook('preAction', (_program, action) => {
  const command = action.parent === program ? action.name() : action.parent?.name();
  if ((command === 'history' && action.opts<{ follow?: boolean }>().follow !== true) || command === 'replay' || command === 'audit') letYoungGenerationGrow();
});

/** The commands, for "unknown command" (the implicit `help` included). */
const COMMANDS = ['serve', 'validate', 'history', 'replay', 'audit', 'help'];

// `serve` is the default command, so anything that is not a command would reach it as an argument:
// an unknown command is reported as one instead, with the commands there are (exit 2).
program.hook('preSubcommand', async (_program, command) => {
  const first = program.args[0];
  if (first === undefined || first === command.name() || first.startsWith('-')) return;
  const suggestion = closestMatch(first, COMMANDS);
  await finish({
    stderr: [
      `mcp-hangar: unknown command '${first}'${suggestion ? ` — did you mean '${suggestion}'?` : ''}`,
      `commands: ${COMMANDS.filter((c) => c !== 'help').join(', ')} (serve is the default); see mcp-hangar --help`,
    ].join('\n'),
    exitCode: 2,
  });
});

const portNumber = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535 (0 picks a free port)');
  return n;
};

interface ServeOptions {
  config?: string;
  http?: boolean;
  host?: string;
  port?: number;
  acceptBrokenChain?: boolean;
}

/**
 * Where HTTP mode listens: the flags, else MCP_HTTP_HOST / MCP_HTTP_PORT, else the config's `http.host` /
 * `http.port` (default 127.0.0.1:8000). A bad MCP_HTTP_PORT exits 2.
 */
const httpAddress = (options: ServeOptions, config: HangarConfig): { host: string; port: number } => {
  const envPort = process.env['MCP_HTTP_PORT'];
  let port = config.http.port;
  if (options.port !== undefined) port = options.port;
  else if (envPort !== undefined && envPort !== '') {
    try {
      port = portNumber(envPort);
    } catch {
      process.stderr.write(`mcp-hangar: MCP_HTTP_PORT=${envPort} is not a port number (0-65535; 0 picks a free port)\n`);
      process.exit(2);
    }
  }
  const host = options.host ?? (process.env['MCP_HTTP_HOST'] || undefined) ?? config.http.host;
  return { host, port };
};

program
  .command('serve', { isDefault: true })
  .description('serve the hangar over stdio (the MCP client starts this command), or over HTTP with --http')
  .option(configOption, configHelp)
  .option('--http', 'serve over HTTP (Streamable HTTP at /mcp, HTTP+SSE at /sse) instead of stdio; also MCP_MODE=http')
  .option('--host <host>', 'HTTP mode: the address to bind (default: $MCP_HTTP_HOST, http.host, 127.0.0.1)')
  .option('--port <port>', 'HTTP mode: the port (default: $MCP_HTTP_PORT, http.port, 8000; 0 picks a free one)', portNumber)
  .option('--accept-broken-chain', 'serve even though the hash chain is broken (found at boot); the acceptance is recorded')
  .action(async (options: ServeOptions) => {
    const config = configFrom(options);
    const http = options.http === true || process.env['MCP_MODE']?.toLowerCase() === 'http';
    const httpModule = http ? await import('./interfaces/http/http-server.js') : undefined;
    const address = http ? httpAddress(options, config) : undefined;
    if (httpModule !== undefined && address !== undefined) {
      const { isLoopbackHost, authConfigured } = await import('./interfaces/http/auth-required.js');
      if (!isLoopbackHost(address.host) && !authConfigured(config.http.auth)) {
        process.stderr.write(
          [
            `mcp-hangar: refusing to serve HTTP on ${address.host} without authentication: anyone who can reach it could start and call every provider.`,
            'Bind a loopback address (--host 127.0.0.1, the default) and put a reverse proxy in front, or turn authentication on in the config:',
            '  http:',
            '    auth:',
            '      tokens: [{ name: alice, value: "${ALICE_TOKEN}" }]   # bearer tokens, 16+ characters',
            '      # or jwt: { issuer: ..., audience: ..., jwks_url: ... }',
          ].join('\n') + '\n',
        );
        process.exit(2);
      }
    }
    // The stdio modules load before the boot starts, so that stdio serves initialize while the registry boots.
    const [{ createLogger }, { storeProblem }, stdio, lineTransport] = await Promise.all([
      import('./infrastructure/logging/pino-logger.js'),
      import('./infrastructure/persistence/sqlite/check-store.js'),
      http ? undefined : import('./interfaces/mcp/stdio.js'),
      http ? undefined : import('./infrastructure/jsonrpc/stdio-server-transport.js'),
    ]);
    const bundled = isBundled(config);
    if (bundled) process.stderr.write(`${servingBundled(config)}\n`);
    const inDataFolder = bundled && config.eventStore.path === bundledStorePath(process.env);
    const problem = storeProblem(config.eventStore.path, inDataFolder ? BUNDLED_STORE_HINT : undefined);
    if (problem !== null) {
      process.stderr.write(`mcp-hangar: ${problem}\n`);
      process.exit(1);
    }
    const logger = createLogger();
    // The served file is watched and read again on change or SIGHUP, with the same loader and defaults as at boot.
    const reloadDefaults = bundled ? { storePath: bundledStorePath(process.env) } : {};
    const configSource = () => loadConfig(config.sourcePath, process.env, reloadDefaults);
    const hangar = import('./composition-root.js').then(({ createHangar }) =>
      createHangar(config, {
        logger,
        metrics: http,
        configSource,
        watchConfig: true,
        acceptBrokenChain: options.acceptBrokenChain === true,
        heavyFold: withRoomToGrow,
      }),
    );
    // Synchronous, so that it runs before a shutdown that stdin's end may have begun (which exits 0).
    hangar.catch((error: unknown) => {
      if (error instanceof ChainBrokenError) {
        process.stderr.write(`${chainBrokenRefusal(error.check, config.eventStore.path, error.anchors, config.sourcePath)}\n`);
        process.exit(1);
      }
      logger.error('the hangar could not start', { error: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    });
    if (httpModule !== undefined && address !== undefined) {
      const { serveHttp } = httpModule;
      const { authConfigured } = await import('./interfaces/http/auth-required.js');
      const [{ createAuthenticator }, { bootingMetrics }] = await Promise.all([
        import('./interfaces/http/auth.js'),
        import('./interfaces/http/booting-metrics.js'),
      ]);
      const authConfig = config.http.auth !== undefined && authConfigured(config.http.auth) ? config.http.auth : undefined;
      // The authenticator names the resource clients call (OAuth protected-resource metadata): http.public_url,
      // else the address actually listened on, known once listening (--port 0): so it is made then.
      let authenticator: ReturnType<typeof createAuthenticator> | undefined;
      const wellKnown: Record<string, unknown> = {};
      const hooks = {
        metrics: bootingMetrics(hangar.then((h) => h.metrics)),
        // HTTP-level: ten times the per-tool limit, per client, so that one busy client cannot flood the others.
        requestLimit: { rps: config.rateLimit.rps * HTTP_REQUESTS_PER_TOOL_LIMIT, burst: config.rateLimit.burst * HTTP_REQUESTS_PER_TOOL_LIMIT },
        ...(authConfig === undefined
          ? {}
          : {
              authenticate: (req: Parameters<ReturnType<typeof createAuthenticator>['authenticate']>[0]) =>
                authenticator === undefined
                  ? Promise.resolve({
                      ok: false as const,
                      status: 503,
                      headers: { 'Retry-After': '1' },
                      body: { error: 'starting', message: 'the hangar is starting' },
                    })
                  : authenticator.authenticate(req),
              ...(authConfig.jwt === undefined ? {} : { wellKnown }),
            }),
      };
      const listening = await serveHttp(hangar, { config: { ...config.http, ...address }, logger, version: VERSION, ...hooks }).catch((error: unknown) => {
        logger.error('could not listen', { host: address.host, port: address.port, error: error instanceof Error ? error.message : String(error) });
        process.stderr.write(`mcp-hangar: could not listen on ${address.host}:${address.port}: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      });
      if (authConfig !== undefined) {
        authenticator = createAuthenticator(authConfig, { resourceUrl: config.http.publicUrl ?? listening.url, logger });
        Object.assign(wellKnown, authenticator.wellKnown ?? {});
      }
      return;
    }
    if (stdio === undefined || lineTransport === undefined) return;
    const { serveStdio } = stdio;
    const { StdioServerLineTransport } = lineTransport;
    await serveStdio(hangar, logger, VERSION, new StdioServerLineTransport({ maxMessageBytes: config.limits.maxMessageBytes, logger }));
  });

program
  .command('validate')
  .description('check a config file; exit 2 with the YAML path and line of every problem')
  .option(configOption, configHelp)
  .action((options: { config?: string }) => {
    const config = configFrom(options);
    return finish(validateCommand(config, launchWarnings(config)));
  });

type AnyEntry = HistoryEntry | ProvidersHistoryEntry;

/**
 * `history --follow`: prints what is recorded (the last `limit` events), then every new event as it is
 * appended, polling the store read-only every 500 ms, until SIGINT or SIGTERM (exit 0) or a closed stdout.
 * Text is one line per event; with --json, one JSON object per line.
 */
const follow = async (opened: Records, provider: ProviderId | undefined, options: { json: boolean; limit?: number | undefined }): Promise<never> => {
  const read = (fromPosition: number, limit?: number): Promise<readonly AnyEntry[]> =>
    provider === undefined ? opened.all({ fromPosition, limit }) : opened.history({ provider, since: String(fromPosition), limit });
  const stop = new AbortController();
  const end = () => stop.abort();
  process.once('SIGINT', end);
  process.once('SIGTERM', end);
  process.stdout.on('error', end); // EPIPE: the reader went away
  const width = provider === undefined ? 16 : 0;
  const render = (events: readonly AnyEntry[]): string =>
    events.map((e) => (options.json ? JSON.stringify(historyJson(e, provider ?? '')) : historyLine(e, width))).join('\n') + '\n';
  const emit = async (events: readonly AnyEntry[]) => {
    if (!stop.signal.aborted) await written(process.stdout, render(events));
  };
  const first = await read(1, options.limit);
  await emit(first);
  await written(process.stderr, `following ${provider === undefined ? 'every provider' : provider} (Ctrl-C to stop)\n`);
  const from = first.length === 0 ? 1 : (first[first.length - 1] as AnyEntry).position + 1;
  await followEvents((position) => read(position), from, emit, stop.signal);
  await opened.close();
  return finish({ exitCode: 0 });
};

program
  .command('history')
  .description("print a provider's recorded timeline across every run of the hangar (or every provider's, with --all)")
  .argument('[provider]', 'provider id')
  .option(configOption, configHelp)
  .option('--all', "every provider's events, interleaved in the order they were recorded")
  .option('-f, --follow', 'keep printing new events as they are recorded, until Ctrl-C')
  .option('--json', 'print the events as JSON (with --follow: one JSON object per line)')
  .option('-n, --limit <count>', 'only the most recent <count> events', positiveInt)
  .action(async (provider: string | undefined, options: { config?: string; json?: boolean; limit?: number; all?: boolean; follow?: boolean }) => {
    const config = configFrom(options);
    const usage = historyUsage(provider, options.all === true);
    if (usage !== null) return finish(usage);
    const opened = await storeOf(config);
    const configured = [...config.providers.keys()];
    if (options.follow) {
      const unknown = provider === undefined ? null : await unknownProvider(opened, provider, configured);
      if (unknown !== null) {
        await opened.close();
        return finish(unknown);
      }
      return follow(opened, provider !== undefined && isProviderId(provider) ? provider : undefined, { json: options.json === true, limit: options.limit });
    }
    const outcome = await historyCommand(opened, provider, { json: options.json === true, limit: options.limit, all: options.all === true, configured });
    await opened.close();
    return finish(outcome);
  });

program
  .command('replay')
  .description("a provider's state at a moment, rebuilt from its events (or each event of a window with what it changed)")
  .argument('<provider>', 'provider id')
  .option(configOption, configHelp)
  .option('--at <point>', 'an ISO time, or a global position (a number)')
  .option('--from <point>', 'start of a window (ISO time or position)')
  .option('--to <point>', 'end of a window (ISO time or position)')
  .option('-n, --limit <count>', 'a window shows at most <count> events (default 1000, at most 10000); it says where to go on', positiveInt)
  .option('--json', 'print the state (or the window) as JSON')
  .action(async (provider: string, options: { config?: string; json?: boolean; at?: string; from?: string; to?: string; limit?: number }) => {
    const config = configFrom(options);
    const opened = await storeOf(config);
    const outcome = await replayCommand(opened, provider, {
      json: options.json === true,
      at: options.at,
      from: options.from,
      to: options.to,
      limit: options.limit,
      configured: [...config.providers.keys()],
    });
    await opened.close();
    return finish(outcome);
  });

interface AuditCliOptions {
  config?: string;
  provider?: string;
  tool?: string;
  since?: string;
  until?: string;
  outcome?: string;
  correlationId?: string;
  caller?: string;
  before?: number;
  limit?: number;
  json?: boolean;
  csv?: boolean;
}

// `audit` with filters lists recorded tool calls; `audit verify` checks the hash chain.
const audit = program
  .command('audit')
  .enablePositionalOptions()
  .description('list recorded tool calls, newest first (every filter optional; they combine); audit verify|anchor|export|prune look after the record')
  .option(configOption, configHelp)
  .option('--provider <id>', 'calls to this provider')
  .option('--tool <name>', 'calls of this tool')
  .option('--since <time>', 'calls at or after this ISO date or time (UTC unless it names a zone; a date alone is its midnight)')
  .option('--until <time>', 'calls before this ISO date or time')
  .option('--outcome <outcome>', 'success, tool_error, failed (any call without a result), or an error code (timeout, provider_crashed, ...)')
  .option('--correlation-id <id>', 'the calls of one registry call')
  .option('--caller <name>', 'calls made by this HTTP caller (token name or JWT subject)')
  .option('--before <position>', 'the next page: the calls listed after this position (a full page names it)', positiveInt)
  .option('-n, --limit <count>', 'at most <count> calls (default 100, at most 10000)', positiveInt)
  .option('--json', 'print the calls as one JSON document (as registry_audit returns them)')
  .option('--csv', 'print the calls as CSV (RFC 4180)')
  .allowExcessArguments()
  .action(async (options: AuditCliOptions, command: Command) => {
    const [word] = command.args;
    if (word !== undefined) {
      // Not a subcommand: say so with the closest one, as for an unknown command.
      const names = command.commands.map((c) => c.name());
      const suggestion = closestMatch(word, names);
      return finish({
        stderr: `mcp-hangar audit: unknown command '${word}'${suggestion ? ` — did you mean '${suggestion}'?` : ''}\naudit commands: ${names.join(', ')}; with none, audit lists recorded tool calls (see mcp-hangar audit --help)`,
        exitCode: 2,
      });
    }
    const config = configFrom(options);
    const opened = await storeOf(config);
    const { config: _config, ...query } = options;
    const outcome = await auditCommand(opened, { ...query, configured: [...config.providers.keys()] });
    await opened.close();
    return finish(outcome);
  });

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

audit
  .command('verify')
  .description(
    'check the hash chain over every stored event and every anchor of the anchor file (or an export, with --file); exit 1 naming the first bad position',
  )
  .option(configOption, configHelp)
  .option('--anchor <position:hash>', 'also check that the store (or the export) still holds this head, as `audit anchor` printed it (repeatable)', collect)
  .option('--file <export.jsonl>', 'verify an export on its own, without the store')
  .action(async (options: { config?: string; anchor?: string[]; file?: string }) => {
    const given = parseAnchors(options.anchor ?? []);
    if ('usage' in given) return finish(given.usage);
    const { heads } = given;
    if (options.file !== undefined) {
      if (!existsSync(options.file)) return finish({ stderr: `mcp-hangar audit verify: no file ${options.file}`, exitCode: 2 });
      const { verifyExportFile } = await import('./infrastructure/persistence/event-export.js');
      return finish(auditVerifyFileCommand(options.file, await verifyExportFile(options.file, heads)));
    }
    const config = configFrom(options);
    const opened = await storeOf(config);
    const outcome = await auditVerifyCommand(opened, config.eventStore.path, heads);
    await opened.close();
    await finish(outcome);
  });

audit
  .command('anchor')
  .description('print the head of the hash chain as position:hash; keep it elsewhere and check it later with `audit verify --anchor`')
  .option(configOption, configHelp)
  .action(async (options: { config?: string }) => {
    const config = configFrom(options);
    const opened = await storeOf(config);
    const outcome = await auditAnchorCommand(opened);
    await opened.close();
    await finish(outcome);
  });

audit
  .command('export')
  .description('write every event before a point to a new JSON Lines file, with its hashes, verified as written; logged next to the store')
  .option(configOption, configHelp)
  .requiredOption('--before <point>', 'an ISO time (the export ends with the last event before it) or a global position (the export ends just before it)')
  .requiredOption('--out <file.jsonl>', 'the file to write (never overwritten)')
  .action(async (options: { config?: string; before: string; out: string }) => {
    const config = configFrom(options);
    if (existsSync(options.out))
      return finish({ stderr: `mcp-hangar audit export: ${options.out} exists; an export never overwrites a file (choose another --out)`, exitCode: 2 });
    const opened = await storeOf(config);
    const outcome = await auditExportCommand(opened, config.eventStore.path, options);
    await opened.close();
    await finish(outcome);
  });

audit
  .command('prune')
  .description('remove the tool-call events before a point that an export holds (see audit export); lifecycle events stay, and the chain still verifies')
  .option(configOption, configHelp)
  .requiredOption('--before <point>', 'an ISO time (the calls before it) or a global position (the calls below it): the same point as the export')
  .action(async (options: { config?: string; before: string }) => {
    const config = configFrom(options);
    if (!existsSync(config.eventStore.path)) return finish(noStoreYet(config.eventStore.path, config.sourcePath));
    const pruning = (await import('./records.js')).openPruning(config.eventStore.path);
    try {
      await finish(await auditPruneCommand(pruning.prune, config.eventStore.path, options));
    } finally {
      await pruning.close();
    }
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`mcp-hangar: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
