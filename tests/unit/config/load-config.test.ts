import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigProblem, ConfigResult, HangarConfig } from '../../../src/application/config.js';
import { providerId } from '../../../src/domain/shared/ids.js';
import { formatProblems, loadConfig } from '../../../src/infrastructure/config/load-config.js';

// Compiled to dist/tests/unit/config/: four levels up is the repository root.
const FIXTURES = fileURLToPath(new URL('../../../../tests/fixtures/config/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hangar-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
/** Writes `yaml` to a fresh folder and returns the file's path. */
const writeConfig = (yaml: string): string => {
  const dir = join(scratch, `case-${++counter}`);
  mkdirSync(dir);
  const path = join(dir, 'hangar.yaml');
  writeFileSync(path, yaml);
  return path;
};

const ok = (result: ConfigResult): HangarConfig => {
  if (!result.ok) assert.fail(`expected a valid config, got:\n${formatProblems(result)}`);
  return result.config;
};

const problems = (yaml: string, env: Record<string, string | undefined> = {}): readonly ConfigProblem[] => {
  const result = loadConfig(writeConfig(yaml), env);
  if (result.ok) assert.fail('expected the config to be refused');
  return result.problems;
};

/** Asserts exactly one problem, at `path` and `line`, whose message matches. */
const only = (found: readonly ConfigProblem[], path: string, line: number, message: RegExp | string): ConfigProblem => {
  assert.equal(found.length, 1, `expected one problem, got ${JSON.stringify(found, null, 1)}`);
  const problem = found[0] as ConfigProblem;
  assert.equal(problem.path, path);
  assert.equal(problem.line, line);
  if (typeof message === 'string') assert.equal(problem.message, message);
  else assert.match(problem.message, message);
  return problem;
};

describe('loadConfig: a valid config', () => {
  it('gives typed values, defaults and absolute paths resolved against the config folder, not the cwd', () => {
    const previous = process.cwd();
    process.chdir(tmpdir());
    try {
      const config = ok(loadConfig(join(FIXTURES, 'valid-full.yaml'), { MATH_TOKEN: 's3cret', NODE_BIN: '/usr/bin/node' }));
      const dir = FIXTURES.replace(/\/$/, '');
      assert.equal(config.sourcePath, join(dir, 'valid-full.yaml'));
      assert.equal(config.configDir, dir);
      assert.equal(config.eventStore.path, join(dir, 'state/events.db'));
      assert.deepEqual([...config.providers.keys()], ['math', 'echo']);

      const math = config.providers.get(providerId('math'));
      assert.ok(math);
      assert.deepEqual(math.launch.command, ['node', '../servers/math.js', '--port', '8000']);
      assert.deepEqual(math.launch.env, { LOG_LEVEL: 'info', API_TOKEN: 's3cret', VERBOSE: 'true' });
      assert.equal(math.launch.cwd, join(dir, 'providers/math'));
      assert.equal(math.description, 'Arithmetic');
      assert.deepEqual(math.settings, {
        idleTtlS: 0.5,
        healthCheckIntervalS: 30,
        maxConsecutiveFailures: 4,
        timeoutS: 12.5,
        circuitBreaker: { failureThreshold: 7, resetTimeoutS: 30 },
      });
      assert.deepEqual(math.tools, [
        {
          name: 'add',
          title: 'Add',
          description: 'Add two numbers',
          inputSchema: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] },
          annotations: { readOnlyHint: true },
          outputSchema: { type: 'object' },
          _meta: { origin: 'config' },
        },
        { name: 'math.sqrt_v2', inputSchema: { type: 'object' } },
      ]);
      assert.equal('description' in (math.tools[1] ?? {}), false, 'absent optional keys stay absent');

      const echo = config.providers.get(providerId('echo'));
      assert.ok(echo);
      assert.deepEqual(echo.launch.command, ['/usr/bin/node', 'echo.js']);
      assert.equal(echo.launch.cwd, dir);
      assert.deepEqual(config.retry, { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 5000, jitter: 0 });
    } finally {
      process.chdir(previous);
    }
  });

  it('fills every default for a provider that gives only its command', () => {
    const path = writeConfig('providers:\n  math:\n    command: [node, server.js]\n');
    const config = ok(loadConfig(path, {}));
    const math = config.providers.get(providerId('math'));
    assert.ok(math);
    assert.equal(math.launch.mode, 'subprocess');
    assert.deepEqual(math.launch.env, {});
    assert.equal(math.launch.cwd, join(path, '..'));
    assert.equal(math.description, '');
    assert.deepEqual(math.settings, {
      idleTtlS: 300,
      healthCheckIntervalS: 60,
      maxConsecutiveFailures: 3,
      timeoutS: 30,
      circuitBreaker: { failureThreshold: 5, resetTimeoutS: 30 },
    });
    assert.deepEqual(math.tools, []);
    assert.equal(config.eventStore.path, join(path, '..', 'data', 'hangar.db'));
    assert.deepEqual(config.retry, { maxAttempts: 3, initialDelayMs: 1000, maxDelayMs: 30000, jitter: 0.25 });
  });

  it('accepts an empty file, and providers with every entry commented out, as an empty registry', () => {
    assert.equal(ok(loadConfig(writeConfig(''), {})).providers.size, 0);
    assert.equal(ok(loadConfig(writeConfig('providers:\n#  math:\n#    command: [node]\n'), {})).providers.size, 0);
  });
});

