import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/rules/problems.js';
import { SequenceStore } from '../../src/state/index.js';
import { alert, at, problemsOf, rule, ruleset, runPipeline } from '../helpers.js';
import { expectContinuesAfterRestore } from '../state/continuation.js';

const FAILED = { all: [{ fact: 'name', operator: 'equal', value: 'login failed' }] };
const SUCCEEDED = { all: [{ fact: 'name', operator: 'equal', value: 'login succeeded' }] };

/** "5 failed logins then a success from the same address within 10 minutes". */
const BRUTE_THEN_SUCCESS = rule({
  id: 'brute-then-success',
  match: { any: [FAILED, SUCCEEDED] },
  window: { groupBy: ['entities.src_ip'], size: '10m', allowedLateness: '2m' },
  aggregates: { steps: { kind: 'sequence', steps: [{ where: FAILED, count: 5 }, { where: SUCCEEDED }] } },
  conditions: {
    all: [
      { fact: 'steps', operator: 'equal', value: 2 },
      // Only on the success that completes it, not on later failures while it stays in the window.
      { fact: 'name', operator: 'equal', value: 'login succeeded' },
    ],
  },
});

const login = (id: string, minute: number, outcome: 'failed' | 'succeeded', src_ip = '198.51.100.7') =>
  alert({ id, time: at(minute), name: `login ${outcome}`, entities: { src_ip, user: 'alice' } });
const failures = (prefix: string, from: number, n: number, src_ip?: string) =>
  Array.from({ length: n }, (_, i) => login(`${prefix}${i + 1}`, from + i, 'failed', src_ip));

async function decide(alerts: readonly Record<string, unknown>[]) {
  const { decisions } = runPipeline(await ruleset({ 'r.yaml': BRUTE_THEN_SUCCESS }), alerts);
  return Object.fromEntries(decisions.map((d) => [d.alertId, d.decision]));
}

describe('sequence aggregates', () => {
  it('5 failed logins then a success from one address within 10 minutes promotes the success', async () => {
    const decided = await decide([...failures('f', 0, 5), login('ok', 6, 'succeeded')]);
    expect(decided).toMatchObject({ f5: 'pass', ok: 'promote' });
  });

  it('4 failures, a success first, another address, or more than 10 minutes end to end: no sequence', async () => {
    expect((await decide([...failures('f', 0, 4), login('ok', 5, 'succeeded')])).ok).toBe('pass');
    expect((await decide([login('ok', 0, 'succeeded'), ...failures('f', 1, 5), login('again', 20, 'failed')])).again).toBe('pass');
    expect((await decide([...failures('f', 0, 5, '203.0.113.9'), login('ok', 6, 'succeeded')])).ok).toBe('pass');
    // The first failure at minute 0 is exactly 10 minutes before the success: out of (t − 10m, t].
    expect((await decide([...failures('f', 0, 5), login('ok', 10, 'succeeded')])).ok).toBe('pass');
    expect((await decide([...failures('f', 1, 5), login('ok', 10, 'succeeded')])).ok).toBe('promote');
  });

  it('orders by event time: a failure that arrives after the success but dated before it counts for the next alert', async () => {
    const decided = await decide([
      ...failures('f', 0, 4),
      login('ok', 6, 'succeeded'), // 4 failures so far: pass
      login('f-late', 5, 'failed'), // arrives now, dated before the success (within allowedLateness)
      login('ok-2', 7, 'succeeded'),
    ]);
    expect(decided).toMatchObject({ ok: 'pass', 'f-late': 'pass', 'ok-2': 'promote' });
  });

  it('an alert later than allowedLateness is decided over what is held plus itself and not recorded, as windows do', async () => {
    const decided = await decide([
      ...failures('f', 20, 4),
      login('ok', 25, 'succeeded'),
      login('other', 30, 'failed', '192.0.2.1'), // moves the watermark to minute 30
      login('f-too-late', 24, 'failed'), // more than 2m behind: late, not recorded
      login('ok-2', 30, 'succeeded'),
    ]);
    expect(decided).toMatchObject({ ok: 'pass', 'f-too-late': 'pass', 'ok-2': 'pass' });
  });

  it('decides the same on every run of the same input, and its explanation shows the steps completed', async () => {
    const alerts = [...failures('f', 0, 5), login('ok', 6, 'succeeded'), login('f6', 7, 'failed')];
    const set = await ruleset({ 'r.yaml': BRUTE_THEN_SUCCESS });
    const first = runPipeline(set, alerts).decisions;
    expect(runPipeline(set, alerts).decisions).toEqual(first);
    const steps = first.map((d) => (d.explanation.aggregates ?? d.explanation.nearMisses?.[0]?.aggregates)?.steps);
    expect(steps).toEqual([0, 0, 0, 0, 1, 2, 2]);
  });

  it('problems are located: a step condition, a single step, two sequences in one rule', async () => {
    const problems = await problemsOf({
      'r.yaml': rule({
        match: { all: [] },
        window: { groupBy: ['entities.host'], size: '10m' },
        aggregates: {
          a: { kind: 'sequence', steps: [{ where: FAILED }, { where: { all: [{ fact: 'nmae', operator: 'equal', value: 'x' }] } }] },
          b: { kind: 'sequence', steps: [{ where: FAILED }] },
        },
        conditions: { all: [] },
      }),
    });
    const lines = problems.map(formatProblem);
    expect(lines).toContainEqual(expect.stringMatching(/\/aggregates\/b\/steps: a sequence needs at least two steps/));
    expect(lines).toContainEqual(expect.stringMatching(/\/aggregates\/b: a rule may have one sequence aggregate/));
    const other = await problemsOf({
      'r.yaml': rule({
        match: { all: [] },
        window: { groupBy: ['entities.host'], size: '10m' },
        aggregates: { a: { kind: 'sequence', steps: [{ where: FAILED }, { where: { all: [{ fact: 'nmae', operator: 'equal', value: 'x' }] } }] } },
        conditions: { all: [] },
      }),
    });
    expect(other.map(formatProblem)).toContainEqual(expect.stringMatching(/\/aggregates\/a\/steps\/1\/where\/all\/0\/fact: unknown fact "nmae"/));
  });
});

