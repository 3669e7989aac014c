import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowStore, type AggregateKind, type AggregateValue } from '../../src/state/index.js';
import { ReferenceWindows } from './reference-windows.js';

const kinds = (...k: AggregateKind[]) => k.map((kind) => ({ kind }));

const valueArb = fc.oneof(fc.constant(undefined), fc.constantFrom('u1', 'u2', 'u3'), fc.integer({ min: -5, max: 5 }));
const stepArb = fc.record({
  key: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
  forward: fc.oneof(fc.constant(0), fc.nat(8)),
  back: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(30) }),
  values: fc.array(valueArb, { minLength: 3, maxLength: 3 }),
});

describe('WindowStore memory bounds say when they lose state', () => {
  it('every answer not marked lossy is exact, under maxKeys, maxEvents and maxEventsPerKey; the bounds hold', () => {
    fc.assert(
      fc.property(
        fc.record({
          sizeMs: fc.integer({ min: 5, max: 60 }),
          latenessMs: fc.integer({ min: 0, max: 30 }),
          maxKeys: fc.integer({ min: 1, max: 4 }),
          maxEvents: fc.integer({ min: 1, max: 30 }),
          maxEventsPerKey: fc.integer({ min: 1, max: 12 }),
          kinds: fc.array(fc.constantFrom<AggregateKind>('count', 'distinct', 'sum'), { minLength: 1, maxLength: 3 }),
          steps: fc.array(stepArb, { minLength: 1, maxLength: 300, size: 'max' }),
        }),
        (s) => {
          const store = new WindowStore({ sizeMs: s.sizeMs, allowedLatenessMs: s.latenessMs, maxKeys: s.maxKeys, maxEvents: s.maxEvents, maxEventsPerKey: s.maxEventsPerKey, aggregates: kinds(...s.kinds) });
          const reference = new ReferenceWindows(s.sizeMs, s.latenessMs, s.kinds);
          const out = new Float64Array(s.kinds.length);
          let clock = 1_000;
          let lossy = 0;
          for (const step of s.steps) {
            clock += step.forward;
            const values = step.values.slice(0, s.kinds.length);
            const verdict = store.observe(step.key, clock - step.back, values, out);
            const want = reference.observe(step.key, clock - step.back, values);
            expect(verdict).toBe(want.verdict);
            if (store.lossy) lossy++;
            // Sums can read high or low once events are gone; counts and distinct counts only low.
            else expect([...out]).toEqual(want.out);
            const stats = store.stats();
            expect(stats.keys).toBeLessThanOrEqual(s.maxKeys);
            expect(stats.events).toBeLessThanOrEqual(Math.max(s.maxEvents, 1));
          }
          expect(store.stats().lossyObservations).toBe(lossy);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('with more active keys than maxKeys, every count reads 1 and says so (the 1M-keys case, scaled down)', () => {
    const store = new WindowStore({ sizeMs: 60_000, allowedLatenessMs: 0, maxKeys: 10, aggregates: kinds('count') });
    const out = new Float64Array(1);
    const answers: { count: number; lossy: boolean }[] = [];
    // 40 sources, each seen 5 times a second apart: all within the window, never more than 10 held.
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 40; k++) {
        store.observe(`10.0.0.${k}`, round * 1_000 + k, [], out);
        answers.push({ count: out[0]!, lossy: store.lossy });
      }
    }
    expect(answers.every((a) => a.count === 1)).toBe(true);
    expect(answers.slice(0, 40).some((a) => a.lossy)).toBe(false);
    expect(answers.slice(40).every((a) => a.lossy)).toBe(true);
    expect(store.stats()).toMatchObject({ keys: 10, overflowEvictions: 190, lossyObservations: 160 });
  });

  it('a key holding more events than maxEventsPerKey drops its oldest: memory bounded, counts capped and marked lossy', () => {
    const store = new WindowStore({ sizeMs: 3_600_000, allowedLatenessMs: 0, maxKeys: 10, maxEventsPerKey: 500, aggregates: kinds('count', 'distinct') });
    const out = new Float64Array(2);
    const values: AggregateValue[] = [undefined, undefined];
    let lossy = 0;
    for (let i = 0; i < 2_000; i++) {
      values[1] = `port-${i % 700}`;
      store.observe('scanner', i, values, out);
      if (store.lossy) lossy++;
    }
    expect(out[0]).toBe(500);
    expect(out[1]).toBe(500);
    expect(lossy).toBe(1_500);
    expect(store.stats()).toMatchObject({ keys: 1, events: 500, droppedEvents: 1_500 });
    // Once the dropped events would have left the window anyway, the key's counts are exact again.
    store.observe('scanner', 2_000 + 3_600_000, values, out);
    expect(out[0]).toBe(1);
    expect(store.lossy).toBe(false);
  });

  it('maxEvents bounds the events of all keys together: at it a key drops its own oldest, so a busy key cannot take a quiet key\'s', () => {
    const store = new WindowStore({ sizeMs: 3_600_000, allowedLatenessMs: 0, maxKeys: 100, maxEvents: 100, aggregates: kinds('count') });
    const out = new Float64Array(1);
    for (let i = 0; i < 10; i++) store.observe('quiet', i, [], out);
    expect(store.lossy).toBe(false);
    for (let i = 0; i < 1_000; i++) store.observe('busy', 100 + i, [], out);
    expect(store.stats().events).toBe(100);
    expect(out[0]).toBe(90);
    expect(store.lossy).toBe(true);
    // The quiet key still has its 10: recording an 11th at the bound drops its own first.
    store.observe('quiet', 5_000, [], out);
    expect([out[0], store.lossy]).toEqual([10, true]);
    expect(store.stats()).toMatchObject({ events: 100, droppedEvents: 911 });
  });

  it('a snapshot keeps what was lost: a restored store still marks the same answers lossy', () => {
    const options = { sizeMs: 60_000, allowedLatenessMs: 0, maxKeys: 2, aggregates: kinds('count') };
    const store = new WindowStore(options);
    const out = new Float64Array(1);
    for (const [key, t] of [['a', 0], ['b', 1], ['c', 2]] as const) store.observe(key, t, [], out);
    const restored = new WindowStore(options);
    restored.restore(JSON.parse(JSON.stringify(store.snapshot())));
    store.observe('a', 3, [], out);
    const original = [out[0], store.lossy];
    restored.observe('a', 3, [], out);
    expect([out[0], restored.lossy]).toEqual(original);
    expect(original).toEqual([1, true]);
  });
});