describe('loadConfig: environment', () => {
  it('expands ${VAR} in every string value, with $${ as the escape for a literal ${', () => {
    const yaml = [
      'event_store: { path: "${DATA}/h.db" }',
      'providers:',
      '  math:',
      '    command: [node, "${APP}/server.js", "$${NOT_A_VAR}", "pa$$word $5"]',
      '    cwd: "${APP}"',
      '    description: "${GREETING}, world"',
    ].join('\n');
    const config = ok(loadConfig(writeConfig(yaml), { DATA: '/var/data', APP: '/opt/app', GREETING: 'hello' }));
    const math = config.providers.get(providerId('math'));
    assert.ok(math);
    assert.deepEqual(math.launch.command, ['node', '/opt/app/server.js', '${NOT_A_VAR}', 'pa$$word $5']);
    assert.equal(math.launch.cwd, '/opt/app');
    assert.equal(math.description, 'hello, world');
    assert.equal(config.eventStore.path, '/var/data/h.db');
  });

  it('names the missing variable, its YAML path and line', () => {
    const found = problems('providers:\n  math:\n    command: [node]\n    env:\n      TOKEN: "Bearer ${API_TOKEN}"\n');
    only(found, 'providers.math.env.TOKEN', 5, "environment variable 'API_TOKEN' is not set");
  });

  it('lets MCP_DATABASE_PATH override event_store.path, relative to the config folder', () => {
    const path = writeConfig('event_store: { path: data/x.db }\n');
    assert.equal(ok(loadConfig(path, { MCP_DATABASE_PATH: '/srv/hangar.db' })).eventStore.path, '/srv/hangar.db');
    assert.equal(ok(loadConfig(path, { MCP_DATABASE_PATH: 'other.db' })).eventStore.path, join(path, '..', 'other.db'));
    assert.equal(ok(loadConfig(path, { MCP_DATABASE_PATH: '' })).eventStore.path, join(path, '..', 'data', 'x.db'));
  });

  it('puts the store at the given default only when neither the file nor MCP_DATABASE_PATH names one', () => {
    const bare = writeConfig('providers: {}\n');
    const named = writeConfig('event_store: { path: data/x.db }\n');
    const defaults = { storePath: '/home/me/.local/share/mcp-hangar/hangar.db' };
    assert.equal(ok(loadConfig(bare, {}, defaults)).eventStore.path, defaults.storePath);
    assert.equal(ok(loadConfig(bare, {})).eventStore.path, join(bare, '..', 'data', 'hangar.db'));
    assert.equal(ok(loadConfig(named, {}, defaults)).eventStore.path, join(named, '..', 'data', 'x.db'));
    assert.equal(ok(loadConfig(bare, { MCP_DATABASE_PATH: '/srv/h.db' }, defaults)).eventStore.path, '/srv/h.db');
  });
});

