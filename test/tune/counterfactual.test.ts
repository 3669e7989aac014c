import { describe, expect, it } from 'vitest';
import { Rule } from '../../src/rules/schema.js';
import { candidateRange, firstBeyond, parsePercent } from '../../src/tune/candidates.js';
import { analyzeParams, survives, type ThresholdUse } from '../../src/tune/counterfactual.js';
import { withParam } from '../../src/tune/replay.js';
import { alert, at, rule, ruleset, runPipeline } from '../helpers.js';

const ge = (fact: string, param: string) => ({ fact, operator: 'greaterThanInclusive', value: { fact: 'params', path: `$.${param}` } });
const windowed = (conditions: unknown, params: Record<string, unknown> = { minHits: { value: 5, min: 1, max: 100, step: 1 } }, extra: Record<string, unknown> = {}) =>
  Rule.parse(
    rule({
      params,
      match: { all: [] },
      window: { groupBy: ['entities.host'], size: '10m' },
      aggregates: { hits: { kind: 'count' }, users: { kind: 'distinct', field: 'entities.user' }, bytes: { kind: 'sum', field: 'raw.bytes' } },
      conditions,
      ...extra,
    }),
  );
const use = (r: Rule, param: string) => {
  const a = analyzeParams(r).find((p) => p.param === param)!;
  if (!a.tunable) throw new Error(a.why);
  return a as ThresholdUse;
};

describe('analyzeParams', () => {
  it('finds thresholds of aggregates and says why anything else is not tunable', () => {
    const r = windowed(
      { all: [ge('hits', 'minHits'), { not: ge('users', 'minUsers') }, { fact: 'hits', operator: 'equal', value: { fact: 'params', path: '$.exact' } }, { fact: 'severity', operator: 'equal', value: { fact: 'params', path: '$.sev' } }, ge('hits', 'twice'), ge('users', 'twice')] },
      {
        minHits: { value: 5, min: 1, max: 10 },
        minUsers: { value: 2, min: 1, max: 10 },
        exact: { value: 3, min: 1, max: 10 },
        sev: { value: 1, min: 0, max: 1 },
        twice: { value: 1, min: 1, max: 10 },
        unused: { value: 1, min: 1, max: 10 },
        inMatch: { value: 1, min: 0, max: 10 },
      },
      { match: { all: [{ fact: 'severity', operator: 'notEqual', value: { fact: 'params', path: '$.inMatch' } }] } },
    );
    const byParam = Object.fromEntries(analyzeParams(r).map((a) => [a.param, a.tunable ? a.stricter : a.why]));
    expect(byParam).toEqual({
      minHits: 'raise',
      minUsers: 'used under not',
      exact: 'operator equal is not a threshold (>=, >, <=, <)',
      sev: "compared with severity, which is not one of the rule's aggregates",
      twice: 'used in more than one condition',
      unused: 'not used in the conditions',
      inMatch: 'used in match (it changes what the window counts)',
    });
    const lower = windowed({ all: [{ fact: 'hits', operator: 'lessThanInclusive', value: { fact: 'params', path: '$.maxSeen' } }] }, { maxSeen: { value: 3, min: 1, max: 5 } });
    expect(analyzeParams(lower)).toEqual([{ tunable: true, param: 'maxSeen', fact: 'hits', operator: 'lessThanInclusive', stricter: 'lower' }]);
  });
});

