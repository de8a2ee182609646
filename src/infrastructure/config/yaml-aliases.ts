import { isAlias, isPair, isScalar, isSeq, visit, type Document, type Node } from 'yaml';

/** An alias that refers to a node containing it (`a: &x [ *x ]`): its value would contain itself. */
export interface RecursiveAlias {
  /** The YAML path of the alias (map keys and list indexes). */
  readonly path: readonly (string | number)[];
  /** Where the alias is written (a character offset), and its anchor's name. */
  readonly offset: number | undefined;
  readonly anchor: string;
  /** Where the anchor (`&name`) of the node that contains the alias is written. */
  readonly anchorOffset: number | undefined;
}

const start = (node: { range?: readonly number[] | null | undefined }): number | undefined => node.range?.[0];

/**
 * Finds every alias inside the very node its anchor names. Such an alias makes the document infinite:
 * `toJS` gives a circular value and every later walk over it exhausts the stack. Since an anchor must come
 * before its alias, a chain of aliases can only come back to where it started through one alias that lies
 * inside its own anchor's node, so checking each alias against its ancestors finds every cycle.
 *
 * An alias refers to the last node with its anchor before it, in document order (as `Alias.resolve` does);
 * one walk keeps that map, so the check costs one pass over the document. `source` is the document's text.
 */
export const recursiveAliases = (doc: Document, source: string): RecursiveAlias[] => {
  // An alias needs an anchor, and every anchor is written `&name`: a text without `&` has neither.
  if (!source.includes('&')) return [];
  const anchored = new Map<string, Node>();
  const found: RecursiveAlias[] = [];
  visit(doc, {
    Node: (_key, node, ancestors) => {
      if (isAlias(node)) {
        const target = anchored.get(node.source);
        if (target !== undefined && ancestors.includes(target)) {
          found.push({ path: pathOf(ancestors, node), offset: start(node), anchor: node.source, anchorOffset: anchorStart(source, target, node.source) });
        }
      } else if (node.anchor !== undefined) {
        anchored.set(node.anchor, node);
      }
    },
  });
  return found;
};

/** The `&name` written just before the node (a block map or list itself starts on a later line), else the node. */
const anchorStart = (source: string, target: Node, anchor: string): number | undefined => {
  const at = start(target);
  if (at === undefined) return undefined;
  const written = source.lastIndexOf(`&${anchor}`, at);
  return written >= 0 ? written : at;
};

/** The map keys and list indexes leading from the document to `node`. */
const pathOf = (ancestors: readonly unknown[], node: unknown): (string | number)[] => {
  const path: (string | number)[] = [];
  ancestors.forEach((ancestor, index) => {
    const child = ancestors[index + 1] ?? node;
    if (isPair(ancestor)) {
      if (child === ancestor.value) path.push(isScalar(ancestor.key) ? String(ancestor.key.value) : String(ancestor.key));
    } else if (isSeq(ancestor)) {
      path.push(ancestor.items.indexOf(child));
    }
  });
  return path;
};