describe('loadConfig: each kind of problem names its path and line', () => {
  it('refuses an unknown key at its own line and suggests the closest known key', () => {
    const found = problems('providers:\n  math:\n    command: [node]\n    idle_ttl: 180\n');
    const problem = only(found, 'providers.math.idle_ttl', 4, "unknown key 'idle_ttl' — did you mean 'idle_ttl_s'?");
    assert.equal(problem.column, 5);
  });

  it('lists the allowed keys when no known key is close', () => {
    only(problems('retry:\n  zzzzzz: 1\n'), 'retry.zzzzzz', 2, /^unknown key 'zzzzzz' \(allowed: max_attempts, initial_delay_ms, max_delay_ms, jitter\)$/);
  });

  it('refuses a wrong type, quoting the value', () => {
    const found = problems('providers:\n  math:\n    command: [node]\n    idle_ttl_s: abc\n');
    const problem = only(found, 'providers.math.idle_ttl_s', 4, 'expected a number ≥ 0, got "abc"');
    assert.equal(problem.column, 17);
  });

  it('refuses values out of range', () => {
    const yaml = (field: string) => `providers:\n  math:\n    command: [node]\n    ${field}\n`;
    only(problems(yaml('timeout_s: 3601')), 'providers.math.timeout_s', 4, 'expected a number from 0.1 to 3600, got 3601');
    only(problems(yaml('timeout_s: 0.05')), 'providers.math.timeout_s', 4, /from 0\.1 to 3600, got 0\.05/);
    only(problems(yaml('health_check_interval_s: 0')), 'providers.math.health_check_interval_s', 4, 'expected a number > 0, got 0');
    only(problems(yaml('max_consecutive_failures: 1.5')), 'providers.math.max_consecutive_failures', 4, 'expected an integer ≥ 1, got 1.5');
    only(problems(yaml('idle_ttl_s: -1')), 'providers.math.idle_ttl_s', 4, 'expected a number ≥ 0, got -1');
    only(problems(yaml('circuit_breaker: { failure_threshold: 0 }')), 'providers.math.circuit_breaker.failure_threshold', 4, /integer ≥ 1, got 0/);
    only(problems('retry:\n  jitter: 1.5\n'), 'retry.jitter', 2, 'expected a number from 0 to 1, got 1.5');
    only(problems('retry: { initial_delay_ms: 500, max_delay_ms: 100 }\n'), 'retry.max_delay_ms', 1, /must not be less than initial_delay_ms/);
  });

  it('refuses a provider id that does not match the pattern, at the id', () => {
    only(problems('providers:\n  "my math":\n    command: [node]\n'), 'providers["my math"]', 2, /^invalid provider id 'my math'/);
    only(problems('providers:\n  x:\n    command: [node]\n  9lives:\n    command: [node]\n'), 'providers.9lives', 4, /invalid provider id '9lives'/);
  });

  it('refuses modes this version cannot run, without complaining about their other keys', () => {
    const found = problems('providers:\n  db:\n    mode: container\n    image: localhost/x\n    volumes: []\n');
    only(found, 'providers.db.mode', 3, "mode 'container' is not available in this version of mcp-hangar (supported: subprocess)");
  });

  it('refuses an unknown mode as an invalid choice, with a suggestion', () => {
    only(
      problems('providers:\n  m:\n    mode: subproces\n    command: [node]\n'),
      'providers.m.mode',
      3,
      /^invalid mode "subproces": expected one of subprocess, container, remote, group — did you mean 'subprocess'\?$/,
    );
  });

  it('refuses the spec sections this version does not have as "not available"', () => {
    only(
      problems('discovery: { enabled: true }\n'),
      'discovery',
      1,
      "'discovery' is not available in this version of mcp-hangar (supported top-level keys: event_store, providers, retry, limits, http, expose, audit)",
    );
  });

  it('reads the audit section: digest and 4096 bytes by default, none | digest | full, a size from 64 bytes to 1 MiB', () => {
    assert.deepEqual(ok(loadConfig(writeConfig('providers: {}\n'), {})).audit, {
      anchorEvery: 1000,
      anchorEveryMinutes: 10,
      recordArguments: 'digest',
      maxArgumentBytes: 4096,
    });
    assert.deepEqual(ok(loadConfig(writeConfig('audit:\n  record_arguments: full\n  max_argument_bytes: 64\n'), {})).audit, {
      anchorEvery: 1000,
      anchorEveryMinutes: 10,
      recordArguments: 'full',
      maxArgumentBytes: 64,
    });
    assert.deepEqual(ok(loadConfig(writeConfig('audit: { record_arguments: none }\n'), {})).audit, {
      anchorEvery: 1000,
      anchorEveryMinutes: 10,
      recordArguments: 'none',
      maxArgumentBytes: 4096,
    });
    assert.equal(ok(loadConfig(writeConfig('audit: { max_argument_bytes: 1048576 }\n'), {})).audit.maxArgumentBytes, 1024 * 1024);
  });

  it('refuses a wrong audit value at its path and line', () => {
    only(
      problems('providers: {}\naudit:\n  record_arguments: ful\n'),
      'audit.record_arguments',
      3,
      `invalid record_arguments "ful": expected one of none, digest, full — did you mean 'full'?`,
    );
    only(problems('audit:\n  record_arguments: true\n'), 'audit.record_arguments', 2, /^invalid record_arguments true: expected one of none, digest, full$/);
    only(problems('audit:\n  max_argument_bytes: 10\n'), 'audit.max_argument_bytes', 2, 'expected an integer from 64 to 1048576, got 10');
    only(problems('audit:\n  max_argument_bytes: 2000000\n'), 'audit.max_argument_bytes', 2, /from 64 to 1048576, got 2000000/);
    only(problems('audit:\n  max_argument_bytes: 100.5\n'), 'audit.max_argument_bytes', 2, /integer from 64 to 1048576, got 100\.5/);
    only(problems('audit:\n  max_argument_bytes: lots\n'), 'audit.max_argument_bytes', 2, /got "lots"/);
    only(problems('audit:\n  record_argument: full\n'), 'audit.record_argument', 2, /^unknown key 'record_argument' — did you mean 'record_arguments'\?/);
  });

  it('reads how often the hash chain is anchored (audit.anchor_every, audit.anchor_every_minutes), with its defaults', () => {
    assert.deepEqual(ok(loadConfig(writeConfig('providers: {}\n'), {})).audit, {
      recordArguments: 'digest',
      maxArgumentBytes: 4096,
      anchorEvery: 1000,
      anchorEveryMinutes: 10,
    });
    assert.deepEqual(ok(loadConfig(writeConfig('audit:\n  anchor_every: 50\n  anchor_every_minutes: 0.5\n'), {})).audit, {
      recordArguments: 'digest',
      maxArgumentBytes: 4096,
      anchorEvery: 50,
      anchorEveryMinutes: 0.5,
    });
    only(problems('audit:\n  anchor_every: 0\n'), 'audit.anchor_every', 2, 'expected an integer ≥ 1, got 0');
    only(problems('audit:\n  anchor_every_minutes: -1\n'), 'audit.anchor_every_minutes', 2, /^expected a number > 0/);
  });

  it('reads the http section with its defaults, names plain tokens, and checks what it holds', () => {
    const loaded = loadConfig(writeConfig('http:\n  port: 9000\n  auth:\n    tokens: ["0123456789abcdef", { name: ci, value: "fedcba9876543210" }]\n'), {});
    assert.ok(loaded.ok);
    assert.deepEqual(loaded.config.http, {
      host: '127.0.0.1',
      port: 9000,
      sessionIdleMs: 600_000,
      shutdownGraceMs: 10_000,
      maxBodyBytes: 8 * 1024 * 1024,
      allowedOrigins: [],
      metricsAuth: false,
      auth: {
        tokens: [
          { name: 'token-1', value: '0123456789abcdef' },
          { name: 'ci', value: 'fedcba9876543210' },
        ],
      },
    });
    only(problems('http:\n  auth:\n    tokens: [short]\n'), 'http.auth.tokens[0]', 3, /at least 16 characters/);
  });

  it('reads expose (default both, "__"), as a word or a section, and per provider only what is written', () => {
    assert.deepEqual(ok(loadConfig(writeConfig('providers: {}\n'), {})).expose, { mode: 'both', separator: '__' });
    assert.deepEqual(ok(loadConfig(writeConfig('expose: registry\n'), {})).expose, { mode: 'registry', separator: '__' });
    assert.deepEqual(ok(loadConfig(writeConfig('expose: { separator: "-" }\n'), {})).expose, { mode: 'both', separator: '-' });
    const yaml = `providers:
  a: { command: [x] }
  b: { command: [x], expose: direct }
  c: { command: [x], expose: { prefix: "", allow: [add, "get_*"], deny: [get_secret] } }
`;
    const providers = ok(loadConfig(writeConfig(yaml), {})).providers;
    assert.equal(providers.get(providerId('a'))?.expose, undefined, 'absent: the config digest of a provider without it does not change');
    assert.deepEqual(providers.get(providerId('b'))?.expose, { mode: 'direct' });
    assert.deepEqual(providers.get(providerId('c'))?.expose, { prefix: '', allow: ['add', 'get_*'], deny: ['get_secret'] });
  });

  it('refuses an unknown expose mode (with a suggestion), a bad separator, prefix or pattern', () => {
    const [mode] = problems('expose: direkt\n');
    assert.match(mode?.message ?? '', /expected one of registry, direct, both, search — did you mean 'direct'\?/);
    assert.ok(problems('expose: { separator: "a b" }\n').some((p) => /invalid separator/.test(p.message)));
    assert.ok(problems('providers:\n  m:\n    command: [x]\n    expose: { prefix: "a.b" }\n').some((p) => /invalid prefix/.test(p.message)));
    assert.ok(problems('providers:\n  m:\n    command: [x]\n    expose: { allow: ["a b"] }\n').some((p) => /invalid tool pattern/.test(p.message)));
  });

  it('refuses a command that is a string, empty, or missing', () => {
    const yaml = (command: string) => `providers:\n  m:\n    description: x\n${command}`;
    only(problems(yaml('    command: node server.js\n')), 'providers.m.command', 4, /^command must be a list, e\.g\. \[node, server\.js\]/);
    only(problems(yaml('    command: []\n')), 'providers.m.command', 4, /at least one word/);
    only(problems(yaml('    command: ["", x]\n')), 'providers.m.command[0]', 4, /first word of command must not be empty/);
    only(problems(yaml('')), 'providers.m.command', 2, /^required/);
  });

  it('refuses duplicate tool names in one provider, at the second one', () => {
    const yaml = 'providers:\n  m:\n    command: [node]\n    tools:\n      - name: add\n      - name: sub\n      - name: add\n';
    only(problems(yaml), 'providers.m.tools[2].name', 7, "duplicate tool name 'add' in provider 'm' (first defined at tools[0])");
  });

  it('refuses bad tool definitions: name, unknown key, schema type', () => {
    const yaml = (tool: string) => `providers:\n  m:\n    command: [node]\n    tools:\n      - ${tool}\n`;
    only(problems(yaml('name: "bad name"')), 'providers.m.tools[0].name', 5, /^invalid tool name "bad name"/);
    only(problems(yaml('{ name: t, inputschema: {} }')), 'providers.m.tools[0].inputschema', 5, /did you mean 'inputSchema'/);
    only(problems(yaml('{ name: t, inputSchema: { type: array } }')), 'providers.m.tools[0].inputSchema.type', 5, /expected "object"/);
  });

  it('reports a YAML syntax error with its line', () => {
    const found = problems('providers:\n  m:\n    command: [node\n    cwd: .\nretry: {}\n');
    assert.ok(found.length >= 1);
    assert.equal(found[0]?.path, '');
    assert.match(found[0]?.message ?? '', /^YAML syntax error: /);
    assert.ok(
      found.every((p) => p.line !== null && p.line >= 3),
      JSON.stringify(found),
    );
  });

  it('reports a duplicate YAML key as a syntax error at the second key', () => {
    only(problems('retry: {}\nproviders: {}\nretry: {}\n'), '', 3, /^YAML syntax error: .*unique/);
  });

  it('reports a recursive alias at the alias, naming its anchor, instead of overflowing the stack', () => {
    only(
      problems('a: &x [ *x ]\nproviders: {}\n'),
      'a[0]',
      1,
      'recursive alias *x: it is inside the node anchored &x (line 1), so its value would contain itself',
    );
    const ancestor = [
      'providers:',
      '  m:',
      '    command: [node]',
      '    tools:',
      '      - name: t',
      '        inputSchema: &schema',
      '          type: object',
      '          properties:',
      '            child: *schema',
      '',
    ].join('\n');
    const problem = only(
      problems(ancestor),
      'providers.m.tools[0].inputSchema.properties.child',
      9,
      /^recursive alias \*schema: .*anchored &schema \(line 6\)/,
    );
    assert.equal(problem.column, 20);
  });

  it('still accepts aliases that do not contain themselves', () => {
    const config = ok(loadConfig(writeConfig('providers:\n  a: &p { command: &cmd [node, a.js] }\n  b: { command: *cmd }\n  c: *p\n'), {}));
    assert.deepEqual([...config.providers.keys()], ['a', 'b', 'c']);
    assert.deepEqual(config.providers.get(providerId('b'))?.launch.command, ['node', 'a.js']);
  });

  it('reports a top level that is not a map', () => {
    only(problems('- a\n- b\n'), '', 1, 'expected a map at the top level, got a list');
  });

  it('reports a missing file as one problem without a line', () => {
    const missing = join(scratch, 'nowhere', 'hangar.yaml');
    const result = loadConfig(missing, {});
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.sourcePath, missing);
    assert.deepEqual(result.problems, [{ path: '', line: null, column: null, message: 'config file not found' }]);
    const folder = loadConfig(scratch, {});
    assert.equal(folder.ok ? '' : folder.problems[0]?.message, 'config path is a folder, not a file');
  });
});

