import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/feedback/feedback.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import type { TuningIncident } from '../../src/ledger/records.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { applyDisable, editRule, revertChange } from '../../src/tune/apply.js';
import { formatReport } from '../../src/tune/format.js';
import { ReplayEvaluator } from '../../src/tune/replay.js';
import { tune, type TuneInput } from '../../src/tune/tuner.js';
import { alert, at, rule, ruleset, runPipeline, tempDir, writeRules } from '../helpers.js';

/** `noisy` promotes every alert named "odd", one incident per host; `critical` (lower priority) every critical alert. */
const RULES = {
  'noisy.yaml': rule({ id: 'noisy', priority: 10, params: { minSeverity: { value: 1, min: 0, max: 5 } }, conditions: { all: [{ fact: 'name', operator: 'equal', value: 'odd' }] }, incident: { groupBy: ['entities.host'], window: '30m' } }),
  'critical.yaml': rule({ id: 'critical', priority: 1, conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'critical' }] }, incident: { groupBy: ['entities.host'], window: '30m' } }),
};

/** Six false-positive hosts and one true positive, an hour apart; the attack's second alert is critical when `caught`. */
function scenarioAlerts(caught: boolean) {
  const hosts = ['fp-1', 'fp-2', 'fp-3', 'fp-4', 'fp-5', 'fp-6', 'tp-1'];
  return hosts.flatMap((host, i) => [
    alert({ id: `${host}-0`, name: 'odd', severity: 'medium', time: at(i * 60), entities: { host } }),
    alert({ id: `${host}-1`, name: 'odd', severity: host === 'tp-1' && caught ? 'critical' : 'medium', time: at(i * 60 + 1), entities: { host } }),
  ]);
}

async function input(caught: boolean, replay: boolean, disableBelowPrecision = 0.2): Promise<TuneInput> {
  const set = await ruleset(RULES);
  const alerts = scenarioAlerts(caught);
  const { incidents } = runPipeline(set, alerts);
  const tuning: TuningIncident[] = incidents.map((record) => ({ record, verdict: (record.groupKey['entities.host']!.startsWith('tp') ? 'true_positive' : 'false_positive') as Verdict, entity: undefined, openingAlert: undefined }));
  return {
    ruleset: set,
    incidents: tuning,
    guardrails: { minRecall: 1, maxStep: '50%', minVerdicts: 5, disableBelowPrecision },
    period: { fromMs: undefined, toMs: undefined },
    replay: replay ? ReplayEvaluator.of(alerts.map((a, i) => ({ line: i + 1, text: JSON.stringify(a) })), createNormalizer({ format: 'canonical' })) : undefined,
    exceptions: { minIncidents: 100, expiresAtMs: Date.UTC(2026, 11, 31), owner: 'soc' },
  };
}

describe('disabling a rule whose precision stays below the bound', () => {
  it('with the alerts: proposed when its one true positive survives through another rule, false positives drop and incidents do not grow', async () => {
    const report = tune(await input(true, true));
    expect(report.disable).toEqual([
      expect.objectContaining({
        ruleId: 'noisy',
        truePositive: 1,
        falsePositive: 6,
        precision: 0.1429,
        portability: 'carries-over',
        pipeline: { incidentsBefore: 7, incidentsAfter: 1, falsePositiveBefore: 6, falsePositiveAfter: 0, truePositiveSurvived: 1, truePositiveTotal: 1 },
      }),
    ]);
    expect(report.disable[0]!.reason).toBe('precision 14% (1 TP, 6 FP) is below 20% (disableBelowPrecision) and its 1 confirmed true positives survive through other rules');
    expect(formatReport(report, 'text')).toMatch(/rules to disable \(enabled: false; --apply writes it\):\nrule +precision +TP +FP +BP +all rules: FP incidents +TP survived +incidents +scope\nnoisy +14% +1 +6 +0 +6 → 0 +1 of 1 +7 → 1 +carries over/);
  });

  it('with the alerts: refused when a true positive would be lost, whatever --min-recall says', async () => {
    const base = await input(false, true);
    const report = tune({ ...base, guardrails: { ...base.guardrails, minRecall: 0 } });
    expect(report.disable).toEqual([]);
    expect(report.refusedDisable).toEqual([{ ruleId: 'noisy', precision: 0.1429, reason: 'across the pipeline 0 of 1 confirmed true positives survive, below min recall 1', pipeline: expect.objectContaining({ truePositiveSurvived: 0 }) }]);
  });

  it('without the alerts: only a rule with no confirmed true positive; not at all above the bound or with too few verdicts', async () => {
    expect(tune(await input(true, false)).refusedDisable).toEqual([{ ruleId: 'noisy', precision: 0.1429, reason: '1 confirmed true positives: without --replay the tuner cannot show that other rules keep them' }]);
    const noTp = await input(true, false);
    const fps = { ...noTp, incidents: noTp.incidents.filter((i) => i.verdict === 'false_positive') };
    expect(tune(fps).disable).toEqual([expect.objectContaining({ ruleId: 'noisy', truePositive: 0, falsePositive: 6, precision: 0 })]);
    expect(tune({ ...fps, guardrails: { ...fps.guardrails, disableBelowPrecision: 0 } }).disable).toEqual([]);
    expect(tune({ ...fps, guardrails: { ...fps.guardrails, minVerdicts: 7 } }).disable).toEqual([]);
    expect(tune(await input(true, false, 0.1)).refusedDisable).toEqual([]);
  });
});

