import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hllRelativeError, WindowStore, type AggregateValue } from '../../src/state/index.js';
import { exactLimitOf } from '../../src/state/key-window.js';
import { HLL_SLICES, SlidingHll } from '../../src/state/sliding-hll.js';
import { hash32 } from '../../src/state/hash.js';
import { problemsOf, rule } from '../helpers.js';
import { ReferenceWindows } from './reference-windows.js';

const approximate = (precision = 12) => [{ kind: 'distinct' as const, approximate: { precision } }];

/** A sketch-mode store answer: n distinct values all at one time, in one key. */
function estimateOf(values: readonly string[], precision: number): number {
  const store = new WindowStore({ sizeMs: 60_000, allowedLatenessMs: 0, maxKeys: 10, maxEventsPerKey: 1_000_000, maxEvents: 1_000_000, aggregates: approximate(precision) });
  const out = new Float64Array(1);
  for (const v of values) store.observe('k', 1_000, [v], out);
  return out[0]!;
}

describe('approximate distinct counts (sliding HyperLogLog)', () => {
  it('are exact while the window holds at most 2^p/16 distinct values (property, against the exact reference)', () => {
    const limit = exactLimitOf(8);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ key: fc.constantFrom('a', 'b'), forward: fc.nat(5), back: fc.oneof(fc.constant(0), fc.nat(8)), value: fc.option(fc.integer({ min: 0, max: limit - 1 }).map((n) => `v${n}`), { nil: undefined }) }),
          { maxLength: 400, size: 'max' },
        ),
        (steps) => {
          const store = new WindowStore({ sizeMs: 40, allowedLatenessMs: 10, maxKeys: 10, aggregates: approximate(8) });
          const reference = new ReferenceWindows(40, 10, ['distinct']);
          const out = new Float64Array(1);
          let clock = 1_000;
          for (const s of steps) {
            clock += s.forward;
            const values: AggregateValue[] = [s.value];
            store.observe(s.key, clock - s.back, values, out);
            expect(out[0]).toBe(reference.observe(s.key, clock - s.back, values).out[0]);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('beyond that, stay within the documented error of exact counts (1.04/√2^p; p = 10, 12, 14)', () => {
    for (const precision of [10, 12, 14]) {
      const sigma = hllRelativeError(precision);
      const errors: number[] = [];
      for (const n of [300, 1_000, 5_000, 20_000, 100_000]) {
        for (let seed = 0; seed < 6; seed++) {
          const values = Array.from({ length: n }, (_, i) => `${seed}-198.51.${i >>> 8}.${i & 255}:${(i * 7919) % 65536}`);
          const estimate = estimateOf(values, precision);
          errors.push((estimate - n) / n);
        }
      }
      const worst = Math.max(...errors.map(Math.abs));
      const mean = errors.reduce((a, e) => a + Math.abs(e), 0) / errors.length;
      // 30 estimates: none beyond 4σ, and the mean absolute error about σ·√(2/π) ≈ 0.8σ.
      expect(worst, `p=${precision}: worst ${worst}`).toBeLessThan(4 * sigma);
      expect(mean, `p=${precision}: mean ${mean}`).toBeLessThan(1.5 * sigma);
    }
  });

  it('slide: values leave the window (counted up to an eighth of the window longer), new ones enter', () => {
    const sizeMs = 80_000;
    const store = new WindowStore({ sizeMs, allowedLatenessMs: 0, maxKeys: 10, aggregates: approximate(12) });
    const out = new Float64Array(1);
    for (let i = 0; i < 5_000; i++) store.observe('k', i, [`old-${i}`], out);
    expect(Math.abs(out[0]! - 5_000) / 5_000).toBeLessThan(4 * hllRelativeError(12));
    // Past the window and its last slice, only the new values count.
    const later = 5_000 + sizeMs + sizeMs / HLL_SLICES;
    for (let i = 0; i < 100; i++) store.observe('k', later + i, [`new-${i}`], out);
    expect(Math.abs(out[0]! - 100)).toBeLessThanOrEqual(3);
  });

  it('hold no values once they switch: memory stays fixed however many values and events', () => {
    const store = new WindowStore({ sizeMs: 3_600_000, allowedLatenessMs: 0, maxKeys: 10, aggregates: approximate(12) });
    const out = new Float64Array(1);
    for (let i = 0; i < 10_000; i++) store.observe('scanner', i, [`port-${i}`], out);
    const [key] = store.snapshot().keys;
    expect(key!.cells.every((c) => c === null)).toBe(true);
    expect(key!.sketches).toHaveLength(1);
    expect(key!.sketches![0]!.sketch.slices.length).toBeLessThanOrEqual(HLL_SLICES + 1);
  });

  it('a restored sketch continues exactly as the uninterrupted one', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2_000), fc.nat(600)), { minLength: 1, maxLength: 1_500 }), fc.nat(), (steps, cutAt) => {
        const options = { sizeMs: 1_000, allowedLatenessMs: 50, maxKeys: 10, aggregates: approximate(8) };
        const whole = new WindowStore(options);
        let cut = new WindowStore(options);
        const out = new Float64Array(1);
        const cutIndex = cutAt % steps.length;
        let t = 0;
        steps.forEach(([value, forward], i) => {
          t += forward % 7;
          whole.observe('k', t, [`v${value}`], out);
          const expected = out[0];
          if (i === cutIndex) {
            const restored = new WindowStore(options);
            restored.restore(JSON.parse(JSON.stringify(cut.snapshot())));
            cut = restored;
          }
          cut.observe('k', t, [`v${value}`], out);
          expect(out[0]).toBe(expected);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('the hash spreads values over every register and rank (MurmurHash3 reference values)', () => {
    // MurmurHash3_x86_32 of "" with seed 0 is 0; of two UTF-16 units "ab" (0x00620061 as one block).
    expect(hash32('')).toBe(0);
    expect(hash32('a')).not.toBe(hash32('b'));
    const sketch = new SlidingHll(8, 1_000);
    for (let i = 0; i < 100_000; i++) sketch.add(hash32(`x${i}`), 0);
    expect(Math.abs(sketch.estimate() - 100_000) / 100_000).toBeLessThan(4 * hllRelativeError(8));
  });

  it('rules opt in per aggregate; precision is refused without approximate', async () => {
    const base = { match: { all: [] }, window: { groupBy: ['entities.src_ip'], size: '10m' }, conditions: { all: [] } };
    const problems = await problemsOf({ 'r.yaml': rule({ ...base, aggregates: { ports: { kind: 'distinct', field: 'entities.dst_port', precision: 12 } } }) });
    expect(problems.map((p) => p.message).join('\n')).toMatch(/precision is for approximate distinct counts: add approximate: true/);
  });
});
