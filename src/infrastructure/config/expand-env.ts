/** A problem found while expanding, located by its path in the parsed document. */
export interface RawProblem {
  readonly path: readonly (string | number)[];
  /** Locate the problem at the map key (unknown key, bad id) rather than at its value. */
  readonly at: 'key' | 'value';
  readonly message: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// `$${` first so the escape wins; a lone `${` (third branch) is an unclosed or nested reference.
const REFERENCE = /\$\$\{|\$\{([^{}]*)\}|\$\{/g;

/**
 * Expands `${NAME}` in one string from `env`.
 *
 * `$${` is the escape for a literal `${` (so `$${HOME}` stays `${HOME}`); any other `$` is kept as written,
 * so passwords such as `pa$$word` need no escaping. Each missing variable or malformed reference is returned as
 * an error message, and that reference is left unexpanded.
 */
export const expandString = (
  text: string,
  env: Readonly<Record<string, string | undefined>>,
): { readonly value: string; readonly errors: readonly string[]; readonly used: readonly string[] } => {
  const errors: string[] = [];
  const used: string[] = [];
  const value = text.replace(REFERENCE, (match: string, name: string | undefined) => {
    if (match === '$${') return '${';
    if (name === undefined) {
      errors.push(`unclosed or nested variable reference in ${JSON.stringify(text)} (write $\${ for a literal \${)`);
      return match;
    }
    if (!NAME.test(name)) {
      errors.push(`invalid variable reference '${match}': expected \${NAME} with letters, digits and _`);
      return match;
    }
    const replacement = env[name];
    if (replacement === undefined) {
      errors.push(`environment variable '${name}' is not set`);
      return match;
    }
    used.push(replacement);
    return replacement;
  });
  return { value, errors, used };
};

/** A `${NAME}` value put into the config: where, and what (so that it is never shown or stored). */
export interface Expansion {
  readonly path: readonly (string | number)[];
  readonly value: string;
}

/**
 * Expands `${NAME}` references (see {@link expandString}) in every string value of a parsed YAML value,
 * leaving map keys alone. Returns a new value, one problem per bad reference with its path, and every
 * value that was expanded into it, with its path.
 */
export const expandEnv = (
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  path: readonly (string | number)[] = [],
): { readonly value: unknown; readonly problems: readonly RawProblem[]; readonly expansions: readonly Expansion[] } => {
  const problems: RawProblem[] = [];
  const expansions: Expansion[] = [];
  // One path, pushed and popped along the walk and copied only where a problem or an expansion is found:
  // a config of 500 providers has thousands of values, and almost none of them names a variable.
  const at = [...path];
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') {
      if (!node.includes('$')) return node;
      const expanded = expandString(node, env);
      for (const message of expanded.errors) problems.push({ path: [...at], at: 'value', message });
      for (const used of expanded.used) expansions.push({ path: [...at], value: used });
      return expanded.value;
    }
    if (Array.isArray(node)) return node.map((child: unknown, index) => item(index, child));
    if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([key, child]) => [key, item(key, child)]));
    return node;
  };
  const item = (key: string | number, child: unknown): unknown => {
    at.push(key);
    const walked = walk(child);
    at.pop();
    return walked;
  };
  return { value: walk(value), problems, expansions };
};
