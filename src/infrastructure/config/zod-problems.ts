import type { z } from 'zod';
import { closestMatch } from '../../domain/shared/closest.js';
import { describeValue } from './config-schema.js';
import type { RawProblem } from './expand-env.js';

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a map',
  record: 'a map',
};

/**
 * The default wording for issues a schema did not word itself; pass it as the `error` option of `safeParse`
 * (a schema's own `error` still wins).
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} item(s)`;
      return `expected a value ${issue.inclusive === true ? '≥' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
      if (issue.origin === 'array') return `must have at most ${String(issue.maximum)} item(s)`;
      return `expected a value ${issue.inclusive === true ? '≤' : '<'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
};

type Segment = string | number;

/** The keys an object schema allows at `path`, found by walking the schema through its wrappers. */
const knownKeysAt = (schema: z.core.$ZodType, path: readonly Segment[]): string[] => {
  let current: z.core.$ZodType | undefined = schema;
  const unwrap = (s: z.core.$ZodType): z.core.$ZodType => {
    let inner = s;
    for (;;) {
      const def: z.core.$ZodTypeDef = inner._zod.def;
      if ('innerType' in def && def.innerType !== undefined) inner = def.innerType as z.core.$ZodType;
      else if (def.type === 'pipe') inner = (def as z.core.$ZodPipeDef).in;
      else return inner;
    }
  };
  for (const segment of path) {
    if (current === undefined) return [];
    const def: z.core.$ZodTypeDef = unwrap(current)._zod.def;
    if (def.type === 'object') current = (def as z.core.$ZodObjectDef).shape[String(segment)];
    else if (def.type === 'record') current = (def as z.core.$ZodRecordDef).valueType;
    else if (def.type === 'array') current = (def as z.core.$ZodArrayDef).element;
    else return [];
  }
  if (current === undefined) return [];
  const def: z.core.$ZodTypeDef = unwrap(current)._zod.def;
  return def.type === 'object' ? Object.keys((def as z.core.$ZodObjectDef).shape) : [];
};

/** Turns zod issues into located problems: one per unknown key, with the closest known key as a suggestion. */
export const zodProblems = (schema: z.core.$ZodType, issues: readonly z.core.$ZodIssue[]): RawProblem[] =>
  issues.flatMap((issue): RawProblem[] => {
    const path = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
    if (issue.code !== 'unrecognized_keys') return [{ path, at: 'value', message: issue.message }];
    const known = knownKeysAt(schema, path);
    return issue.keys.map((key) => {
      const hint = closestMatch(key, known);
      const suggestion = hint === undefined ? '' : ` — did you mean '${hint}'?`;
      const allowed = hint === undefined && known.length > 0 ? ` (allowed: ${known.join(', ')})` : '';
      return { path: [...path, key], at: 'key', message: `unknown key '${key}'${suggestion}${allowed}` };
    });
  });
