import { describe, expect, it } from 'vitest';
import { FeedbackLine } from '../../src/feedback/feedback.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { inSample, simulatedVerdicts } from '../../src/eval/analyst.js';
import { EvalLabels } from '../../src/eval/labels.js';
import { evaluateLines } from '../../src/eval/run-eval.js';
import { ruleset } from '../helpers.js';

const normalize = createNormalizer({ format: 'canonical' });

/** One rule promoting every alert named "bad" (incidents per host), one suppressing "quiet". */
const rules = {
  'rules.yaml': [
    { id: 'bad-name', version: 1, title: 'bad', owner: 't', severity: 'high', category: 'other', decision: 'promote', conditions: { all: [{ fact: 'name', operator: 'equal', value: 'bad' }] }, incident: { groupBy: ['entities.host'], window: '1h' } },
    { id: 'quiet', version: 1, title: 'quiet', owner: 't', severity: 'low', category: 'other', decision: 'suppress', conditions: { all: [{ fact: 'name', operator: 'equal', value: 'quiet' }] } },
  ],
};

function lines(alerts: { id: string; at: string; name: string; host: string }[]) {
  return alerts.map((a, i) => ({ line: i + 1, text: JSON.stringify({ id: a.id, time: `2026-11-20T${a.at}:00Z`, source: 'ids', name: a.name, severity: 'medium', entities: { host: a.host } }) }));
}

const labels = (attackAlerts: Record<string, string>) =>
  EvalLabels.parse({
    from: '2026-11-20T00:00:00Z',
    to: '2026-11-22T00:00:00Z',
    attacks: [{ id: 'a1', title: 'intrusion', phases: [{ id: 'a1.scan', title: 'scan', alerts: 1 }, { id: 'a1.shell', title: 'shell', alerts: 1 }, { id: 'a1.exfil', title: 'exfil', alerts: 1 }] }],
    attackAlerts,
  });

