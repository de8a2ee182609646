import { PROVIDER_ID_PATTERN } from '../../domain/shared/ids.js';
import { ALL_MODES, SUPPORTED_MODES, UNAVAILABLE_SECTIONS, configFileSchema } from './config-schema.js';
import type { RawProblem } from './expand-env.js';

const isMap = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

const notAvailable = (what: string): string => `${what} is not available in this version of mcp-hangar (supported: ${SUPPORTED_MODES.join(', ')})`;

/**
 * Takes out what the spec describes but this version cannot run (the `discovery` section and
 * providers in `container`, `remote` or `group` mode), reporting each once, so a user who copied the spec's
 * example reads "not available" instead of a list of unknown keys inside those parts.
 */
export const stripUnavailable = (raw: unknown): { readonly value: unknown; readonly problems: RawProblem[] } => {
  const problems: RawProblem[] = [];
  if (!isMap(raw)) return { value: raw, problems };
  const value: Record<string, unknown> = { ...raw };
  for (const section of UNAVAILABLE_SECTIONS) {
    if (!(section in value)) continue;
    problems.push({
      path: [section],
      at: 'key',
      message: `'${section}' is not available in this version of mcp-hangar (supported top-level keys: ${Object.keys(configFileSchema.shape).join(', ')})`,
    });
    delete value[section];
  }
  const providers = value['providers'];
  if (isMap(providers)) {
    const kept: Record<string, unknown> = {};
    for (const [id, provider] of Object.entries(providers)) {
      const mode = isMap(provider) ? provider['mode'] : undefined;
      const unavailable = ALL_MODES.filter((m) => !(SUPPORTED_MODES as readonly string[]).includes(m));
      if (typeof mode === 'string' && (unavailable as readonly string[]).includes(mode)) {
        problems.push({ path: ['providers', id, 'mode'], at: 'value', message: notAvailable(`mode '${mode}'`) });
      } else {
        kept[id] = provider;
      }
    }
    value['providers'] = kept;
  }
  return { value, problems };
};

/**
 * Rules that span several values and must run even when zod reports other problems (zod skips refinements
 * of a value whose parts failed): provider ids, duplicate tool names, retry delays in order.
 */
export const checkStructure = (raw: unknown): RawProblem[] => {
  const problems: RawProblem[] = [];
  if (!isMap(raw)) return problems;
  const providers = raw['providers'];
  if (isMap(providers)) {
    for (const [id, provider] of Object.entries(providers)) {
      if (!PROVIDER_ID_PATTERN.test(id)) {
        problems.push({
          path: ['providers', id],
          at: 'key',
          message: `invalid provider id '${id}': start with a letter, then letters, digits, _ or -, at most 64 characters`,
        });
      }
      const tools = isMap(provider) ? provider['tools'] : undefined;
      if (Array.isArray(tools)) problems.push(...duplicateToolNames(id, tools));
    }
  }
  const retry = raw['retry'];
  if (isMap(retry)) {
    const initial = retry['initial_delay_ms'];
    const max = retry['max_delay_ms'];
    if (typeof initial === 'number' && typeof max === 'number' && max < initial) {
      problems.push({
        path: ['retry', 'max_delay_ms'],
        at: 'value',
        message: `max_delay_ms (${max}) must not be less than initial_delay_ms (${initial})`,
      });
    }
  }
  return problems;
};

const duplicateToolNames = (id: string, tools: readonly unknown[]): RawProblem[] => {
  const problems: RawProblem[] = [];
  const firstIndex = new Map<string, number>();
  tools.forEach((tool, index) => {
    const name = isMap(tool) ? tool['name'] : undefined;
    if (typeof name !== 'string') return;
    const first = firstIndex.get(name);
    if (first === undefined) {
      firstIndex.set(name, index);
      return;
    }
    problems.push({
      path: ['providers', id, 'tools', index, 'name'],
      at: 'value',
      message: `duplicate tool name '${name}' in provider '${id}' (first defined at tools[${first}])`,
    });
  });
  return problems;
};
