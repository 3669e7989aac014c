import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFieldPath, fieldPath, fieldPathKeys, parseFieldPath } from '../../src/normalize/field-path.js';

/** A path as a list of keys, each written dotted (may be joined with its dotted neighbours) or bracketed (exactly one key). */
type Segment = { readonly key: string; readonly bracket: boolean };

function render(segments: readonly Segment[]): string {
  return segments.map((s, i) => (s.bracket ? `[${JSON.stringify(s.key)}]` : i === 0 ? s.key : `.${s.key}`)).join('');
}

/** Ways to write consecutive dotted keys as literal keys, longest first key first (the documented order). */
function splits(keys: readonly string[]): string[][] {
  if (keys.length === 0) return [[]];
  const out: string[][] = [];
  for (let n = keys.length; n >= 1; n--) {
    const first = keys.slice(0, n).join('.');
    for (const rest of splits(keys.slice(n))) out.push([first, ...rest]);
  }
  return out;
}

/** Every key sequence a path can mean, in the documented order. */
function keySequences(segments: readonly Segment[]): string[][] {
  const runs: string[][][] = [];
  let dotted: string[] = [];
  for (const s of segments) {
    if (s.bracket) {
      if (dotted.length) runs.push(splits(dotted));
      dotted = [];
      runs.push([[s.key]]);
    } else dotted.push(s.key);
  }
  if (dotted.length) runs.push(splits(dotted));
  let sequences: string[][] = [[]];
  for (const choices of runs) sequences = sequences.flatMap((seq) => choices.map((c) => [...seq, ...c]));
  return sequences;
}

/** Sets root[k1][k2]... = value, creating objects on the way; skipped where a leaf is in the way. */
function plant(root: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  let at = root;
  for (const key of keys.slice(0, -1)) {
    if (!Object.hasOwn(at, key)) at[key] = {};
    const next = at[key];
    if (next === null || typeof next !== 'object') return;
    at = next as Record<string, unknown>;
  }
  at[keys.at(-1)!] = value;
}

/**
 * The reference: every key sequence the path can mean, in the documented order (at each choice the
 * longer literal key first, left to right; a bracketed key is never joined), each walked plainly; the
 * first that reaches a present value (not absent, not null) wins.
 */
function reference(root: unknown, segments: readonly Segment[]): unknown {
  const sequences = keySequences(segments);
  for (const keys of sequences) {
    let value: unknown = root;
    for (const key of keys) {
      value = value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
      if (value === undefined) break;
    }
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

const KEY_PARTS = ['a', 'b', '0'];
/** Keys an input may hold: plain ones and flat dotted ones made of the same parts. */
const inputKey = fc.constantFrom('a', 'b', '0', 'a.b', 'b.a', 'a.a', 'a.b.a', 'b.0');
const leaf = fc.oneof(fc.constant(null), fc.integer(), fc.constantFrom('x', 'y', ''), fc.boolean());
const input: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('object'), tie('array')),
  object: fc.dictionary(inputKey, tie('node'), { maxKeys: 5 }),
  array: fc.array(tie('node'), { maxLength: 2 }),
})).object;
const segment = fc.record({ key: fc.oneof(fc.constantFrom(...KEY_PARTS), fc.constantFrom('a.b', 'b.a')), bracket: fc.boolean() }).map((s) =>
  // A dotted segment holds no dot: the path text splits it.
  s.key.includes('.') ? { ...s, bracket: true } : s,
);