describe('alertgate eval: scoring a run against labels', () => {
  const alerts = lines([
    { id: 'n1', at: '01:00', name: 'bad', host: 'h1' }, // noise: an incident without attack-caused alerts
    { id: 'n2', at: '01:10', name: 'bad', host: 'h1' },
    { id: 'x1', at: '05:00', name: 'bad', host: 'h2' }, // the scan phase, promoted
    { id: 'x2', at: '05:05', name: 'quiet', host: 'h2' }, // the shell phase, suppressed: not covered
    { id: 'x3', at: '05:06', name: 'benign', host: 'h2' }, // passes
    { id: 'n3', at: '09:00', name: 'bad', host: 'h3' },
  ]);

  it('counts an incident as a false positive when none of its alerts is attack-caused, per day of the labelled period', async () => {
    const report = evaluateLines(alerts, { ruleset: await ruleset(rules), normalize, labels: labels({ x1: 'a1.scan', x2: 'a1.shell' }), cases: { mergeBy: [], windowMs: 0 } }).report();
    expect(report.period.days).toBe(2);
    expect(report.incidents).toBe(3);
    expect(report.falsePositiveIncidents).toBe(2);
    expect(report.falsePositivePerDay).toBe(1);
    expect(report.incidentsPerDay).toBe(1.5);
    expect(report.rules).toEqual([{ ruleId: 'bad-name', incidents: 3, falsePositiveIncidents: 2, incidentsPerDay: 1.5, falsePositivePerDay: 1, phasesCovered: 1, alertsPromoted: 4, attackAlertsPromoted: 1 }]);
  });

  it('covers a phase only when one of its attack-caused alerts is promoted into an incident, and scores only phases with alerts in the input', async () => {
    const report = evaluateLines(alerts, { ruleset: await ruleset(rules), normalize, labels: labels({ x1: 'a1.scan', x2: 'a1.shell' }), cases: { mergeBy: [], windowMs: 0 } }).report();
    // a1.exfil has no alert in the input: not scored.
    expect(report.phases).toBe(2);
    expect(report.phasesCovered).toBe(1);
    expect(report.phaseCoverage).toBe(0.5);
    expect(report.attacks[0]!.phases.map((p) => [p.id, p.covered, p.coveredBy])).toEqual([
      ['a1.scan', true, ['bad-name']],
      ['a1.shell', false, []],
    ]);
  });

  it('counts cases: a case is a false positive when none of its incidents holds an attack-caused alert', async () => {
    const merged = lines([
      { id: 'n1', at: '01:00', name: 'bad', host: 'h1' },
      { id: 'x1', at: '05:00', name: 'bad', host: 'h2' },
    ]);
    const scorer = evaluateLines(merged, { ruleset: await ruleset(rules), normalize, labels: labels({ x1: 'a1.scan' }), cases: { mergeBy: ['host'], windowMs: 3_600_000 } });
    const report = scorer.report();
    expect([report.cases, report.falsePositiveCases]).toEqual([2, 1]);
  });

  it('refuses labels that name a phase no attack lists, naming the alert', () => {
    const parsed = EvalLabels.safeParse({ from: '2026-11-20T00:00:00Z', to: '2026-11-21T00:00:00Z', attacks: [], attackAlerts: { x1: 'a9.nope' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]).toMatchObject({ path: ['attackAlerts', 'x1'], message: 'names phase "a9.nope", which no attack lists' });
  });
});

describe('the simulated analyst', () => {
  it('samples by incident id: the same incident is always in or out, and a larger share samples a superset', () => {
    const ids = Array.from({ length: 400 }, (_, i) => `inc-${i.toString(16).padStart(24, '0')}`);
    const fifth = ids.filter((id) => inSample(id, 0.2));
    const half = ids.filter((id) => inSample(id, 0.5));
    expect(fifth.every((id) => half.includes(id))).toBe(true);
    expect(fifth.length).toBeGreaterThan(40);
    expect(fifth.length).toBeLessThan(120);
    expect(ids.filter((id) => inSample(id, 0.2))).toEqual(fifth);
  });

  it('writes importable feedback: true positive for an incident with attack-caused alerts, false positive otherwise', async () => {
    const alerts = lines([
      { id: 'n1', at: '01:00', name: 'bad', host: 'h1' },
      { id: 'x1', at: '05:00', name: 'bad', host: 'h2' },
    ]);
    const scorer = evaluateLines(alerts, { ruleset: await ruleset(rules), normalize, labels: labels({ x1: 'a1.scan' }), cases: { mergeBy: [], windowMs: 0 } });
    const verdicts = simulatedVerdicts(scorer.incidents.values(), 1);
    expect(verdicts.map((v) => FeedbackLine.parse(v).verdict)).toEqual(['false_positive', 'true_positive']);
    expect(verdicts[1]!.reason).toBe('attack-caused alerts of a1.scan');
    expect(simulatedVerdicts(scorer.incidents.values(), 0)).toEqual([]);
  });
});

describe('alertgate eval --warmup', () => {
  it('leaves out incidents opened during the warm-up, even as alerts join them later, and the days it covers', async () => {
    const alerts = lines([
      { id: 'w1', at: '01:00', name: 'bad', host: 'h1' }, // opens an incident in the warm-up
      { id: 'w2', at: '03:30', name: 'bad', host: 'h1' }, // after the warm-up and more than 1h after w1: a new incident, scored
      { id: 'x1', at: '02:30', name: 'bad', host: 'h2' }, // attack-caused, in the warm-up: its phase is not scored
    ]);
    const report = evaluateLines(alerts, { ruleset: await ruleset(rules), normalize, labels: labels({ x1: 'a1.scan' }), cases: { mergeBy: [], windowMs: 0 }, warmupMs: 3 * 3_600_000 }).report();
    expect(report.period).toMatchObject({ from: '2026-11-20T03:00:00.000Z', warmup: '3h' });
    expect(report.period.days).toBe(1.88);
    expect(report.incidents).toBe(1);
    expect(report.falsePositiveIncidents).toBe(1);
    expect(report.phases).toBe(0);
  });

  it('does not score alerts that join a warm-up incident after the warm-up', async () => {
    const alerts = lines([
      { id: 'w1', at: '02:30', name: 'bad', host: 'h1' },
      { id: 'x1', at: '03:10', name: 'bad', host: 'h1' }, // joins w1's incident (within its 1h gap)
    ]);
    const scorer = evaluateLines(alerts, { ruleset: await ruleset(rules), normalize, labels: labels({ x1: 'a1.scan' }), cases: { mergeBy: [], windowMs: 0 }, warmupMs: 3 * 3_600_000 });
    const report = scorer.report();
    expect([report.incidents, report.phases, report.phasesCovered]).toEqual([0, 1, 0]);
    expect(simulatedVerdicts(scorer.incidents.values(), 1)).toEqual([]);
  });
});
