import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TuningConfig } from '../../src/config/tuning.js';
import type { IncidentRecord } from '../../src/incidents/index.js';
import type { TuningIncident } from '../../src/ledger/records.js';
import { formatSampling, sampleIncidents } from '../../src/tune/sampling.js';
import { TuningService } from '../../src/tune/service.js';
import { BURST_RULES } from './fixtures.js';
import { tuningWorld } from './world.js';

describe('few verdicts: the tuner\'s evidence from a reviewed sample', () => {
  it('reports the reviewed share per rule and scales the false positives removed from the reviewed removed incidents; true positives only from the confirmed ones', async () => {
    const { ledger, rulesDir } = await tuningWorld(BURST_RULES, [
      { size: 12, verdict: 'false_positive' },
      { size: 13, verdict: 'false_positive' },
      { size: 14, verdict: 'false_positive' },
      { size: 13, verdict: 'benign_positive' },
      { size: 12, verdict: null },
      { size: 13, verdict: null },
      { size: 40, verdict: 'true_positive' },
      { size: 30, verdict: 'true_positive' },
    ]);
    const service = new TuningService({ rulesDir, ledger, tuning: TuningConfig.parse({ minVerdicts: 3, maxStep: '60%' }) });
    const report = await service.report();
    expect(report.proposals).toEqual([expect.objectContaining({ ruleId: 'burst', from: 10, to: 15, falsePositiveRemoved: 3, benignPositiveRemoved: 1, unreviewedRemoved: 2, truePositiveKept: 2 })]);
    expect(report.period.days).toBe(1);
    expect(report.sampling).toEqual({
      rules: [{ ruleId: 'burst', incidents: 8, reviewed: 6, reviewedShare: 0.75 }],
      proposals: [
        {
          ruleId: 'burst',
          param: 'minCount',
          reviewedRemoved: 4,
          unreviewedRemoved: 2,
          falsePositiveRemovedPerDay: 3,
          // 3 of the 4 reviewed removed are false positives: 3 + 2 × 3/4.
          estimatedFalsePositiveRemovedPerDay: 4.5,
          falsePositiveRemovedPerDayAtMost: 5,
          // No true positive in 4 reviewed removed: at most 1 − 0.05^(1/4) of the 2 unreviewed, 95 %.
          truePositiveAmongUnreviewedAtMost: 1.05,
        },
      ],
    });
    expect(formatSampling(report.sampling!, 'text')).toMatch(/^burst +minCount +6 of 8 \(75%\) +4 \+ 2 +3 \/ 4\.5 \/ 5 +1\.05$/m);
    await ledger.close();
  });

  it('prints nothing about a sample when every incident was reviewed', () => {
    const sampling = { rules: [{ ruleId: 'r', incidents: 4, reviewed: 4, reviewedShare: 1 }], proposals: [{ ruleId: 'r', param: 'p', reviewedRemoved: 2, unreviewedRemoved: 0, falsePositiveRemovedPerDay: 2, estimatedFalsePositiveRemovedPerDay: 2, falsePositiveRemovedPerDayAtMost: 2, truePositiveAmongUnreviewedAtMost: 0 }] };
    expect(formatSampling(sampling, 'text')).toBe('');
  });
});

describe('a stratified, seeded sample of the unreviewed incidents to review', () => {
  const incidents = (ruleId: string, unreviewed: number, reviewed: number): TuningIncident[] =>
    Array.from({ length: unreviewed + reviewed }, (_, i) => ({
      record: { id: `inc-${ruleId}-${i}`, ruleId, firstSeen: `2026-11-20T10:${String(i % 60).padStart(2, '0')}:00.000Z`, title: `${ruleId} ${i}` } as IncidentRecord,
      verdict: i < unreviewed ? null : 'false_positive',
      entity: undefined,
      openingAlert: undefined,
    }));
  const ledger = [...incidents('c', 10, 5), ...incidents('a', 60, 20), ...incidents('b', 30, 0)];
  const perRule = (sample: { ruleId: string }[]) => Object.fromEntries(['a', 'b', 'c'].map((r) => [r, sample.filter((s) => s.ruleId === r).length]));

  it('splits n across the rules by their unreviewed incidents, one each first; each drawn incident stands for its rule\'s unreviewed over those drawn', () => {
    const sample = sampleIncidents(ledger, 10, 'week-48');
    // One each, then 7 more by size (59, 29, 9 left of 97): 4.26, 2.09, 0.65 → 4, 2, 0 and the largest remainder, c.
    expect(perRule(sample)).toEqual({ a: 5, b: 3, c: 2 });
    expect(sample.map((s) => s.weight)).toEqual([12, 12, 12, 12, 12, 10, 10, 10, 5, 5]);
    expect(sample.every((s) => /^inc-[abc]-\d+$/.test(s.id) && Number(s.id.split('-')[2]) < { a: 60, b: 30, c: 10 }[s.ruleId]!)).toBe(true);
    expect(perRule(sampleIncidents(ledger, 2, 'week-48'))).toEqual({ a: 1, b: 1, c: 0 });
    expect(sampleIncidents(ledger, 1000, 'week-48')).toHaveLength(100);
  });

  it('is deterministic: the same incidents and seed give the same sample, in any order; another seed another', () => {
    const sample = sampleIncidents(ledger, 10, 'week-48');
    expect(sampleIncidents([...ledger].reverse(), 10, 'week-48')).toEqual(sample);
    expect(sampleIncidents(ledger, 10, 'week-49').map((s) => s.id)).not.toEqual(sample.map((s) => s.id));
  });

  it('alertgate incidents sample N --db: the sample from the ledger, as the API draws it', async () => {
    const { ledger, db } = await tuningWorld(BURST_RULES, [
      { size: 12, verdict: 'false_positive' },
      { size: 13, verdict: null },
      { size: 14, verdict: null },
      { size: 15, verdict: null },
    ]);
    const expected = sampleIncidents(await ledger.tuningIncidents(), 2, 'round-1');
    await ledger.close();
    const cli = (...args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, '../../bin/alertgate.js'), 'incidents', 'sample', ...args, '--db', db], { encoding: 'utf8' });
    const json = cli('2', '--seed', 'round-1', '--json');
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ seed: 'round-1', incidents: expected });
    expect(expected).toHaveLength(2);
    const text = cli('2', '--seed', 'round-1');
    expect(text.stdout.trim().split('\n')).toEqual([...expected.map((i) => `${i.id}  burst  weight 1.5  ${i.firstSeen}  ${i.title}`), '2 unreviewed incidents drawn (seed round-1)']);
    expect(cli('0')).toMatchObject({ status: 1, stderr: expect.stringContaining('<n>: ') });
  });
});
