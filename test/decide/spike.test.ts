import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BaselineStore } from '../../src/state/index.js';
import { alert, at, problemsOf, rule, ruleset, runPipeline } from '../helpers.js';
import { formatProblem } from '../../src/rules/problems.js';
import { expectContinuesAfterRestore } from '../state/continuation.js';

/** Alerts per host per hour against the 3 hours before: promote at five times the usual rate. */
const HOST_SPIKE = rule({
  id: 'host-spike',
  match: { all: [] },
  window: { groupBy: ['entities.host'], size: '1h' },
  aggregates: { surge: { kind: 'spike', periods: 3, where: { all: [{ fact: 'severity', operator: 'notEqual', value: 'low' }] } } },
  conditions: { all: [{ fact: 'surge', operator: 'greaterThanInclusive', value: 5 }] },
});

const on = (id: string, minute: number, host: string, severity = 'medium') => alert({ id, time: at(minute), severity, entities: { host } });
/** `n` alerts spread over hour `hour` (from 10:00). */
const hourOf = (host: string, hour: number, n: number, severity?: string) => Array.from({ length: n }, (_, i) => on(`${host}-${hour}-${i + 1}`, hour * 60 + i * Math.floor(60 / n), host, severity));

describe('spike aggregates', () => {
  it('fires when a host sends five times its usual hourly rate; a host without 3 hours of history is not a spike', async () => {
    const { decisions } = runPipeline(await ruleset({ 'r.yaml': HOST_SPIKE }), [
      ...hourOf('web', 0, 2),
      ...hourOf('web', 1, 2),
      ...hourOf('web', 2, 2, 'low'), // not counted: the baseline is (2 + 2 + 0) / 3
      ...hourOf('web', 3, 8),
      ...hourOf('new', 3, 12).map((a) => ({ ...a, time: at(3 * 60 + 59) })),
    ]);
    const byId = new Map(decisions.map((d) => [d.alertId, d]));
    const surge = (id: string) => (byId.get(id)!.explanation.aggregates ?? byId.get(id)!.explanation.nearMisses![0]!.aggregates).surge;
    expect(surge('web-1-2')).toBe(0); // 1 hour of history
    expect(surge('web-3-1')).toBeCloseTo(1 / (4 / 3));
    expect(byId.get('web-3-6')!.decision).toBe('pass');
    expect(surge('web-3-7')).toBeCloseTo(7 / (4 / 3));
    expect(byId.get('web-3-7')!.decision).toBe('promote');
    expect(surge('new-3-12')).toBe(0);
    expect(byId.get('new-3-12')!.decision).toBe('pass');
  });

  it('two spike aggregates in one rule, or periods out of bounds, are located problems', async () => {
    const problems = await problemsOf({
      'r.yaml': rule({
        match: { all: [] },
        window: { groupBy: ['entities.host'], size: '1h' },
        aggregates: { a: { kind: 'spike', periods: 3 }, b: { kind: 'spike', periods: 0 } },
        conditions: { all: [] },
      }),
    });
    const lines = problems.map(formatProblem);
    expect(lines).toContainEqual(expect.stringMatching(/\/aggregates\/b\/periods: /));
  });
});

/** The reference: over the alerts so far, this key's count in the alert's period over the mean of the `periods` before. */
function reference(events: readonly { key: string; t: number }[], i: number, periodMs: number, periods: number): number {
  const { key, t } = events[i]!;
  const mine = events.slice(0, i + 1).filter((e) => e.key === key);
  const period = Math.floor(t / periodMs);
  const first = Math.min(...mine.map((e) => Math.floor(e.t / periodMs)));
  // Dropped after `periods` silent periods: its history starts again after the gap.
  let start = first;
  const periodsSeen = [...new Set(mine.map((e) => Math.floor(e.t / periodMs)))].sort((a, b) => a - b);
  for (let k = 1; k < periodsSeen.length; k++) if (periodsSeen[k]! - periodsSeen[k - 1]! > periods) start = periodsSeen[k]!;
  if (start > period - periods) return 0;
  const current = mine.filter((e) => Math.floor(e.t / periodMs) === period).length;
  const before = mine.filter((e) => {
    const p = Math.floor(e.t / periodMs);
    return p < period && p >= period - periods;
  }).length;
  return current / Math.max(1, before / periods);
}

describe('BaselineStore', () => {
  const stream = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 7 }), key: fc.constantFrom('a', 'b') }), { maxLength: 60 });

  it('in order, its ratio is the count of the period over the mean of the periods before (random streams)', () => {
    fc.assert(
      fc.property(stream, fc.integer({ min: 1, max: 4 }), (items, periods) => {
        const periodMs = 10;
        const store = new BaselineStore({ periodMs, periods, maxKeys: 10 });
        let t = 0;
        const events = items.map(({ gap, key }) => ({ key, t: (t += gap) }));
        events.forEach((e, i) => expect(store.observe(e.key, e.t, true, true)).toBeCloseTo(reference(events, i, periodMs, periods), 9));
      }),
      { numRuns: 300 },
    );
  });

  it('a snapshot restored into a fresh store continues exactly', () => {
    fc.assert(
      fc.property(stream, fc.nat(), (items, cut) => {
        const options = { periodMs: 10, periods: 2, maxKeys: 1 };
        let t = 0;
        const events = items.map(({ gap, key }) => ({ key, t: (t += gap) }));
        expectContinuesAfterRestore(() => new BaselineStore(options), events, cut, (store, e) => store.observe(e.key, e.t, e.t % 3 !== 0, true));
      }),
      { numRuns: 300 },
    );
  });
});