describe('applying a disable', () => {
  const body = (extra = '') => `id: noisy   # keep me\nversion: 3\n${extra}title: t\nowner: o\nseverity: low\ncategory: other\ndecision: promote\nconditions: { all: [] }\n`;
  const layouts: Record<string, [string, string, string]> = {
    block: ['r.yaml', body(), body('enabled: false\n').replace('version: 3', 'version: 4')],
    'enabled: true': ['r.yaml', body('enabled: true   # on\n'), body('enabled: false   # on\n').replace('version: 3', 'version: 4')],
    list: ['r.yaml', `- id: other\n  version: 1\n  title: t\n  owner: o\n  severity: low\n  category: other\n  decision: promote\n  conditions: { all: [] }\n- ${body().trimEnd().replaceAll('\n', '\n  ')}\n`, ''],
    flow: ['r.yaml', `{ id: noisy, version: 3, title: t, owner: o, severity: low, category: other, decision: promote, conditions: { all: [] } }\n`, `{ id: noisy, version: 4, "enabled": false, title: t, owner: o, severity: low, category: other, decision: promote, conditions: { all: [] } }\n`],
    json: ['r.json', `{\n  "id": "noisy",\n  "version": 3,\n  "title": "t", "owner": "o", "severity": "low", "category": "other", "decision": "promote", "conditions": { "all": [] }\n}\n`, `{\n  "id": "noisy",\n  "version": 4, "enabled": false,\n  "title": "t", "owner": "o", "severity": "low", "category": "other", "decision": "promote", "conditions": { "all": [] }\n}\n`],
  };

  it.each(Object.entries(layouts))('%s: enabled: false and the version bumped, nothing else; the rule loads disabled; revert restores the file byte for byte', async (_name, [file, before, expected]) => {
    const edited = editRule(before, 'noisy', { disable: true });
    if (expected !== '') expect(edited.text).toBe(expected);
    else expect(edited.text).toBe(before.replace('  version: 3\n', '  version: 4\n  enabled: false\n'));
    const dir = writeRules({ [file]: before });
    const ledger = await Ledger.open(parseLedgerLocation(join(tempDir(), 'ledger.sqlite')), { now: () => 0 });
    try {
      const options = { rulesDir: dir, ledger, changelog: join(dir, 'CHANGELOG.md'), author: 'eng', reason: 'noise', nowMs: Date.UTC(2026, 11, 1) };
      const proposal = { ruleId: 'noisy', file, version: 3, incidents: 7, truePositive: 0, falsePositive: 7, benignPositive: 0, unreviewed: 0, precision: 0, portability: 'carries-over' as const, reason: 'r' };
      const change = await applyDisable(proposal, options);
      expect(change).toMatchObject({ param: 'enabled', from: 1, to: 0, versionBefore: 3, versionAfter: 4 });
      const loaded = await loadRulesOrThrow(dir);
      expect(loaded.promoteRules.map((r) => r.rule.id)).not.toContain('noisy');
      expect(loaded.disabledRules.map((r) => r.id)).toEqual(['noisy']);
      expect(readFileSync(join(dir, 'CHANGELOG.md'), 'utf8')).toContain(`${change.id}: noisy disabled (enabled: false) (version 3 → 4)`);
      await revertChange(change.id, options);
      expect(readFileSync(join(dir, file), 'utf8')).toBe(before);
      expect(readFileSync(join(dir, 'CHANGELOG.md'), 'utf8')).toContain(`${change.id} reverted: noisy enabled again (version 3)`);
    } finally {
      await ledger.close();
    }
  });
});
