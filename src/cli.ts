/** The command line (`serve`, `validate`, `history`, `audit verify`); `main.ts` loads it once the heap is sized. */
import { Command, InvalidArgumentError } from 'commander';
import { fileURLToPath } from 'node:url';
import type { HangarConfig } from './application/config.js';
import { bundledStorePath, formatProblems, isBundledConfig, loadConfig, locateConfig } from './infrastructure/config/load-config.js';
import { auditVerifyCommand, historyCommand, validateCommand, type CliOutcome } from './interfaces/cli/commands.js';
import { PACKAGE_ROOT, VERSION } from './version.js';

// Heavy modules are imported where they are needed, so that `serve` answers `initialize` and
// `tools/list` while the registry is still booting, and `validate` never loads them at all.
const records = async (path: string) => (await import('./records.js')).openRecords(path);

const BUNDLED_CONFIG = fileURLToPath(new URL('config/hangar.yaml', PACKAGE_ROOT));

/** Whether `config` is the bundled one, whose store lives in the user's data folder, never in the package. */
const isBundled = (config: HangarConfig): boolean => isBundledConfig(config.sourcePath, BUNDLED_CONFIG);

/**
 * Loads the config the options point at; on problems prints them and exits 2 (nothing started). The bundled
 * config keeps its store in the user's data folder, unless MCP_DATABASE_PATH or the file itself says otherwise.
 */
const configFrom = (options: { config?: string }): HangarConfig => {
  const path = locateConfig({ ...(options.config ? { cliPath: options.config } : {}), env: process.env, cwd: process.cwd(), bundledPath: BUNDLED_CONFIG });
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

/** Writes a command's output, all of it, before exiting with its code. */
const finish = async (outcome: CliOutcome): Promise<never> => {
  if (outcome.stdout) await written(process.stdout, `${outcome.stdout}\n`);
  if (outcome.stderr) await written(process.stderr, `${outcome.stderr}\n`);
  process.exit(outcome.exitCode);
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

const program = new Command()
  .name('mcp-hangar')
  .description('A registry of MCP providers behind one MCP server: lazy starts, supervision, an auditable event log.')
  .version(VERSION);

const configOption = '-c, --config <path>';
const configHelp = 'config file (default: $MCP_CONFIG, ./config.yaml, or the bundled config/hangar.yaml)';

program
  .command('serve', { isDefault: true })
  .description('serve the hangar over stdio (the MCP client starts this command)')
  .option(configOption, configHelp)
  .action(async (options: { config?: string }) => {
    const config = configFrom(options);
    const [{ createLogger }, { serveStdio }, { StdioServerLineTransport }, { storeProblem }] = await Promise.all([
      import('./infrastructure/logging/pino-logger.js'),
      import('./interfaces/mcp/stdio.js'),
      import('./infrastructure/jsonrpc/stdio-server-transport.js'),
      import('./infrastructure/persistence/sqlite/check-store.js'),
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
    const hangar = import('./composition-root.js').then(({ createHangar }) => createHangar(config, { logger }));
    hangar.catch((error: unknown) => {
      logger.error('the hangar could not start', { error: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    });
    await serveStdio(hangar, logger, VERSION, new StdioServerLineTransport({ maxMessageBytes: config.limits.maxMessageBytes, logger }));
  });

program
  .command('validate')
  .description('check a config file; exit 2 with the YAML path and line of every problem')
  .option(configOption, configHelp)
  .action((options: { config?: string }) => finish(validateCommand(configFrom(options))));

program
  .command('history')
  .description("print a provider's recorded timeline across every run of the hangar")
  .argument('<provider>', 'provider id')
  .option(configOption, configHelp)
  .option('--json', 'print the events as JSON')
  .option('-n, --limit <count>', 'only the most recent <count> events', positiveInt)
  .action(async (provider: string, options: { config?: string; json?: boolean; limit?: number }) => {
    const config = configFrom(options);
    const opened = await records(config.eventStore.path);
    const outcome = await historyCommand(opened, provider, { json: options.json === true, limit: options.limit });
    await opened.close();
    await finish(outcome);
  });

program
  .command('audit')
  .description('audit the event store')
  .command('verify')
  .description('check the hash chain over every stored event; exit 1 naming the first altered position')
  .option(configOption, configHelp)
  .action(async (options: { config?: string }) => {
    const config = configFrom(options);
    const opened = await records(config.eventStore.path);
    const outcome = await auditVerifyCommand(opened, config.eventStore.path);
    await opened.close();
    await finish(outcome);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`mcp-hangar: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
