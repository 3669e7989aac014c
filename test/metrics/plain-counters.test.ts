import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FixedHistogram } from '../../src/metrics/histogram.js';
import { OTHER_SOURCE, SourceLabels } from '../../src/metrics/source-labels.js';

describe('FixedHistogram', () => {
  it('gives each bound the number of observations at or below it, +Inf all of them, and their sum', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 12, comparator: 'SameValueZero' }),
        fc.array(fc.tuple(fc.double({ min: -2e6, max: 2e6, noNaN: true }), fc.integer({ min: 1, max: 5 })), { maxLength: 60 }),
        (unsorted, observations) => {
          const bounds = [...unsorted].sort((a, b) => a - b);
          const h = new FixedHistogram(bounds);
          for (const [value, times] of observations) h.observe(value, times);
          const expanded = observations.flatMap(([value, times]) => Array<number>(times).fill(value));
          expect(h.cumulative()).toEqual([
            ...bounds.map((le) => ({ le: String(le), count: expanded.filter((v) => v <= le).length })),
            { le: '+Inf', count: expanded.length },
          ]);
          expect(h.count).toBe(expanded.length);
          expect(h.sum).toBeCloseTo(expanded.reduce((a, b) => a + b, 0), 3);
        },
      ),
    );
  });

  it('refuses bounds that do not ascend', () => {
    expect(() => new FixedHistogram([1, 1])).toThrow(/ascend/);
  });
});

describe('SourceLabels', () => {
  it('labels the named sources and the first N others that look like names, everything else "other", each source always alike', () => {
    const source = fc.oneof(fc.constantFrom('suricata', 'zeek', 'wazuh', 'other', 'crowdstrike'), fc.string({ maxLength: 70 }));
    fc.assert(
      fc.property(fc.uniqueArray(fc.constantFrom('suricata', 'zeek', 'okta'), { maxLength: 3 }), fc.nat(5), fc.array(source, { maxLength: 200 }), (named, firstSeen, stream) => {
        const labels = new SourceLabels(named, firstSeen);
        const slotOf = new Map<string, number>();
        for (const s of stream) {
          const slot = labels.slotOf(s);
          expect(slotOf.get(s) ?? slot, s).toBe(slot);
          slotOf.set(s, slot);
          expect(labels.labels[slot]).toBe(slot === 0 ? OTHER_SOURCE : s);
        }
        for (const n of named) expect(labels.labels[labels.slotOf(n)]).toBe(n);
        expect(labels.labels.length).toBeLessThanOrEqual(SourceLabels.capacity(named, firstSeen));
        expect(new Set(labels.labels).size).toBe(labels.labels.length);
      }),
    );
  });
});