describe('survives (from facts)', () => {
  const facts = (hits: [number, number], users: [number, number] = [1, 1]) => ({ hits: { opened: hits[0], peak: hits[1] }, users: { opened: users[0], peak: users[1] } });

  it('>=: kept while the peak reaches the value, removed past it; > one step earlier', () => {
    const r = windowed({ all: [ge('hits', 'minHits')] });
    expect(survives(r, use(r, 'minHits'), facts([5, 9]), { minHits: 5 }, 9)).toBe('kept');
    expect(survives(r, use(r, 'minHits'), facts([5, 9]), { minHits: 5 }, 10)).toBe('removed');
    const strict = windowed({ all: [{ fact: 'hits', operator: 'greaterThan', value: { fact: 'params', path: '$.minHits' } }] });
    expect(survives(strict, use(strict, 'minHits'), facts([6, 9]), { minHits: 5 }, 8)).toBe('kept');
    expect(survives(strict, use(strict, 'minHits'), facts([6, 9]), { minHits: 5 }, 9)).toBe('removed');
  });

  it('any: another threshold that held keeps it; one that never held does not; an alert field cannot tell', () => {
    const r = windowed({ any: [ge('hits', 'minHits'), ge('users', 'minUsers')] }, { minHits: { value: 5, min: 1, max: 100 }, minUsers: { value: 3, min: 1, max: 100 } });
    expect(survives(r, use(r, 'minHits'), facts([5, 6], [1, 3]), { minHits: 5, minUsers: 3 }, 10)).toBe('kept');
    expect(survives(r, use(r, 'minHits'), facts([5, 6], [1, 2]), { minHits: 5, minUsers: 3 }, 10)).toBe('removed');
    const withField = windowed({ any: [ge('hits', 'minHits'), { fact: 'severity', operator: 'equal', value: 'critical' }] });
    expect(survives(withField, use(withField, 'minHits'), facts([5, 6]), { minHits: 5 }, 10)).toBe('unknown');
  });

  it('all: a failing threshold removes; alert fields beside the tuned one do not matter once it fails', () => {
    const r = windowed({ all: [{ fact: 'severity', operator: 'in', value: ['high'] }, ge('hits', 'minHits')] });
    expect(survives(r, use(r, 'minHits'), facts([5, 6]), { minHits: 5 }, 7)).toBe('removed');
    expect(survives(r, use(r, 'minHits'), facts([5, 6]), { minHits: 5 }, 6)).toBe('kept');
  });

  it('<=: kept when the opening value still passes; below it the other alerts are unknown', () => {
    const r = windowed({ all: [{ fact: 'hits', operator: 'lessThanInclusive', value: { fact: 'params', path: '$.maxSeen' } }] }, { maxSeen: { value: 3, min: 1, max: 5 } });
    const u = use(r, 'maxSeen');
    expect(survives(r, u, { hits: { opened: 2, peak: 3 } }, { maxSeen: 3 }, 2)).toBe('kept');
    expect(survives(r, u, { hits: { opened: 2, peak: 3 } }, { maxSeen: 3 }, 1)).toBe('unknown');
  });

  it('facts the incident does not have are unknown', () => {
    const r = windowed({ all: [ge('hits', 'minHits')] });
    expect(survives(r, use(r, 'minHits'), {}, { minHits: 5 }, 6)).toBe('unknown');
  });

  it('an all of two peaks reached at different alerts is not taken for one alert that reached both', async () => {
    // Every alert that fired did so on users >= 3; hits peaked at 4 and bytes at 2010, never at one alert.
    const files = {
      'r.yaml': rule({
        params: { minUsers: { value: 3, min: 1, max: 10, step: 1 } },
        match: { all: [] },
        window: { groupBy: ['entities.host'], size: '10m' },
        aggregates: { hits: { kind: 'count' }, users: { kind: 'distinct', field: 'entities.user' }, bytes: { kind: 'sum', field: 'raw.bytes' } },
        conditions: { any: [ge('users', 'minUsers'), { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: 4 }, { fact: 'bytes', operator: 'greaterThanInclusive', value: 1500 }] }] },
        incident: { groupBy: ['entities.host'], window: '1h' },
      }),
    };
    const set = await ruleset(files);
    const a = (id: string, minute: number, user: string, bytes: number) => alert({ id, time: at(minute), entities: { host: 'h', user }, raw: { bytes } });
    const alerts = [a('a1', 0, 'u1', 1000), a('a2', 0.02, 'u2', 1000), a('a3', 0.04, 'u3', 10), a('b1', 11, 'u1', 10), a('b2', 11.02, 'u2', 10), a('b3', 11.04, 'u3', 10), a('b4', 11.06, 'u3', 10)];
    const [incident] = runPipeline(set, alerts).incidents;
    expect(incident!.facts).toEqual({ hits: { opened: 3, peak: 4 }, users: { opened: 3, peak: 3 }, bytes: { opened: 2010, peak: 2010 } });
    const compiled = set.promoteRules[0]!;
    expect(survives(compiled.rule, use(compiled.rule, 'minUsers'), incident!.facts, compiled.params, 4)).toBe('unknown');
    expect(runPipeline(withParam(set, 'r1', 'minUsers', 4), alerts).incidents).toEqual([]);
  });
});

describe('candidate values', () => {
  const param = (value: number, min: number, max: number, step?: number) => ({ value, min, max, ...(step !== undefined ? { step } : {}) });

  it('moves within bounds, grid and max step; none when already at the bound', () => {
    expect(candidateRange(param(20, 5, 200, 5), 'raise', 0.5)).toMatchObject({ nearest: 25, furthest: 30 });
    expect(candidateRange(param(20, 5, 24, 5), 'raise', 0.5)).toBeUndefined();
    expect(candidateRange(param(190, 5, 200, 5), 'raise', 0.5)).toMatchObject({ nearest: 195, furthest: 200 });
    expect(candidateRange(param(3, 1, 5, 1), 'lower', 0.5)).toMatchObject({ nearest: 2, furthest: 2 });
    expect(candidateRange(param(1, 1, 5, 1), 'lower', 0.5)).toBeUndefined();
    // Value 0: the share is of the bounds' width.
    expect(candidateRange(param(0, 0, 10, 1), 'raise', 0.5)).toMatchObject({ nearest: 1, furthest: 5 });
    // Decimal steps land on clean values.
    const decimal = param(0.3, 0.1, 1, 0.1);
    expect([0.35, 0.45, 0.5].map((v) => firstBeyond(decimal, candidateRange(decimal, 'raise', 1)!, v, false))).toEqual([0.4, 0.5, 0.6]);
  });

  it('firstBeyond snaps a breakpoint to the grid in the stricter direction', () => {
    const p = param(20, 5, 200, 5);
    const range = candidateRange(p, 'raise', 1)!;
    expect(firstBeyond(p, range, 27, false)).toBe(30);
    expect(firstBeyond(p, range, 30, false)).toBe(35);
    expect(firstBeyond(p, range, 30, true)).toBe(30);
    expect(firstBeyond(p, range, 12, false)).toBe(25);
    expect(firstBeyond(p, range, 40, false)).toBe(undefined);
    expect(parsePercent('50%')).toBe(0.5);
    expect(() => parsePercent('50')).toThrow(/percentage/);
  });
});
