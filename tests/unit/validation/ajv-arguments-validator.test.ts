import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Logger } from '../../../src/application/ports/logger.js';
import { AjvArgumentsValidator } from '../../../src/infrastructure/validation/ajv-arguments-validator.js';
import { compileLinear, MAX_PATTERN_LENGTH } from '../../../src/infrastructure/validation/linear-regexp.js';

type Line = { level: 'debug' | 'info' | 'warn' | 'error'; message: string; fields: Record<string, unknown> | undefined };

/** A logger that keeps what it is told. */
const recordingLogger = (): Logger & { lines: Line[] } => {
  const lines: Line[] = [];
  const logger: Logger & { lines: Line[] } = {
    lines,
    debug: (message, fields) => void lines.push({ level: 'debug', message, fields }),
    info: (message, fields) => void lines.push({ level: 'info', message, fields }),
    warn: (message, fields) => void lines.push({ level: 'warn', message, fields }),
    error: (message, fields) => void lines.push({ level: 'error', message, fields }),
    child: () => logger,
  };
  return logger;
};

/** Fails `^(a+)+$` after exponential backtracking in a backtracking engine. */
const CRAFTED = `${'a'.repeat(25)}!`;

const stringWith = (pattern: string) => ({ type: 'object', properties: { text: { type: 'string', pattern } } });

/** Milliseconds `fn` takes. */
const timed = (fn: () => void): number => {
  const started = performance.now();
  fn();
  return performance.now() - started;
};

describe('AjvArgumentsValidator: patterns are matched in linear time', () => {
  it('answers a catastrophic-backtracking pattern with a crafted argument in well under 100 ms', () => {
    const validator = new AjvArgumentsValidator();
    const schema = stringWith('^(a+)+$');
    assert.deepEqual(validator.validate(schema, { text: 'aaa' }), [], 'compiles the schema (and loads Ajv) outside the measurement');
    // A backtracking engine tries 2^25 ways to fail: about 1.4 s on the 2-core machines (2^30: about 45 s).
    let problems: readonly string[] = [];
    const ms = timed(() => (problems = validator.validate(schema, { text: CRAFTED })));
    assert.deepEqual(problems, [`'text' must match pattern "^(a+)+$"`]);
    assert.ok(ms < 100, `took ${ms.toFixed(1)} ms`);
  });

  it('applies patternProperties in linear time too, and to the names they match only', () => {
    const validator = new AjvArgumentsValidator();
    const schema = { type: 'object', patternProperties: { '^(a+)+$': { type: 'number' } }, additionalProperties: false };
    assert.deepEqual(validator.validate(schema, { aaa: 1 }), []);
    assert.deepEqual(validator.validate(schema, { aaa: 'x' }), [`'aaa' must be number`]);
    let problems: readonly string[] = [];
    const ms = timed(() => (problems = validator.validate(schema, { [CRAFTED]: 1 })));
    assert.deepEqual(problems, ['arguments must NOT have additional properties']);
    assert.ok(ms < 100, `took ${ms.toFixed(1)} ms`);
  });

  it('compiles a schema whose property names match its patterns without a native RegExp (strict checks stay off)', () => {
    const validator = new AjvArgumentsValidator();
    const schema = { type: 'object', properties: { [CRAFTED]: { type: 'string' } }, patternProperties: { '^(a+)+$': { type: 'number' } } };
    const ms = timed(() => assert.deepEqual(validator.validate(schema, { [CRAFTED]: 'x' }), []));
    assert.ok(ms < 100, `took ${ms.toFixed(1)} ms`);
  });
});

