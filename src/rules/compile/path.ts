import { createRequire } from 'node:module';
import type { JSONPath as JSONPathFunction } from 'jsonpath-plus';

/**
 * jsonpath-plus is required on first use, not imported: the paths rules use (`$.rule.level`) are
 * read natively and recognized without it (DOTTED_PATH), and loading it cost every `replay` a few per
 * cent of its startup.
 */
const requireLazily = createRequire(import.meta.url);
let jsonpathPlus: typeof import('jsonpath-plus') | undefined;
const JSONPath = (): typeof JSONPathFunction => (jsonpathPlus ??= requireLazily('jsonpath-plus') as typeof import('jsonpath-plus')).JSONPath;

/** `$.name.name…` with names of word characters: jsonpath-plus's toPathArray splits these at the dots and nothing else. */
const DOTTED_PATH = /^\$(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;

/** Reads a condition's `path` out of a fact value. */
export type PathReader = (factValue: unknown) => unknown;

/**
 * Compiles a `path` once, with json-rules-engine's semantics: the path applies only to object fact
 * values (arrays included); any other value is returned as it is, path ignored (almanac.factValue).
 * Paths that only follow property names run as direct property reads; anything else (wildcards,
 * filters, recursive descent, slices, unions, ...) is handed to jsonpath-plus exactly as
 * json-rules-engine calls it.
 */
export function compilePath(path: string): PathReader {
  const resolve = objectPathReader(path);
  return (factValue) => (factValue != null && typeof factValue === 'object' ? resolve(factValue) : factValue);
}

/** compilePath's reading of an object fact value (the part a caller that knows the value is an object can call directly). */
export function objectPathReader(path: string): (json: object) => unknown {
  const keys = nativeKeys(path);
  return keys ? propertyReader(keys) : (json) => JSONPath()({ path, json, wrap: false });
}

/**
 * The property names a path follows, when jsonpath-plus would do nothing but follow them one by
 * one; otherwise undefined. Tokenizes with jsonpath-plus itself, so `$.a[0]`, `$['a.b']` and `a.b`
 * mean exactly what they mean there.
 */
export function nativeKeys(path: string): readonly string[] | undefined {
  if (DOTTED_PATH.test(path)) return path.slice(2).split('.');
  let tokens: (string | undefined)[];
  try {
    tokens = JSONPath().toPathArray(path);
  } catch {
    // Paths named like an Object.prototype member ("constructor") break jsonpath-plus's own token
    // cache; delegating keeps the throw where json-rules-engine has it.
    return undefined;
  }
  // evaluate() drops a leading "$" unless it is the whole path, which selects the value itself.
  const keys = tokens[0] === '$' ? tokens.slice(1) : tokens;
  return keys.every(isPlainKey) ? keys : undefined;
}

/** Tokens that jsonpath-plus's _trace gives a meaning other than "the own property of this name". */
const OPERATOR_TOKENS: ReadonlySet<string> = new Set(['*', '..', '^', '~', '$']);

function isPlainKey(token: string | undefined): token is string {
  // Excluded: filters and scripts "?(" "(", type selectors "@", backtick escapes, unions ",", slices ":",
  // and the undefined token toPathArray yields for a "#0" it has no expression for.
  return (
    typeof token === 'string' && !OPERATOR_TOKENS.has(token) && !/^[?(@`]/.test(token) && !token.includes(',') && !token.includes(':')
  );
}

/**
 * jsonpath-plus follows a key only where `value && Object.hasOwn(value, key)`: a falsy value stops the
 * walk, a string exposes its indices and length, and a missing key gives undefined (wrap: false, no
 * result). A path of plain keys yields at most one result, so it is never wrapped in an array.
 */
function propertyReader(keys: readonly string[]): (json: object) => unknown {
  if (keys.length === 1) {
    const key = keys[0]!;
    return (json) => (Object.hasOwn(json, key) ? (json as Record<string, unknown>)[key] : undefined);
  }
  if (keys.length === 2) {
    // The loop below, unrolled for the most common nested path (`$.rule.level`): it runs per leaf per alert.
    const [first, second] = keys as [string, string];
    return (json) => {
      if (!Object.hasOwn(json, first)) return undefined;
      const value = (json as Record<string, unknown>)[first];
      return value && Object.hasOwn(value, second) ? (value as Record<string, unknown>)[second] : undefined;
    };
  }
  return (json) => {
    let value: unknown = json;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (!value || !Object.hasOwn(value, key)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  };
}
