import fc from 'fast-check';
import { JSONPath } from 'jsonpath-plus';
import { describe, expect, it } from 'vitest';
import { nativeKeys } from '../../src/rules/compile/path.js';

/** nativeKeys as it reads a path with jsonpath-plus's own tokenizer (the reading the dotted fast path must equal). */
function keysByJsonpathPlus(path: string): readonly string[] | undefined {
  const tokens = JSONPath.toPathArray(path);
  const keys = tokens[0] === '$' ? tokens.slice(1) : tokens;
  return keys.every((k) => typeof k === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) ? keys : undefined;
}

const word = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
// Names that mean something to jsonpath-plus or to an object: they must not change the fast path's reading.
const tricky = fc.constantFrom('constructor', '__proto__', 'toString', 'length', 'null', 'undefined', 'string', 'array', '_', 'x0');

describe('dotted paths are read without jsonpath-plus, as jsonpath-plus reads them', () => {
  it('`$.a.b…` gives the keys jsonpath-plus tokenizes it into', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(word, tricky), { minLength: 1, maxLength: 5 }), (names) => {
        const path = `$.${names.join('.')}`;
        expect(nativeKeys(path)).toEqual(keysByJsonpathPlus(path));
      }),
      { numRuns: 500 },
    );
  });

  it('paths that are not plain dots still go through jsonpath-plus', () => {
    expect(nativeKeys('$.a[0]')).toEqual(['a', '0']);
    expect(nativeKeys("$['a.b'].c")).toEqual(['a.b', 'c']);
    expect(nativeKeys('$.a.*')).toBeUndefined();
    expect(nativeKeys('$..a')).toBeUndefined();
    expect(nativeKeys('$')).toEqual([]);
  });
});
