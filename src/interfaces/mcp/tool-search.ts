import type { ToolDefinition } from '../../domain/provider/tool-definition.js';

/** One tool the search covers: a provider's tool as the exposure sees it. */
export interface SearchableTool {
  readonly provider: string;
  readonly tool: string;
  /** The name it is listed under when the provider's tools are also exposed directly. */
  readonly name?: string | undefined;
  readonly definition: ToolDefinition;
}

/** One ranked hit. */
export interface SearchHit {
  readonly entry: SearchableTool;
  readonly score: number;
}

/** Words that say nothing about what a tool does. */
const STOP_WORDS: ReadonlySet<string> = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'by',
  'for',
  'from',
  'in',
  'is',
  'it',
  'of',
  'on',
  'or',
  'the',
  'this',
  'to',
  'with',
]);

/** A light stemmer: plural and third-person `s` only (`files` → `file`, `adds` → `add`, `issues` → `issue`). */
const stem = (word: string): string => {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('ss') || word.endsWith('us') || word.endsWith('is')) return word;
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
};

/**
 * Words of a text, a tool name or a parameter name: split at snake_case, kebab-case, camelCase, dots and
 * every other non-alphanumeric character, lower-cased, stop words dropped, plurals folded.
 */
export const tokenize = (text: string): string[] =>
  text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '' && !STOP_WORDS.has(w))
    .map(stem);

/** The fields of a tool that are searched, and how much a match in each counts. */
const FIELDS = ['name', 'provider', 'parameters', 'description'] as const;
type Field = (typeof FIELDS)[number];
export const FIELD_WEIGHTS: Readonly<Record<Field, number>> = { name: 3, provider: 1.5, parameters: 1.5, description: 1 };
/** BM25 term saturation and, per field, length normalisation. */
const K1 = 1.2;
const B: Readonly<Record<Field, number>> = { name: 0.5, provider: 0, parameters: 0.5, description: 0.75 };

const parameterNames = (definition: ToolDefinition): string => {
  const properties = (definition.inputSchema as { properties?: unknown } | undefined)?.properties;
  return properties !== null && typeof properties === 'object' ? Object.keys(properties).join(' ') : '';
};

interface Document {
  readonly entry: SearchableTool;
  /** Term frequencies per field. */
  readonly tf: Readonly<Record<Field, ReadonlyMap<string, number>>>;
  readonly length: Readonly<Record<Field, number>>;
}

const frequencies = (words: readonly string[]): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
};

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A BM25F index over tools: each tool a document of four fields (its name, its provider's id, its
 * parameter names, its description), a term's frequency in each field normalised by the field's length and
 * weighted (name > provider = parameters > description), summed, then saturated once per term and weighted
 * by the term's inverse document frequency. Built once; a query is one scoring pass over the documents that
 * hold one of its words.
 */
export class ToolSearchIndex {
  private readonly documents: readonly Document[];
  private readonly postings = new Map<string, number[]>();
  private readonly averageLength: Readonly<Record<Field, number>>;

  constructor(entries: readonly SearchableTool[]) {
    const totals: Record<Field, number> = { name: 0, provider: 0, parameters: 0, description: 0 };
    this.documents = entries.map((entry, index) => {
      const words: Record<Field, string[]> = {
        name: tokenize(entry.tool),
        provider: tokenize(entry.provider),
        parameters: tokenize(parameterNames(entry.definition)),
        description: tokenize(`${typeof entry.definition.title === 'string' ? entry.definition.title : ''} ${entry.definition.description ?? ''}`),
      };
      const seen = new Set<string>();
      for (const field of FIELDS) {
        totals[field] += words[field].length;
        for (const w of words[field]) {
          if (seen.has(w)) continue;
          seen.add(w);
          const list = this.postings.get(w);
          if (list === undefined) this.postings.set(w, [index]);
          else list.push(index);
        }
      }
      return {
        entry,
        tf: {
          name: frequencies(words.name),
          provider: frequencies(words.provider),
          parameters: frequencies(words.parameters),
          description: frequencies(words.description),
        },
        length: { name: words.name.length, provider: words.provider.length, parameters: words.parameters.length, description: words.description.length },
      };
    });
    const n = Math.max(1, entries.length);
    this.averageLength = {
      name: totals.name / n || 1,
      provider: totals.provider / n || 1,
      parameters: totals.parameters / n || 1,
      description: totals.description / n || 1,
    };
  }

  /** How many tools the index holds. */
  get size(): number {
    return this.documents.length;
  }

  /** The providers it covers, in code-point order. */
  providers(): string[] {
    return [...new Set(this.documents.map((d) => d.entry.provider))].sort(byCodePoint);
  }

  /** The tools that match `query`, best first (ties: provider, then tool, in code-point order), at most `limit`; and how many matched. */
  search(query: string, limit: number): { hits: SearchHit[]; total: number } {
    const terms = [...new Set(tokenize(query))];
    const n = this.documents.length;
    const scores = new Map<number, number>();
    for (const term of terms) {
      const list = this.postings.get(term);
      if (list === undefined) continue;
      const idf = Math.log(1 + (n - list.length + 0.5) / (list.length + 0.5));
      for (const index of list) {
        const doc = this.documents[index]!;
        let tf = 0;
        for (const field of FIELDS) {
          const count = doc.tf[field].get(term);
          if (count === undefined) continue;
          const norm = 1 - B[field] + (B[field] * doc.length[field]) / this.averageLength[field];
          tf += (FIELD_WEIGHTS[field] * count) / norm;
        }
        scores.set(index, (scores.get(index) ?? 0) + (idf * tf) / (K1 + tf));
      }
    }
    const ranked = [...scores].map(([index, score]) => ({ entry: this.documents[index]!.entry, score }));
    ranked.sort((a, b) => b.score - a.score || byCodePoint(a.entry.provider, b.entry.provider) || byCodePoint(a.entry.tool, b.entry.tool));
    return { hits: ranked.slice(0, Math.max(0, limit)), total: ranked.length };
  }
}