describe('AjvArgumentsValidator: a pattern RE2 cannot compile is skipped, the rest of the schema still applies', () => {
  it('skips a lookahead with a warning naming the tool, and still checks the other keywords', () => {
    const logger = recordingLogger();
    const validator = new AjvArgumentsValidator(logger);
    const schema = {
      type: 'object',
      properties: { code: { type: 'string', pattern: '^(?=.*\\d)[a-z0-9]+$', maxLength: 5 }, count: { type: 'integer', minimum: 1 } },
      required: ['count'],
    };
    assert.deepEqual(validator.validate(schema, { code: 'no-digits-here', count: 0 }, 'vault.open'), [
      `'code' must NOT have more than 5 characters`,
      `'count' must be >= 1`,
    ]);
    assert.deepEqual(validator.validate(schema, { code: 'UPPER', count: 2 }, 'vault.open'), [], 'the skipped pattern accepts any string');
    assert.deepEqual(validator.validate(schema, { code: 'abc' }, 'vault.open'), [`arguments must have required property 'count': 'count'`]);
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    assert.equal(warnings.length, 1, 'one warning, when the schema is compiled');
    assert.equal(warnings[0]?.fields?.['tool'], 'vault.open');
    assert.equal(warnings[0]?.fields?.['pattern'], '^(?=.*\\d)[a-z0-9]+$');
    assert.match(String(warnings[0]?.fields?.['reason']), /\(\?=/);
    assert.equal(schema.properties.code.pattern, '^(?=.*\\d)[a-z0-9]+$', "the tool's own schema is left as it was");
  });

  it('skips a backreference in patternProperties: its schema applies to no property, and additionalProperties no longer applies', () => {
    const logger = recordingLogger();
    const validator = new AjvArgumentsValidator(logger);
    const schema = {
      type: 'object',
      properties: { n: { type: 'number' } },
      patternProperties: { '^(\\w)\\1$': { type: 'string' }, '^x_\\d+$': { type: 'integer' } },
      additionalProperties: false,
    };
    // Were the skipped pattern to match every name, `n` and `x_1` would have to be strings.
    assert.deepEqual(validator.validate(schema, { n: 1, x_1: 2, aa: 3, other: true }), []);
    assert.deepEqual(validator.validate(schema, { n: 'one', x_1: 1.5 }), [`'n' must be number`, `'x_1' must be integer`]);
    assert.deepEqual(
      logger.lines.filter((l) => l.level === 'warn').map((l) => [l.fields?.['pattern'], l.fields?.['reason']]),
      [['^(\\w)\\1$', 'backreferences cannot be matched in linear time']],
    );
  });

  it('refuses lookaround, backreferences, repeat counts over 1,000, overlong and invalid patterns', () => {
    for (const pattern of ['(?<=a)b', '(?<!a)b', '(?<x>a)\\k<x>', 'a{1001}', 'a'.repeat(MAX_PATTERN_LENGTH + 1), '(?=a)', '(?!a)']) {
      assert.equal(compileLinear(pattern, 'u').ok, false, pattern.slice(0, 20));
    }
    assert.equal(compileLinear('[', 'u').ok, false, 'an invalid ECMAScript pattern');
  });

  it('keeps a schema Ajv cannot compile at all accepting anything, as before', () => {
    const logger = recordingLogger();
    const validator = new AjvArgumentsValidator(logger);
    const schema = { type: 'object', properties: { a: { $ref: '#/nowhere' } } };
    assert.deepEqual(validator.validate(schema, { a: 1 }), []);
    assert.ok(logger.lines.some((l) => l.level === 'debug' && /not compiled/.test(l.message)));
  });

  it('compiles each schema object once, ignores $schema and allows unknown keywords', () => {
    const logger = recordingLogger();
    const validator = new AjvArgumentsValidator(logger);
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      'x-ui': { widget: 'code' },
      type: 'object',
      properties: { s: stringWith('(?=x)') },
    };
    validator.validate(schema, { s: { text: 'y' } });
    validator.validate(schema, { s: { text: 'y' } });
    assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 1, 'compiled (and warned) once');
    assert.deepEqual(validator.validate(schema, { s: 3 }), [`'s' must be object`]);
  });
});

describe('compileLinear: ECMAScript meaning with the u flag', () => {
  const agree = (pattern: string, inputs: readonly string[]) => {
    const compiled = compileLinear(pattern, 'u');
    if (!compiled.ok) assert.fail(`${pattern}: ${compiled.reason}`);
    const native = new RegExp(pattern, 'u');
    for (const input of inputs) assert.equal(compiled.regExp.test(input), native.test(input), `/${pattern}/u on ${JSON.stringify(input)}`);
  };

  it('matches code points, not UTF-16 halves: . and classes take a whole emoji', () => {
    agree('^.$', ['😀', 'a', '\uD83D', '😀😀', '']);
    agree('^[😀-😂]$', ['😁', '😃', '\uDE01']);
    agree('^\\u{1F600}$', ['😀', 'u'.repeat(1)]);
    agree('^\\uD83D\\uDE00$', ['😀', '\uD83D\uDE00x']);
    agree('^\\p{Lu}\\p{Ll}+$', ['Émile', 'émile', 'Ωmega']);
  });

  it("keeps ECMAScript's line terminators for . and its whitespace for \\s and \\S", () => {
    agree('^a.b$', ['a\nb', 'a\rb', 'a\u2028b', 'a\u2029b', 'a\u0085b', 'axb']);
    agree('^\\s+$', ['\v', '\u00a0', '\u3000', '\ufeff', ' \t\r\n', '\u200b', 'x']);
    agree('^\\S+$', ['\v', '\u00a0', 'abc', '\u200b']);
    agree('^[\\s\\d]+$', ['1\u00a02', '1 x']);
    agree('^[^\\S]$', [' ', '\u2028', 'a']);
    agree('^[\\b]$', ['\b', 'b']);
    agree('^[[:a]+$', ['[:a', 'b']);
    agree('^[^]$', ['x', '\n', '']);
    agree('^[]$', ['', 'x']);
    agree('^(?<year>\\d{4})-\\d\\d$', ['2026-12', '26-12']);
    agree('^\\cJ\\x41\\u0042\\0$', ['\nAB\0', '\nAB0']);
    agree('a$', ['a\n', 'a']);
  });

  it("has ECMAScript's \\s exactly, checked over every code point", () => {
    const compiled = compileLinear('^\\s$', 'u');
    if (!compiled.ok) assert.fail(compiled.reason);
    for (let code = 0; code <= 0x10ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const text = String.fromCodePoint(code);
      if (compiled.regExp.test(text) !== /^\s$/u.test(text)) assert.fail(`U+${code.toString(16)}`);
    }
  });

  it('accepts only the u flag Ajv passes', () => {
    assert.equal(compileLinear('a', 'u').ok, true);
    for (const flags of ['', 'g', 'iu', 'v']) assert.equal(compileLinear('a', flags).ok, false, `flags '${flags}'`);
  });
});
