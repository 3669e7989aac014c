import { createRequire } from 'node:module';
import type { Alias, Document, LineCounter, Node } from 'yaml';

type YamlLibrary = typeof import('yaml');
let library: YamlLibrary | undefined;

/**
 * The yaml library, loaded on first use: a replay of JSON rules without a mapping file never needs
 * it (≈ 25 ms of startup). It is a CommonJS package, so require gives the instance `import` would.
 */
export function yamlLibrary(): YamlLibrary {
  return (library ??= createRequire(import.meta.url)('yaml') as YamlLibrary);
}

/**
 * How far one document's aliases may expand (the yaml library's maxAliasCount: alias uses times the
 * nodes each one copies). Plenty for anchors written by hand; a "billion laughs" bomb of nested
 * aliases needs millions.
 */
export const MAX_YAML_ALIAS_COUNT = 100;

/** A YAML document's value, or why it has none and the line to look at. */
export type YamlValue = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string; readonly line: number | undefined };

/**
 * The value of a parsed YAML (or JSON) document that users wrote: a rule file, a mapping, the config.
 * Never throws: an alias bomb (the library's "Excessive alias count") and an alias inside the node it
 * names (a cycle, which no config value can hold and which would recurse forever later) come back
 * as a message and the line of the alias, for the caller to report as `file: message (line N)`.
 */
export function yamlValue(doc: Document, lineCounter: LineCounter): YamlValue {
  const { visit } = yamlLibrary();
  const cycle = firstCycle(doc);
  if (cycle) return { ok: false, message: `alias *${cycle.source} is inside the node it refers to, a value that never ends: write the value out`, line: lineOf(cycle, lineCounter) };
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT }) };
  } catch (err) {
    // What toJS throws is the alias bomb check; the first alias is where the expansion starts.
    let first: Alias | undefined;
    visit(doc, {
      Alias(_key, alias) {
        first = alias;
        return visit.BREAK;
      },
    });
    const message = (err as Error).message;
    return {
      ok: false,
      message: /alias count/i.test(message)
        ? `aliases expand too far (over maxAliasCount ${MAX_YAML_ALIAS_COUNT}; the yaml library says: ${message}): write the values out, or alias less`
        : `cannot read the YAML: ${message}`,
      line: first ? lineOf(first, lineCounter) : undefined,
    };
  }
}

const lineOf = (alias: Alias, lineCounter: LineCounter) => (alias.range ? lineCounter.linePos(alias.range[0]).line : undefined);

/**
 * The first alias that sits inside the node it names. One pass in document order: an alias names the
 * latest node anchored with its name before it (as the yaml library resolves it).
 */
function firstCycle(doc: Document): Alias | undefined {
  const { isAlias, visit } = yamlLibrary();
  const anchored = new Map<string, Node>();
  let cycle: Alias | undefined;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const target = anchored.get(node.source);
        if (target?.range && node.range && node.range[0] >= target.range[0] && node.range[1] <= target.range[1]) {
          cycle = node;
          return visit.BREAK;
        }
      } else if (node.anchor) anchored.set(node.anchor, node);
      return undefined;
    },
  });
  return cycle;
}
