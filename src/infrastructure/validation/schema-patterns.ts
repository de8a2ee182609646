/** Keywords whose values are data, not schemas: nothing in them is a pattern. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples']);
/** Keywords whose values map names to schemas: the names are not keywords. */
const NAMED_SCHEMAS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas', 'dependencies']);

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Finds, and with `edit` removes, the patterns of a JSON Schema that `reasonToSkip` refuses (it returns why,
 * or undefined to keep the pattern): a `pattern` keyword is removed (that string accepts anything), a
 * `patternProperties` entry is removed together with its schema's `additionalProperties` and
 * `unevaluatedProperties` (which properties are "additional" can no longer be told). Removing is the
 * lenient choice: the provider still checks its own arguments, and a pattern treated as matching every
 * property name would apply its schema to every property. Walks without recursion; returns each skipped
 * pattern with its reason.
 */
export const skipPatterns = (schema: object, reasonToSkip: (pattern: string) => string | undefined, edit: boolean): Map<string, string> => {
  const skipped = new Map<string, string>();
  const refuse = (pattern: string): boolean => {
    const reason = reasonToSkip(pattern);
    if (reason !== undefined) skipped.set(pattern, reason);
    return reason !== undefined;
  };
  const seen = new Set<object>();
  const stack: unknown[] = [schema];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node as unknown[]) stack.push(item);
      continue;
    }
    const subschema = node as Record<string, unknown>;
    for (const [keyword, value] of Object.entries(subschema)) {
      if (DATA_KEYWORDS.has(keyword)) continue;
      if (keyword === 'pattern' && typeof value === 'string') {
        if (refuse(value) && edit) delete subschema['pattern'];
        continue;
      }
      if (keyword === 'patternProperties' && isObject(value)) {
        let removed = false;
        for (const pattern of Object.keys(value)) {
          if (!refuse(pattern)) continue;
          removed = true;
          if (edit) delete value[pattern];
        }
        if (removed && edit) {
          delete subschema['additionalProperties'];
          delete subschema['unevaluatedProperties'];
        }
      }
      if (NAMED_SCHEMAS.has(keyword) && isObject(value)) for (const named of Object.values(value)) stack.push(named);
      else stack.push(value);
    }
  }
  return skipped;
};
