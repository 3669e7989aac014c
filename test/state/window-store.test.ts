import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WindowStore, type AggregateKind, type AggregateValue } from '../../src/state/index.js';
import { ReferenceWindows } from './reference-windows.js';

const kinds = (...k: AggregateKind[]) => k.map((kind) => ({ kind }));

function storeOf(sizeMs: number, allowedLatenessMs: number, aggregates: AggregateKind[], maxKeys = 1_000_000) {
  const store = new WindowStore({ sizeMs, allowedLatenessMs, maxKeys, aggregates: kinds(...aggregates) });
  const out = new Float64Array(aggregates.length);
  const observe = (key: string, timeMs: number, values: AggregateValue[] = []) => {
    const verdict = store.observe(key, timeMs, values, out);
    return { verdict, out: [...out] };
  };
  return { store, observe };
}

describe('WindowStore: window semantics', () => {
  it('counts events in (t - size, t], equal timestamps included', () => {
    const { observe } = storeOf(10, 0, ['count']);
    expect(observe('k', 0).out).toEqual([1]);
    expect(observe('k', 5).out).toEqual([2]);
    expect(observe('k', 10).out).toEqual([2]); // 0 is exactly size old: out
    expect(observe('k', 10).out).toEqual([3]);
    expect(observe('k', 15).out).toEqual([3]);
  });

  it('keeps keys apart', () => {
    const { observe } = storeOf(10, 0, ['count']);
    observe('a', 1);
    observe('a', 2);
    expect(observe('b', 3).out).toEqual([1]);
    expect(observe('a', 4).out).toEqual([3]);
  });

  it('distinct ignores undefined; sum adds finite numbers only, and every event still counts', () => {
    const { observe } = storeOf(100, 0, ['count', 'distinct', 'sum']);
    // values[i] feeds aggregate i; count takes none.
    expect(observe('k', 1, [undefined, 'u1', 5]).out).toEqual([1, 1, 5]);
    expect(observe('k', 2, [undefined, 'u1', NaN]).out).toEqual([2, 1, 5]);
    expect(observe('k', 3, [undefined, undefined, Infinity]).out).toEqual([3, 1, 5]);
    expect(observe('k', 4, [undefined, 'u2', undefined]).out).toEqual([4, 2, 5]);
    expect(observe('k', 5, [undefined, 'u3', '7']).out).toEqual([5, 3, 5]);
    expect(observe('k', 103, [undefined, 'u3', 1]).out).toEqual([3, 2, 1]); // window (3, 103]: t=4, 5, 103
  });

  it('a sum restarts from exactly 0 when its window empties, so rounding residue cannot build up', () => {
    // Lateness keeps the key from being swept as idle, so its own window does the emptying.
    const { observe } = storeOf(10, 1_000, ['sum']);
    observe('k', 1, [0.1]);
    expect(observe('k', 2, [0.2]).out).toEqual([0.1 + 0.2]);
    expect(observe('k', 100, [0]).out).toEqual([0]);
  });

  it('an out-of-order event within lateness sees only what came before it', () => {
    const { observe, store } = storeOf(10, 5, ['count', 'sum']);
    observe('k', 100, [undefined, 1]);
    expect(observe('k', 97, [undefined, 2])).toEqual({ verdict: 'ok', out: [1, 2] });
    expect(observe('k', 100, [undefined, 4]).out).toEqual([3, 7]);
    expect(store.stats().lateEvents).toBe(0);
  });

  it('refuses a late event, answers from what is retained and counts it', () => {
    const { observe, store } = storeOf(10, 5, ['count']);
    observe('k', 84);
    observe('k', 90);
    observe('k', 100);
    // Watermark 100: the horizon is 85, so 84 is not retained, and 94 < 100 - 5 is late.
    expect(observe('k', 94)).toEqual({ verdict: 'late', out: [2] }); // 90 and itself
    expect(observe('k', 95).verdict).toBe('ok'); // exactly at the lateness bound
    expect(observe('k', 99).out).toEqual([3]); // 90, 95, 99: the late 94 was not recorded
    expect(store.stats().lateEvents).toBe(1);
  });

  it('a late event of an unknown key sees just itself', () => {
    const { observe } = storeOf(10, 0, ['count', 'distinct', 'sum']);
    observe('a', 100);
    expect(observe('b', 50, [undefined, 'v', 3])).toEqual({ verdict: 'late', out: [1, 1, 3] });
  });

  it('rejects bad options and non-finite times with messages that name the problem', () => {
    expect(() => storeOf(0, 0, ['count'])).toThrow(/sizeMs/);
    expect(() => storeOf(10, -1, ['count'])).toThrow(/allowedLatenessMs/);
    expect(() => storeOf(10, 0, ['count'], 0)).toThrow(/maxKeys/);
    const { observe } = storeOf(10, 0, ['count']);
    expect(() => observe('k', Number.NaN)).toThrow(/finite/);
  });
});

