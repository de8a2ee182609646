import { createRequire } from 'node:module';
import type { Ajv as AjvClass, CodeOptions, ValidateFunction } from 'ajv';
import type { ArgumentsValidator } from '../../application/ports/arguments-validator.js';
import type { Logger } from '../../application/ports/logger.js';
import { compileLinear, type LinearCompiled, type LinearRegExp } from './linear-regexp.js';
import { skipPatterns } from './schema-patterns.js';

const SHOWN_PATTERN_LENGTH = 200;

/**
 * Validates tool arguments with Ajv against the tool's inputSchema. Validators are compiled once per
 * schema object. `$schema` is ignored (providers use drafts 7 and 2020-12 alike) and unknown keywords
 * are allowed; a schema Ajv cannot compile accepts anything, leaving the judgement to the provider.
 *
 * `pattern` and `patternProperties` are matched by RE2 (re2js), in time linear in the text: a provider's
 * pattern cannot hold the hangar's one event loop with catastrophic backtracking. A pattern RE2 cannot
 * compile (lookaround, backreferences) is skipped with a warning and constrains nothing (see
 * `skipPatterns`); the rest of the schema still applies.
 */
export class AjvArgumentsValidator implements ArgumentsValidator {
  // Ajv (a CommonJS package) is loaded with the first schema to check: an idle hangar never needs it.
  private ajvInstance: AjvClass | undefined;
  private get ajv(): AjvClass {
    if (!this.ajvInstance) {
      const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
      this.ajvInstance = new Ajv({
        strict: false,
        allErrors: true,
        validateSchema: false,
        addUsedSchema: false,
        // With strict schemas Ajv would test `properties` names against each pattern with a native RegExp.
        allowMatchingProperties: true,
        code: { regExp: this.regExp },
      });
    }
    return this.ajvInstance;
  }
  private readonly compiled = new WeakMap<object, ValidateFunction | null>();
  /** Each pattern is compiled once; Ajv asks again for every schema that uses it. */
  private readonly patterns = new Map<string, LinearCompiled>();
  /** The patterns skipped while the current schema compiles (Ajv compiles synchronously), with why. */
  private skipped = new Map<string, string>();

  constructor(private readonly logger?: Logger) {}

  validate(schema: Readonly<Record<string, unknown>> | undefined, args: unknown, subject?: string): readonly string[] {
    if (!schema) return [];
    const validate = this.compile(schema, subject);
    if (!validate || validate(args)) return [];
    return (validate.errors ?? []).slice(0, 5).map((e) => {
      const where = e.instancePath ? `'${e.instancePath.slice(1).replaceAll('/', '.')}'` : 'arguments';
      const missing = e.keyword === 'required' ? ` '${String((e.params as { missingProperty?: string }).missingProperty)}'` : '';
      return `${where} ${e.message ?? 'is invalid'}${missing ? `:${missing}` : ''}`;
    });
  }

  private compile(schema: Readonly<Record<string, unknown>>, subject: string | undefined): ValidateFunction | null {
    const cached = this.compiled.get(schema);
    if (cached !== undefined) return cached;
    let validate: ValidateFunction | null = null;
    this.skipped = new Map();
    try {
      const { $schema: _ignored, ...rest } = schema;
      // Patterns RE2 cannot compile leave the schema before Ajv sees it (from a copy: the tool's schema is shared).
      const found = skipPatterns(rest, this.reasonToSkip, false);
      const checked = found.size > 0 ? structuredClone(rest) : rest;
      if (found.size > 0) skipPatterns(checked, this.reasonToSkip, true);
      for (const [pattern, reason] of found) this.skipped.set(pattern, reason);
      validate = this.ajv.compile(checked);
    } catch (error) {
      this.logger?.debug('tool schema not compiled; arguments go unchecked', { ...(subject ? { tool: subject } : {}), error: String(error) });
    }
    for (const [pattern, reason] of this.skipped) {
      this.logger?.warn('schema pattern skipped: RE2 cannot match it in linear time, so it constrains nothing', {
        ...(subject ? { tool: subject } : {}),
        pattern: pattern.length > SHOWN_PATTERN_LENGTH ? `${pattern.slice(0, SHOWN_PATTERN_LENGTH)}…` : pattern,
        reason,
      });
    }
    this.compiled.set(schema, validate);
    return validate;
  }

  private linear(pattern: string, flags: string): LinearCompiled {
    const key = `${flags}/${pattern}`;
    let compiled = this.patterns.get(key);
    if (!compiled) {
      compiled = compileLinear(pattern, flags);
      this.patterns.set(key, compiled);
    }
    return compiled;
  }

  private readonly reasonToSkip = (pattern: string): string | undefined => {
    const compiled = this.linear(pattern, 'u');
    return compiled.ok ? undefined : compiled.reason;
  };

  /**
   * Ajv's `code.regExp`: called as `regExp(pattern, 'u')` for every pattern of a schema being compiled; Ajv
   * calls `.test` on the result. `code` would be called by standalone code, which the hangar never generates:
   * it names nothing, so such code would fail loudly rather than match with a backtracking engine.
   */
  private readonly regExp: NonNullable<CodeOptions['regExp']> = Object.assign(
    (pattern: string, flags: string): LinearRegExp => {
      const compiled = this.linear(pattern, flags);
      if (compiled.ok) return compiled.regExp;
      // Only a pattern in a place skipPatterns does not walk gets here; it accepts any string.
      this.skipped.set(pattern, compiled.reason);
      return { test: () => true, toString: () => `/${pattern}/${flags} (skipped)` };
    },
    { code: 'linearRegExpIsNotAvailableInStandaloneCode' },
  );
}