describe('loadConfig: all problems together', () => {
  it('reports every problem in the file in line order', () => {
    const result = loadConfig(join(FIXTURES, 'many-problems.yaml'), {});
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.problems.map((p) => [p.line, p.column, p.path]),
      [
        [4, 5, 'providers.math.idle_ttl'],
        [5, 16, 'providers.math.timeout_s'],
        [6, 3, 'providers.2fast'],
        [7, 14, 'providers.2fast.command'],
        [9, 11, 'providers.search.mode'],
        [12, 17, 'retry.max_attempts'],
      ],
    );
  });

  it('formats them for stderr as file:line:col path: message under a header', () => {
    const result = loadConfig(join(FIXTURES, 'many-problems.yaml'), {});
    if (result.ok) assert.fail('expected problems');
    const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
    const lines = formatProblems(result, repoRoot).split('\n');
    assert.equal(lines[0], `Invalid configuration in ${join(FIXTURES, 'many-problems.yaml')} (6 problems):`);
    assert.equal(lines[1], "tests/fixtures/config/many-problems.yaml:4:5 providers.math.idle_ttl: unknown key 'idle_ttl' — did you mean 'idle_ttl_s'?");
    assert.equal(lines[6], 'tests/fixtures/config/many-problems.yaml:12:17 retry.max_attempts: expected an integer from 1 to 10, got "many"');
    assert.equal(lines.length, 7);
  });

  it('formats a problem without a line as file: message, outside the cwd with the absolute path', () => {
    const missing = join(scratch, 'gone.yaml');
    const result = loadConfig(missing, {});
    if (result.ok) assert.fail('expected problems');
    assert.equal(formatProblems(result, '/definitely/elsewhere'), `Invalid configuration in ${missing} (1 problem):\n${missing}: config file not found`);
  });
});