describe('WindowStore: bounded memory', () => {
  it('a long in-order stream holds only the events of the window and the lateness', () => {
    const { observe, store } = storeOf(100, 20, ['count', 'distinct', 'sum']);
    for (let t = 0; t < 5_000; t++) {
      const { out } = observe('k', t, [undefined, `v${t % 7}`, 1]);
      expect(out).toEqual([Math.min(t + 1, 100), Math.min(t + 1, 7), Math.min(t + 1, 100)]);
      expect(store.stats().events).toBeLessThanOrEqual(121);
    }
  });

  it('idle keys are swept as the watermark advances', () => {
    const { observe, store } = storeOf(10, 5, ['count']);
    let most = 0;
    for (let t = 0; t < 10_000; t++) {
      observe(`key-${t}`, t);
      most = Math.max(most, store.stats().keys);
    }
    // Live keys are those of the last 15 ms; a sweep runs every (10 + 5) / 4 ms of watermark.
    expect(most).toBeLessThanOrEqual(15 + 4 + 1);
    expect(store.stats().idleEvictions).toBe(10_000 - store.stats().keys);
    expect(store.stats().overflowEvictions).toBe(0);
  });

  it('after the watermark moves past everything, a sweep leaves no keys and no events', () => {
    const { observe, store } = storeOf(10, 5, ['count', 'distinct']);
    for (let t = 0; t < 100; t++) observe(`key-${t % 13}`, t, [undefined, t]);
    store.advance(99 + 10 + 5 - 1);
    expect(store.stats().keys).toBe(1); // the key of t = 99 could still be in a window
    // Sweeps are amortized: the next one runs once the watermark moves a quarter of (size + lateness) on.
    store.advance(99 + 10 + 5 + 4);
    expect(store.stats()).toMatchObject({ keys: 0, events: 0, idleEvictions: 13 });
  });

  it('maxKeys evicts the least recently recorded key and counts it', () => {
    const { observe, store } = storeOf(1_000, 0, ['count'], 2);
    observe('a', 1);
    observe('b', 2);
    observe('a', 3); // b is now the least recently recorded
    observe('c', 4);
    expect(store.stats()).toMatchObject({ keys: 2, overflowEvictions: 1 });
    expect(observe('a', 5).out).toEqual([3]);
    expect(observe('b', 6).out).toEqual([1]); // b lost its history
    expect(store.stats().overflowEvictions).toBe(2);
  });

  it('an idle victim of the cap counts as an idle eviction', () => {
    const { observe, store } = storeOf(10, 0, ['count'], 1);
    observe('a', 1);
    observe('b', 2); // a still live
    observe('c', 50); // b idle by now
    expect(store.stats()).toMatchObject({ keys: 1, overflowEvictions: 1, idleEvictions: 1 });
  });
});

const valueArb = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom<AggregateValue>('x', 'y', '1', undefined, Number.NaN, Number.POSITIVE_INFINITY),
);

/** The stream clock moves forward by `forward`; an event is `back` ms behind it (often 0, sometimes beyond lateness). */
const stepArb = (keys: readonly string[]) =>
  fc.oneof(
    {
      weight: 9,
      arbitrary: fc.record({
        op: fc.constant('observe' as const),
        key: fc.constantFrom(...keys),
        forward: fc.oneof(fc.constant(0), fc.nat(10)),
        back: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat(60) }),
        values: fc.array(valueArb, { minLength: 4, maxLength: 4 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('advance' as const), forward: fc.nat(40) }) },
  );

