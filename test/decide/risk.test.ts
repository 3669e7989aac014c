import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/rules/problems.js';
import { alert, at, problemsOf, rule, ruleset, runPipeline } from '../helpers.js';

const nameIs = (value: string) => ({ all: [{ fact: 'name', operator: 'equal', value }] });
const SCORES = [
  { where: nameIs('powershell encoded'), score: 20, description: 'T1059.001' },
  { where: { all: [{ fact: 'name', operator: 'startsWith', value: 'mimikatz' }] }, score: 60 },
  { where: { all: [{ fact: 'source', operator: 'equal', value: 'edr' }] }, score: 5 },
  { where: nameIs('patch agent'), score: -10 },
];

/** Risk per host over an hour: promote once it reaches 100 (Splunk's risk incident rule, usually over a day). */
const HOST_RISK = rule({
  id: 'host-risk',
  match: { all: [] },
  window: { groupBy: ['entities.host'], size: '1h' },
  aggregates: { risk: { kind: 'risk', scores: SCORES } },
  conditions: { all: [{ fact: 'risk', operator: 'greaterThanInclusive', value: 100 }] },
});

const on = (id: string, minute: number, name: string, source = 'wazuh', host = 'ws-17') => alert({ id, time: at(minute), name, source, entities: { host } });
const riskOf = (d: { explanation: { aggregates?: Record<string, number>; nearMisses?: { aggregates: Record<string, number> }[] } }) =>
  (d.explanation.aggregates ?? d.explanation.nearMisses?.[0]?.aggregates)?.risk;

describe('risk aggregates', () => {
  it('adds the scores of every entry an alert fits, per entity, and fires at the threshold', async () => {
    const { decisions } = runPipeline(await ruleset({ 'r.yaml': HOST_RISK }), [
      on('ps', 0, 'powershell encoded', 'edr'), // 20 + 5
      on('noise', 10, 'something else'), // 0
      on('patch', 20, 'patch agent'), // −10
      on('other-host', 30, 'mimikatz sekurlsa', 'edr', 'ws-99'), // another entity: 65 there
      on('mimi', 40, 'mimikatz sekurlsa', 'edr'), // 60 + 5 → 80
      on('ps-2', 50, 'powershell encoded', 'edr'), // 25 → 105: promote
      on('later', 95, 'powershell encoded'), // an hour on, ps, noise and patch are out: mimi 65 + ps-2 25 + 20
    ]);
    expect(decisions.map((d) => [d.alertId, d.decision, riskOf(d)])).toEqual([
      ['ps', 'pass', 25],
      ['noise', 'pass', 25],
      ['patch', 'pass', 15],
      ['other-host', 'pass', 65],
      ['mimi', 'pass', 80],
      ['ps-2', 'promote', 105],
      ['later', 'promote', 110],
    ]);
  });

  it('the risk of an entity is the sum of its in-window alerts\' scores (random streams)', async () => {
    const set = await ruleset({ 'r.yaml': { ...HOST_RISK, window: { groupBy: ['entities.host'], size: '30m', allowedLateness: '0ms' } } });
    const names = ['powershell encoded', 'mimikatz x', 'patch agent', 'other'];
    const scoreOf = (name: string, source: string) =>
      (name === 'powershell encoded' ? 20 : 0) + (name.startsWith('mimikatz') ? 60 : 0) + (source === 'edr' ? 5 : 0) + (name === 'patch agent' ? -10 : 0);
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 15 }), name: fc.constantFrom(...names), source: fc.constantFrom('edr', 'wazuh'), host: fc.constantFrom('a', 'b') }), { maxLength: 40 }),
        (items) => {
          let minute = 0;
          const alerts = items.map((it, i) => ({ ...it, id: `a${i}`, minute: (minute += it.gap) }));
          const { decisions } = runPipeline(set, alerts.map((a) => on(a.id, a.minute, a.name, a.source, a.host)));
          alerts.forEach((a, i) => {
            // The alerts decided so far (this one included) of its entity, within the window.
            const expected = alerts.slice(0, i + 1).filter((b) => b.host === a.host && b.minute > a.minute - 30 && b.minute <= a.minute).reduce((sum, b) => sum + scoreOf(b.name, b.source), 0);
            expect(riskOf(decisions[i]!)).toBe(expected);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('problems are located under the score entry', async () => {
    const problems = await problemsOf({
      'r.yaml': rule({
        match: { all: [] },
        window: { groupBy: ['entities.host'], size: '1h' },
        aggregates: { risk: { kind: 'risk', scores: [{ where: nameIs('x'), score: 10 }, { where: { all: [{ fact: 'nmae', operator: 'equal', value: 'x' }] }, score: 5 }, { where: nameIs('y'), score: 'high' }] } },
        conditions: { all: [] },
      }),
    });
    const lines = problems.map(formatProblem);
    expect(lines).toContainEqual(expect.stringMatching(/\/aggregates\/risk\/scores\/2\/score: /));
    expect(lines).toContainEqual(expect.stringMatching(/\/aggregates\/risk\/scores\/1\/where\/all\/0\/fact: unknown fact "nmae"/));
  });
});
