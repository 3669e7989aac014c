import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileValueMap, valueMapProblems } from '../../src/normalize/value-map.js';

describe('value maps', () => {
  const ecs = compileValueMap({ '0-21': 'low', '22-47': 'medium', '48-73': 'high', '74-100': 'critical', '50': 'info' });

  it.each([
    [0, 'low'],
    [21, 'low'],
    [22, 'medium'],
    ['73', 'high'],
    [' 74 ', 'critical'],
    [100, 'critical'],
    // An exact key wins over the range around it.
    [50, 'info'],
    ['50', 'info'],
    // Between two inclusive ranges, outside all, or not a number: not in the map.
    [21.5, undefined],
    [101, undefined],
    [-1, undefined],
    ['high', undefined],
    [true, undefined],
  ])('maps %j to %j', (value, expected) => {
    expect(ecs.lookup(value)).toBe(expected);
  });

  it('reads negative and decimal bounds', () => {
    const map = compileValueMap({ '-10--1': 'below', '0-0.5': 'low', '0.75 - 1': 'high' });
    expect([-10, -1, 0, 0.5, 0.6, 0.75, 1].map((v) => map.lookup(v))).toEqual(['below', 'below', 'low', 'low', undefined, 'high', 'high']);
  });

  it('finds the one range that holds a number, whatever the key order', () => {
    const ranges = fc
      .uniqueArray(fc.integer({ min: -50, max: 50 }), { minLength: 2, maxLength: 12 })
      .map((cuts) => cuts.sort((a, b) => a - b))
      .map((cuts) => cuts.slice(1).map((high, i) => ({ low: cuts[i]! + (i === 0 ? 0 : 1), high, value: `v${i}` })).filter((r) => r.low <= r.high));
    fc.assert(
      fc.property(ranges, fc.integer({ min: -60, max: 60 }), fc.boolean(), (list, n, reversed) => {
        const entries = (reversed ? [...list].reverse() : list).map((r) => [`${r.low}-${r.high}`, r.value] as const);
        expect(valueMapProblems(entries.map(([k]) => k))).toEqual([]);
        const expected = list.find((r) => n >= r.low && n <= r.high)?.value;
        expect(compileValueMap(Object.fromEntries(entries)).lookup(n)).toBe(expected);
      }),
    );
  });

  it('names overlapping ranges and bounds the wrong way round, at their key', () => {
    expect(valueMapProblems(['0-5', '5-10', '12-8', 'low', '20-30', '25', '0-3'])).toEqual([
      { key: '5-10', message: 'overlaps the range 0-5 (both hold 5); ranges must not overlap' },
      { key: '12-8', message: "the range's low bound 12 is above its high bound 8; write 8-12" },
      { key: '0-3', message: 'overlaps the range 0-5 (both hold 0 to 3); ranges must not overlap' },
    ]);
  });
});