describe('field paths', () => {
  it('reads what the reference reads: literal keys before descending, longest first, first present wins', () => {
    fc.assert(
      fc.property(input, fc.array(segment, { minLength: 1, maxLength: 5 }), (root, segments) => {
        const text = render(segments);
        expect(compileFieldPath(text)(root)).toEqual(reference(root, segments));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with the reference where one input holds the same path written several ways', () => {
    // Inputs built from the path: values planted at several of the key sequences it can mean.
    const planted = fc
      .array(fc.record({ key: fc.constantFrom('a', 'b'), bracket: fc.boolean() }), { minLength: 2, maxLength: 5 })
      .chain((segments) => {
        const sequences = keySequences(segments);
        return fc.tuple(fc.constant(segments), fc.array(fc.tuple(fc.constantFrom(...sequences), leaf), { minLength: 1, maxLength: 4 }));
      });
    fc.assert(
      fc.property(planted, ([segments, plants]) => {
        const root: Record<string, unknown> = {};
        for (const [keys, value] of plants) plant(root, keys, value);
        expect(compileFieldPath(render(segments))(root)).toEqual(reference(root, segments));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads the same with the root keys known, when the root has only those keys', () => {
    const rootKeys = new Set(['a', 'b']);
    const root = fc.dictionary(fc.constantFrom('a', 'b'), input, { maxKeys: 2 });
    fc.assert(
      fc.property(root, fc.array(segment, { minLength: 1, maxLength: 5 }), (r, segments) => {
        const text = render(segments);
        expect(compileFieldPath(text, rootKeys)(r)).toEqual(compileFieldPath(text)(r));
      }),
      { numRuns: 3000 },
    );
  });

  it('names the keys it read through, and those keys lead to the value read', () => {
    fc.assert(
      fc.property(input, fc.array(segment, { minLength: 1, maxLength: 4 }), (root, segments) => {
        const path = fieldPath(render(segments));
        const keys = fieldPathKeys(root, path);
        const value = compileFieldPath(path)(root);
        if (value === undefined) {
          expect(keys).toBeUndefined();
          return;
        }
        let at: unknown = root;
        for (const key of keys!) at = (at as Record<string, unknown>)[key];
        expect(at).toBe(value);
      }),
    );
  });

  it.each([
    ['a literal dotted key, as Zeek writes it', { 'id.orig_h': '10.0.0.1' }, 'id.orig_h', '10.0.0.1'],
    ['the same path, nested', { id: { orig_h: '10.0.0.1' } }, 'id.orig_h', '10.0.0.1'],
    ['a flat key inside an object (Falco)', { output_fields: { 'proc.name': 'bash' } }, 'output_fields.proc.name', 'bash'],
    ['the bracket form of it', { output_fields: { 'proc.name': 'bash' } }, 'output_fields["proc.name"]', 'bash'],
    ['single quotes', { output_fields: { 'proc.name': 'bash' } }, "output_fields['proc.name']", 'bash'],
    ['the literal key first when both exist', { 'a.b': 1, a: { b: 2 } }, 'a.b', 1],
    ['a null literal key falls back to the nested one', { 'a.b': null, a: { b: 2 } }, 'a.b', 2],
    ['a dead-end literal key falls back to a shorter one', { 'a.b': { x: 1 }, a: { b: { c: 3 } } }, 'a.b.c', 3],
    ['an index', { tags: ['x', 'y'] }, 'tags[1]', 'y'],
    ['an index written dotted', { tags: ['x', 'y'] }, 'tags.1', 'y'],
    ['a bracketed key is never split', { a: { b: 1 } }, '["a.b"]', undefined],
    ['escapes in a JSON key', { 'say "hi"': 1 }, '["say \\"hi\\""]', 1],
    ['no prototype members', {}, 'constructor', undefined],
    ['no walking into strings', { a: 'text' }, 'a.length', undefined],
  ])('%s', (_, root, path, expected) => {
    expect(compileFieldPath(path)(root)).toEqual(expected);
  });

  it.each([
    ['', 'empty path'],
    ['a..b', 'empty key at character 3'],
    ['.a', 'empty key at character 1'],
    ['a.', 'empty key at character 3'],
    ['a["b', 'an unterminated quoted key at character 2'],
    ['a["b"', 'a quoted key not followed by "]" at character 2'],
    ['a[b]', 'a "[" not followed by a quoted key or an index at character 2'],
    ['a["b"]c', '"c" after "]" at character 7'],
    ['a.["b"]', 'a dot not followed by a key at character 2'],
    ['a]', '"]" without "[" at character 2'],
    ['a["\\x"]', 'an invalid escape in a quoted key at character 2'],
  ])('rejects %j: %s', (text, message) => {
    const parsed = parseFieldPath(text);
    expect(typeof parsed === 'string' && parsed.split(';')[0]).toBe(message);
  });
});
