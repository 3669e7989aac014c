/**
 * Field paths: where a value is inside a JSON object, as mapping files (`alert.signature`), rule files
 * (`entities.src_ip`, `raw.bytes_out`) and title templates (`{{entities.host}}`) write it.
 * docs/formats.md, "Field paths", is the reference; this file is the one implementation.
 *
 * Grammar: keys joined by dots, with a bracketed key wherever a key itself holds dots, brackets or
 * quotes: `output_fields["proc.name"]` (a JSON string), `output_fields['proc.name']`, `tags[0]`.
 *
 * Lookup: detectors write dotted names both ways, nested (`{"id": {"orig_h": …}}`) and as one flat key
 * (`{"id.orig_h": …}`, Zeek, Falco's output_fields, flattened ECS), so a run of dotted keys is tried
 * as literal keys before it is descended into: at each object, the longest literal key first
 * (`id.orig_h`), then shorter ones (`id`, then `orig_h` inside it). The value is the first one found
 * in that order that is present (neither absent nor null); a branch that dead-ends falls back to the
 * next shorter key. A bracketed key is always exactly one key, never joined with its neighbours.
 */

/** A run of path keys: dotted keys may be joined into one literal key; a bracketed key stands alone. */
interface PathRun {
  readonly keys: readonly string[];
  /** joined[i][j - i]: keys i..j joined by dots (dotted runs only). */
  readonly joined: readonly (readonly string[])[] | undefined;
}

/** A parsed, compiled field path. */
export interface FieldPath {
  /** The path as written. */
  readonly text: string;
  readonly runs: readonly PathRun[];
}

/** Reads a field path out of a value: the first present value in lookup order, or undefined (null counts as absent). */
export type FieldPathReader = (root: unknown) => unknown;

export const FIELD_PATH_HINT = 'a field path such as alert.signature, or output_fields["proc.name"] for a key that contains dots';

/** Parses a field path; a message naming the character at fault when it is not one. */
export function parseFieldPath(text: string): FieldPath | string {
  const runs: PathRun[] = [];
  let dotted: string[] = [];
  let i = 0;
  const flush = () => {
    if (dotted.length > 0) runs.push(dottedRun(dotted));
    dotted = [];
  };
  const fail = (what: string, at: number) => `${what} at character ${at + 1}; expected ${FIELD_PATH_HINT}`;
  if (text.length === 0) return `empty path; expected ${FIELD_PATH_HINT}`;
  while (i < text.length) {
    if (text[i] === '[') {
      flush();
      const bracket = readBracket(text, i);
      if (typeof bracket === 'string') return fail(bracket, i);
      runs.push({ keys: [bracket.key], joined: undefined });
      i = bracket.end;
      // After a bracket: the end, another bracket, or a dot and a key.
      if (i < text.length && text[i] !== '[' && text[i] !== '.') return fail(`"${text[i]}" after "]"`, i);
      if (text[i] === '.') {
        i++;
        if (i === text.length || text[i] === '.' || text[i] === '[') return fail('a dot not followed by a key', i - 1);
      }
      continue;
    }
    let end = i;
    while (end < text.length && text[end] !== '.' && text[end] !== '[') {
      if (text[end] === ']') return fail('"]" without "["', end);
      end++;
    }
    if (end === i) return fail('empty key', i);
    dotted.push(text.slice(i, end));
    i = end;
    if (text[i] === '.') {
      i++;
      if (i === text.length) return fail('empty key', i);
      if (text[i] === '[') return fail('a dot not followed by a key', i - 1);
    }
  }
  flush();
  return { text, runs };
}

/** parseFieldPath for paths already validated (rule and mapping schemas check them); throws otherwise. */
export function fieldPath(text: string): FieldPath {
  const parsed = parseFieldPath(text);
  if (typeof parsed === 'string') throw new Error(`invalid field path "${text}": ${parsed}`);
  return parsed;
}

/**
 * A reader for a path, compiled once: the common shapes (one key, two keys) cost a few property
 * loads per read. `rootKeys`: the keys the root object can have, when they are fixed and none holds
 * a dot (the canonical alert's fields): a path starting with one of them reads it directly, without
 * first trying a flat dotted key that cannot be there.
 */