const scenarioArb = (keys: readonly string[], maxSteps: number) =>
  fc.record({
    sizeMs: fc.integer({ min: 1, max: 40 }),
    latenessMs: fc.integer({ min: 0, max: 30 }),
    kinds: fc.array(fc.constantFrom<AggregateKind>('count', 'distinct', 'sum'), { minLength: 1, maxLength: 4 }),
    // size 'max': fast-check otherwise keeps arrays to a handful of steps, too short to forget or compact.
    steps: fc.array(stepArb(keys), { minLength: 1, maxLength: maxSteps, size: 'max' }),
  });
type Scenario = typeof scenarioArb extends (...a: never[]) => fc.Arbitrary<infer S> ? S : never;

type Check = (store: { verdict: string; out: number[] }, reference: { verdict: string; out: number[] }) => void;

/** Replays a scenario on a store and the reference; `check` compares each answer. */
function replay(s: Scenario, maxKeys: number, check: Check) {
  const store = new WindowStore({ sizeMs: s.sizeMs, allowedLatenessMs: s.latenessMs, maxKeys, aggregates: kinds(...s.kinds) });
  const reference = new ReferenceWindows(s.sizeMs, s.latenessMs, s.kinds);
  const clock = play(s, store, reference, 1_000, maxKeys, check);
  return { store, reference, clock };
}

/** Plays a scenario's steps on a store and the reference from `clock`; returns the clock after them. */
function play(s: Scenario, store: WindowStore, reference: ReferenceWindows, from: number, maxKeys: number, check: Check): number {
  const out = new Float64Array(s.kinds.length);
  let clock = from;
  for (const step of s.steps) {
    clock += step.forward;
    if (step.op === 'advance') {
      store.advance(clock);
      reference.advance(clock);
    } else {
      const verdict = store.observe(step.key, clock - step.back, step.values, out);
      check({ verdict, out: [...out] }, reference.observe(step.key, clock - step.back, step.values));
    }
    expect(store.stats().keys).toBeLessThanOrEqual(maxKeys);
  }
  return clock;
}

describe('WindowStore agrees with a brute-force reference', () => {
  it('on every answer and every late verdict, with idle eviction along the way', () => {
    fc.assert(
      fc.property(scenarioArb(['a', 'b', 'c', 'd'], 300), (s) => {
        const { store, reference, clock } = replay(s, 1_000_000, (got, want) => expect(got).toEqual(want));
        expect(store.stats().events).toBeGreaterThanOrEqual(reference.liveEvents());
        store.advance(clock + 2 * (s.sizeMs + s.latenessMs) + 1);
        expect(store.stats()).toMatchObject({ keys: 0, events: 0, overflowEvictions: 0 });
      }),
      { numRuns: 300 },
    );
  });

  it('on long single-key streams (forgetting and compaction)', () => {
    fc.assert(
      fc.property(scenarioArb(['k'], 1_000), (s) => {
        replay(s, 1_000_000, (got, want) => expect(got).toEqual(want));
      }),
      { numRuns: 100 },
    );
  });

  it('after rewind (a watermark moved back): as if the events after it had never come, and what the old watermark let go is gone', () => {
    fc.assert(
      fc.property(scenarioArb(['a', 'b', 'c'], 200), scenarioArb(['a', 'b', 'c'], 100), fc.nat(80), (s, more, back) => {
        const { store, reference, clock } = replay(s, 1_000_000, (got, want) => expect(got).toEqual(want));
        const to = clock - back;
        const events = store.stats().events;
        const dropped = store.rewind(to);
        reference.rewind(to);
        expect(store.watermarkMs).toBeLessThanOrEqual(to);
        expect(dropped).toBeLessThanOrEqual(events);
        expect(store.stats().events).toBe(reference.liveEvents());
        play({ ...more, kinds: s.kinds }, store, reference, to, 1_000_000, (got, want) => expect(got).toEqual(want));
      }),
      { numRuns: 300 },
    );
  });

  it('under the maxKeys cap: same verdicts, and eviction only ever forgets', () => {
    fc.assert(
      fc.property(scenarioArb(['a', 'b', 'c', 'd', 'e'], 200), fc.integer({ min: 1, max: 3 }), (s, maxKeys) => {
        replay(s, maxKeys, (got, want) => {
          expect(got.verdict).toBe(want.verdict);
          s.kinds.forEach((kind, i) => {
            if (kind !== 'sum') expect(got.out[i]).toBeLessThanOrEqual(want.out[i]!);
          });
        });
      }),
      { numRuns: 200 },
    );
  });
});
