import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/feedback/feedback.js';
import type { TuningIncident } from '../../src/ledger/records.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { ReplayEvaluator } from '../../src/tune/replay.js';
import { formatReport } from '../../src/tune/format.js';
import { tune, type TuneInput } from '../../src/tune/tuner.js';
import { alert, at, ruleset, runPipeline } from '../helpers.js';
import { BURST_RULES } from './fixtures.js';


/** Bursts of `size` alerts on one host, an hour apart from each other; the verdict an analyst gave each. */
const BURSTS: { host: string; size: number; user: string; verdict: Verdict | null }[] = [
  { host: 'fp-1', size: 12, user: 'svc-scan', verdict: 'false_positive' },
  { host: 'fp-2', size: 13, user: 'svc-scan', verdict: 'false_positive' },
  { host: 'fp-3', size: 14, user: 'svc-scan', verdict: 'false_positive' },
  { host: 'fp-4', size: 15, user: 'svc-scan', verdict: 'false_positive' },
  { host: 'bp-1', size: 12, user: 'pentester', verdict: 'benign_positive' },
  { host: 'new-1', size: 13, user: 'x', verdict: null },
  { host: 'tp-1', size: 40, user: 'attacker', verdict: 'true_positive' },
  { host: 'tp-2', size: 13, user: 'attacker', verdict: 'true_positive' },
];

function alertsOf(bursts: typeof BURSTS) {
  return bursts.flatMap((b, i) => Array.from({ length: b.size }, (_, k) => alert({ id: `${b.host}-${k}`, time: at(i * 60 + k * 0.1), entities: { host: b.host, user: b.user } })));
}

async function scenario(bursts = BURSTS) {
  const set = await ruleset(BURST_RULES);
  const alerts = alertsOf(bursts);
  const { incidents } = runPipeline(set, alerts);
  const verdictOf = new Map(bursts.map((b) => [b.host, b.verdict]));
  const tuning: TuningIncident[] = incidents.map((record) => ({
    record,
    verdict: verdictOf.get(record.groupKey['entities.host']!) ?? null,
    // The analysts name the service account behind the false positives.
    entity: verdictOf.get(record.groupKey['entities.host']!) === 'false_positive' ? { kind: 'user', value: 'svc-scan' } : undefined,
    openingAlert: { name: 'ET SCAN test', source: 'suricata', severity: 'medium', entities: { host: record.groupKey['entities.host']!, user: bursts.find((b) => b.host === record.groupKey['entities.host'])!.user } },
  }));
  const input = (overrides: Partial<TuneInput['guardrails']> = {}, replay = false): TuneInput => ({
    ruleset: set,
    incidents: tuning,
    guardrails: { minRecall: 1, maxStep: '50%', minVerdicts: 5, ...overrides },
    period: { fromMs: undefined, toMs: undefined },
    replay: replay ? ReplayEvaluator.of(alerts.map((a, i) => ({ line: i + 1, text: JSON.stringify(a) })), createNormalizer({ format: 'canonical' })) : undefined,
    exceptions: { minIncidents: 3, expiresAtMs: Date.UTC(2026, 11, 31), owner: 'soc' },
  });
  return { input, incidents };
}

describe('tune', () => {
  it('raises a threshold as far as the true positives allow, to the nearest value that removes the most false positives', async () => {
    const { input } = await scenario();
    // The smaller TP (13 alerts) caps the threshold at 13: FP bursts of 12 go, BP 12 goes too.
    const report = tune(input());
    expect(report.rules[0]).toMatchObject({ ruleId: 'burst', incidents: 8, truePositive: 2, falsePositive: 4, benignPositive: 1, unreviewed: 1, precision: 0.3333 });
    expect(report.proposals).toEqual([
      expect.objectContaining({ ruleId: 'burst', param: 'minCount', from: 10, to: 13, falsePositiveRemoved: 1, falsePositiveTotal: 4, benignPositiveRemoved: 1, unreviewedRemoved: 0, truePositiveKept: 2, truePositiveTotal: 2, recall: 1 }),
    ]);
  });

  it('min-recall below 1 lets a change give up true positives up to that share; max step bounds it', async () => {
    const { input } = await scenario();
    const half = tune(input({ minRecall: 0.5 })).proposals[0]!;
    // 50% of 10 allows 15 at most: FPs of 12, 13 and 14 go (and the small TP).
    expect(half).toMatchObject({ to: 15, falsePositiveRemoved: 3, truePositiveKept: 1, recall: 0.5, unreviewedRemoved: 1 });
    const wide = tune(input({ minRecall: 0.5, maxStep: '100%' })).proposals[0]!;
    expect(wide).toMatchObject({ to: 16, falsePositiveRemoved: 4 });
  });

  it('changes nothing from fewer verdicts than minVerdicts, and says so', async () => {
    const { input } = await scenario();
    const report = tune(input({ minVerdicts: 8 }));
    expect(report.proposals).toEqual([]);
    expect(report.rules[0]!.note).toBe('7 verdicts, fewer than the 8 a change needs (tuning.minVerdicts, --min-verdicts)');
  });

  it('says why when the smallest step already loses a confirmed true positive', async () => {
    const { input } = await scenario(BURSTS.map((b) => (b.host === 'tp-2' ? { ...b, size: 10 } : b)));
    const report = tune(input());
    expect(report.proposals).toEqual([]);
    expect(report.rules[0]!.params[0]!.note).toBe('even the smallest step loses a confirmed true positive (min recall 1)');
  });

  it('with the alerts, the whole-pipeline check accepts the forecast when no other rule takes the alerts, with its evidence', async () => {
    const { input } = await scenario();
    const checked = tune(input({}, true));
    expect(checked.mode).toBe('pipeline');
    expect(checked.proposals.map((p) => [p.to, p.falsePositiveRemoved, p.truePositiveKept])).toEqual(tune(input()).proposals.map((p) => [p.to, p.falsePositiveRemoved, p.truePositiveKept]));
    // fp-1 (12 alerts) and bp-1 (12) no longer open an incident; the others do.
    expect(checked.proposals[0]!.pipeline).toEqual({ incidentsBefore: 8, incidentsAfter: 6, falsePositiveBefore: 4, falsePositiveAfter: 3, truePositiveSurvived: 2, truePositiveTotal: 2 });
    expect(checked.refused).toEqual([]);
  });

  it('proposes an exception for what recurs in false positives only (the entity the analysts named; the shared signature is also in TPs)', async () => {
    const { input, incidents } = await scenario();
    const [proposal, ...others] = tune(input()).exceptions;
    expect(others).toEqual([]);
    const fps = incidents.filter((i) => i.groupKey['entities.host']!.startsWith('fp-')).map((i) => i.id).sort();
    expect(proposal).toMatchObject({ id: 'tune-svc-scan', match: { entities: { user: 'svc-scan' } }, expires: '2026-12-31', falsePositiveIncidents: fps, rules: ['burst'], portability: 'network-tied' });
    // A user of this network: useless elsewhere, and the text says so.
    expect(formatReport(tune(input()), 'text')).toMatch(/^ {2}# network-tied; checked against 3 alerts of true- and benign-positive incidents/m);
    expect(proposal!.yaml).toMatch(/^kind: exception\nid: tune-svc-scan\n/);
  });
});