export function compileFieldPath(path: FieldPath | string, rootKeys?: ReadonlySet<string>): FieldPathReader {
  const { runs } = typeof path === 'string' ? fieldPath(path) : path;
  const first = runs[0]!;
  if (rootKeys !== undefined && first.joined !== undefined && first.keys.length > 1 && rootKeys.has(first.keys[0]!)) {
    const [key, ...rest] = first.keys as [string, ...string[]];
    const text = typeof path === 'string' ? path : path.text;
    const below = compileFieldPath({ text: text.slice(key.length + 1), runs: [dottedRun(rest), ...runs.slice(1)] });
    return (root) => (root !== null && typeof root === 'object' && Object.hasOwn(root, key) ? below((root as Record<string, unknown>)[key]) : undefined);
  }
  if (runs.length === 1 && runs[0]!.keys.length === 1) {
    const key = runs[0]!.keys[0]!;
    return (root) => {
      if (root === null || typeof root !== 'object' || !Object.hasOwn(root, key)) return undefined;
      const value = (root as Record<string, unknown>)[key];
      return value === null ? undefined : value;
    };
  }
  if (runs.length === 1 && runs[0]!.keys.length === 2) {
    // `entities.src_ip`, `raw.bytes_out`: the shape of most rule paths, read per alert and rule.
    const [outer, inner] = runs[0]!.keys as [string, string];
    const flat = `${outer}.${inner}`;
    return (root) => {
      if (root === null || typeof root !== 'object') return undefined;
      if (Object.hasOwn(root, flat)) {
        const value = (root as Record<string, unknown>)[flat];
        if (value !== null && value !== undefined) return value;
      }
      if (!Object.hasOwn(root, outer)) return undefined;
      const parent = (root as Record<string, unknown>)[outer];
      if (parent === null || typeof parent !== 'object' || !Object.hasOwn(parent, inner)) return undefined;
      const value = (parent as Record<string, unknown>)[inner];
      return value === null ? undefined : value;
    };
  }
  return (root) => find(root, runs, 0, 0);
}

/**
 * The keys a path was read through for this value (the first present one in lookup order), for
 * messages that name the place as a JSON pointer; undefined when the path finds nothing.
 */
export function fieldPathKeys(root: unknown, path: FieldPath): string[] | undefined {
  const keys: string[] = [];
  return find(root, path.runs, 0, 0, keys) === undefined ? undefined : keys;
}

/** The keys of the fully nested reading (every dot descends), for messages about a path that found nothing. */
export function nestedKeys(path: FieldPath): string[] {
  return path.runs.flatMap((run) => run.keys);
}

/**
 * Depth-first search in lookup order from run `r`, key `i`. Every successful step enters a different
 * object of the input (two key sequences that differ lead to different places in a tree), so the
 * search visits each input object at most once per path: its cost is bounded by the input's size,
 * whatever keys an input invents.
 */
function find(value: unknown, runs: readonly PathRun[], r: number, i: number, trail?: string[]): unknown {
  if (r === runs.length) return value === null ? undefined : value;
  if (value === null || typeof value !== 'object') return undefined;
  const run = runs[r]!;
  const last = run.keys.length - 1;
  for (let j = last; j >= i; j--) {
    const key = run.joined === undefined ? run.keys[0]! : run.joined[i]![j - i]!;
    if (!Object.hasOwn(value, key)) continue;
    trail?.push(key);
    const found = find((value as Record<string, unknown>)[key], runs, j === last ? r + 1 : r, j === last ? 0 : j + 1, trail);
    if (found !== undefined) return found;
    trail?.pop();
  }
  return undefined;
}

function dottedRun(keys: readonly string[]): PathRun {
  const joined = keys.map((_, i) => keys.slice(i).map((__, n) => keys.slice(i, i + n + 1).join('.')));
  return { keys: keys.slice(), joined };
}

/** `["a.b"]` (JSON string), `['a.b']` (backslash escapes the quote and itself) or `[0]`, starting at `at`. */
function readBracket(text: string, at: number): { key: string; end: number } | string {
  const quote = text[at + 1];
  if (quote === '"' || quote === "'") {
    let end = at + 2;
    while (end < text.length && text[end] !== quote) end += text[end] === '\\' ? 2 : 1;
    if (end >= text.length) return 'an unterminated quoted key';
    const body = text.slice(at + 2, end);
    let key: string;
    if (quote === '"') {
      try {
        key = JSON.parse(`"${body}"`) as string;
      } catch {
        return 'an invalid escape in a quoted key';
      }
    } else {
      key = body.replace(/\\(.)/g, '$1');
    }
    if (text[end + 1] !== ']') return 'a quoted key not followed by "]"';
    return { key, end: end + 2 };
  }
  const digits = /^\d+/.exec(text.slice(at + 1))?.[0];
  if (digits === undefined || text[at + 1 + digits.length] !== ']') return 'a "[" not followed by a quoted key or an index';
  return { key: digits, end: at + 2 + digits.length };
}
