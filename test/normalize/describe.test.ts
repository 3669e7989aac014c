import { describe, expect, it } from 'vitest';
import { jsonType, quote, toPointer } from '../../src/normalize/describe.js';

describe('toPointer', () => {
  it.each([
    [[], '/'],
    [['time'], '/time'],
    [['alert', 'signature'], '/alert/signature'],
    [['tags', 2], '/tags/2'],
    [['a/b', 'm~n'], '/a~1b/m~0n'],
  ])('%j → %s', (path, pointer) => {
    expect(toPointer(path)).toBe(pointer);
  });
});

describe('quote', () => {
  it('writes values as JSON', () => {
    expect(quote('yesterday')).toBe('"yesterday"');
    expect(quote(4)).toBe('4');
    expect(quote({ a: 1 })).toBe('{"a":1}');
    expect(quote(undefined)).toBe('undefined');
  });

  it('cuts long values', () => {
    expect(quote('x'.repeat(500))).toBe(`"${'x'.repeat(79)}…`);
  });
});

describe('jsonType', () => {
  it.each([
    [null, 'null'],
    [[1], 'array'],
    [{}, 'object'],
    ['s', 'string'],
    [1, 'number'],
    [false, 'boolean'],
  ])('%j is %s', (value, type) => {
    expect(jsonType(value)).toBe(type);
  });
});
