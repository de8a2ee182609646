import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import type { ArgumentsValidator } from '../../application/ports/arguments-validator.js';
import type { Logger } from '../../application/ports/logger.js';

/**
 * Validates tool arguments with Ajv against the tool's inputSchema. Validators are compiled once per
 * schema object. `$schema` is ignored (providers use drafts 7 and 2020-12 alike) and unknown keywords
 * are allowed; a schema Ajv cannot compile accepts anything, leaving the judgement to the provider.
 */
export class AjvArgumentsValidator implements ArgumentsValidator {
  // Ajv (a CommonJS package) is loaded with the first schema to check: an idle hangar never needs it.
  private ajvInstance: AjvClass | undefined;
  private get ajv(): AjvClass {
    if (!this.ajvInstance) {
      const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
      this.ajvInstance = new Ajv({ strict: false, allErrors: true, validateSchema: false, addUsedSchema: false });
    }
    return this.ajvInstance;
  }
  private readonly compiled = new WeakMap<object, ValidateFunction | null>();

  constructor(private readonly logger?: Logger) {}

  validate(schema: Readonly<Record<string, unknown>> | undefined, args: unknown): readonly string[] {
    if (!schema) return [];
    const validate = this.compile(schema);
    if (!validate || validate(args)) return [];
    return (validate.errors ?? []).slice(0, 5).map((e) => {
      const where = e.instancePath ? `'${e.instancePath.slice(1).replaceAll('/', '.')}'` : 'arguments';
      const missing = e.keyword === 'required' ? ` '${String((e.params as { missingProperty?: string }).missingProperty)}'` : '';
      return `${where} ${e.message ?? 'is invalid'}${missing ? `:${missing}` : ''}`;
    });
  }

  private compile(schema: Readonly<Record<string, unknown>>): ValidateFunction | null {
    const cached = this.compiled.get(schema);
    if (cached !== undefined) return cached;
    let validate: ValidateFunction | null = null;
    try {
      const { $schema: _ignored, ...rest } = schema;
      validate = this.ajv.compile(rest);
    } catch (error) {
      this.logger?.debug('tool schema not compiled; arguments go unchecked', { error: String(error) });
    }
    this.compiled.set(schema, validate);
    return validate;
  }
}