/** The reference: the most steps completed in order by some choice of events (not greedily). */
function mostSteps(masks: readonly number[], counts: readonly number[]): number {
  // best[i][s][n]: reachable after the first i events with s steps done and n events of step s taken.
  let states = new Set(['0,0']);
  for (const mask of masks) {
    const next = new Set(states);
    for (const state of states) {
      const [s, n] = state.split(',').map(Number) as [number, number];
      if (s < counts.length && (mask & (1 << s)) !== 0) next.add(n + 1 === counts[s] ? `${s + 1},0` : `${s},${n + 1}`);
    }
    states = next;
  }
  return Math.max(...[...states].map((st) => Number(st.split(',')[0])));
}

describe('SequenceStore', () => {
  it('in-order events: the greedy answer is the most steps any choice of events completes, within the window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 4 }), mask: fc.integer({ min: 0, max: 15 }) }), { maxLength: 40 }),
        (counts, events) => {
          const sizeMs = 10;
          const store = new SequenceStore({ sizeMs, allowedLatenessMs: 0, counts, maxKeys: 10, maxEventsPerKey: 1000 });
          const seen: { t: number; mask: number }[] = [];
          let t = 0;
          for (const { gap, mask } of events) {
            t += gap;
            const m = mask & ((1 << counts.length) - 1);
            seen.push({ t, mask: m });
            const inWindow = seen.filter((e) => e.t > t - sizeMs).map((e) => e.mask);
            expect(store.observe('k', t, m, true)).toBe(mostSteps(inWindow, counts));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a snapshot restored into a fresh store continues exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ t: fc.integer({ min: 0, max: 60 }), key: fc.constantFrom('a', 'b', 'c'), mask: fc.integer({ min: 0, max: 3 }) }), { maxLength: 40 }), fc.nat(), (events, cut) => {
        const options = { sizeMs: 10, allowedLatenessMs: 3, counts: [2, 1], maxKeys: 2, maxEventsPerKey: 5 };
        const sorted = [...events].sort((x, y) => x.t - y.t);
        expectContinuesAfterRestore(() => new SequenceStore(options), sorted, cut, (store, e) => store.observe(e.key, e.t, e.mask, true));
      }),
      { numRuns: 300 },
    );
  });
});
