import { describe, expect, it } from 'vitest';
import type { TuningIncident } from '../../src/ledger/records.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { formatReport } from '../../src/tune/format.js';
import { ReplayEvaluator } from '../../src/tune/replay.js';
import { tune } from '../../src/tune/tuner.js';
import { alert, at, rule, ruleset, runPipeline } from '../helpers.js';

/** Promotes from the 3rd alert of a host in 10 minutes; one incident per host and half hour. */
const BURST = {
  'burst.yaml': rule({
    id: 'burst',
    match: { all: [] },
    window: { groupBy: ['entities.host'], size: '10m' },
    aggregates: { hits: { kind: 'count' } },
    conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: 3 }] },
    incident: { groupBy: ['entities.host'], window: '30m' },
  }),
};

type Burst = { host: string; names: string[]; verdict: 'true_positive' | 'false_positive' };

/** Three false-positive hosts whose bursts are all "Backup upload" (an hour apart), then the given true positives. */
function bursts(truePositives: Burst[]): Burst[] {
  const backup = ['Backup upload', 'Backup upload', 'Backup upload'];
  return [{ host: 'fp-a', names: backup, verdict: 'false_positive' }, { host: 'fp-b', names: backup, verdict: 'false_positive' }, { host: 'fp-c', names: backup, verdict: 'false_positive' }, ...truePositives];
}

async function scenario(list: Burst[], replay: boolean) {
  const set = await ruleset(BURST);
  const alerts = list.flatMap((b, i) => b.names.map((name, k) => alert({ id: `${b.host}-${k}`, name, time: at(i * 60 + k), entities: { host: b.host, src_ip: '10.0.0.9' } })));
  const byId = new Map(alerts.map((a) => [a.id as string, a]));
  const { incidents } = runPipeline(set, alerts);
  const tuning: TuningIncident[] = incidents.map((record) => {
    const opening = byId.get(record.alertIds[0]!)!;
    return {
      record,
      verdict: list.find((b) => b.host === record.groupKey['entities.host'])!.verdict,
      entity: undefined,
      openingAlert: { name: opening.name as string, source: 'suricata', severity: 'medium', entities: opening.entities as Record<string, string> },
    };
  });
  return tune({
    ruleset: set,
    incidents: tuning,
    guardrails: { minRecall: 1, maxStep: '50%', minVerdicts: 100 },
    period: { fromMs: undefined, toMs: undefined },
    replay: replay ? ReplayEvaluator.of(alerts.map((a, i) => ({ line: i + 1, text: JSON.stringify(a) })), createNormalizer({ format: 'canonical' })) : undefined,
    exceptions: { minIncidents: 3, expiresAtMs: Date.UTC(2026, 11, 31), owner: 'soc' },
  });
}

/** The true positive on tp-1: opened by "exploit", and "Backup upload" inside it (its 4th alert, promoted into it). */
const INSIDE: Burst = { host: 'tp-1', names: ['exploit', 'exploit', 'exploit', 'Backup upload'], verdict: 'true_positive' };

describe('exception proposals checked against every alert of every true-positive incident', () => {
  it('does not propose a signature that occurs inside a true-positive incident, though not as the alert that opened it (it did)', async () => {
    const report = await scenario(bursts([INSIDE]), true);
    expect(report.exceptions).toEqual([]);
    expect(report.refusedExceptions).toEqual([
      {
        id: 'tune-backup-upload',
        match: { name: 'Backup upload' },
        portability: 'carries-over',
        falsePositiveIncidents: expect.any(Array),
        reason: expect.stringMatching(/^matches alert tp-1-3, not the one that opened, true-positive incident inc-[0-9a-f]+ \(burst\)$/),
      },
    ]);
    expect(formatReport(report, 'text')).toMatch(/refused exceptions:\n.*\n {2}tune-backup-upload +carries over +name: Backup upload +matches alert tp-1-3/);
  });

  it('without the alerts, the proposal says that its check is incomplete: only each incident\'s opening alert is known', async () => {
    const report = await scenario(bursts([INSIDE]), false);
    expect(report.exceptions).toEqual([expect.objectContaining({ match: { name: 'Backup upload' }, guardCheck: { alerts: 1, unknownAlerts: 1, complete: false } })]);
    expect(formatReport(report, 'text')).toMatch(/# carries over; checked against 1 alert of true- and benign-positive incidents, 1 more not known without --replay: incomplete/);
  });

  it('with the alerts, refuses an exception that matches no true-positive alert but silences the alerts its window counted', async () => {
    // tp-2's incident holds only "exploit" (the 3rd alert): the two backups before it only fed the count.
    const report = await scenario(bursts([{ host: 'tp-2', names: ['Backup upload', 'Backup upload', 'exploit'], verdict: 'true_positive' }]), true);
    expect(report.exceptions).toEqual([]);
    expect(report.refusedExceptions).toEqual([
      expect.objectContaining({
        match: { name: 'Backup upload' },
        reason: 'across the pipeline 0 of 1 confirmed true positives survive, below min recall 1',
        pipeline: { incidentsBefore: 4, incidentsAfter: 0, falsePositiveBefore: 3, falsePositiveAfter: 0, truePositiveSurvived: 0, truePositiveTotal: 1 },
      }),
    ]);
  });

  it('accepts one that silences only false positives, with its evidence across the pipeline; a signature carries over', async () => {
    const report = await scenario(bursts([{ host: 'tp-3', names: ['exploit', 'exploit', 'exploit'], verdict: 'true_positive' }]), true);
    expect(report.exceptions).toEqual([
      expect.objectContaining({
        match: { name: 'Backup upload' },
        portability: 'carries-over',
        guardCheck: { alerts: 1, unknownAlerts: 0, complete: true },
        pipeline: { incidentsBefore: 4, incidentsAfter: 1, falsePositiveBefore: 3, falsePositiveAfter: 0, truePositiveSurvived: 1, truePositiveTotal: 1 },
      }),
    ]);
    expect(report.refusedExceptions).toEqual([]);
  });
});
