import { describe, expect, it } from 'vitest';
import type { TuningIncident } from '../../src/ledger/records.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { ReplayEvaluator } from '../../src/tune/replay.js';
import { learnRoutine, routineListYaml } from '../../src/tune/routine.js';
import { alert, at, rule, ruleset, runPipeline } from '../helpers.js';

/** Promotes every alert: one incident per host and burst (30 minutes apart at most). */
const EVERY = { 'every.yaml': rule({ id: 'every', conditions: { all: [] }, incident: { groupBy: ['entities.host'], window: '30m' } }) };

// Three days; six hosts raise "noise" and "shared" every two hours; "rare" once; the attack on h1 on day 2 raises "shared" and "exploit".
const alerts = [
  ...Array.from({ length: 36 }, (_, k) => ['noise', 'shared'].flatMap((name) => Array.from({ length: 6 }, (_, h) => alert({ id: `${name}-${k}-${h}`, name, time: at(k * 120 + h), entities: { host: `h${h}` } })))).flat(),
  alert({ id: 'rare', name: 'rare', time: at(30), entities: { host: 'h2' } }),
  alert({ id: 'attack-1', name: 'exploit', time: at(24 * 60 + 61), entities: { host: 'h1' } }),
  alert({ id: 'attack-2', name: 'shared', time: at(24 * 60 + 62), entities: { host: 'h1' } }),
].sort((a, b) => (String(a.time) < String(b.time) ? -1 : 1));

describe('routine signatures learned by the tuner', () => {
  it('lists what is raised often, on many hosts, on many days, leaves out what a confirmed true positive holds, and checks the list across the pipeline', async () => {
    const set = await ruleset(EVERY);
    const { incidents } = runPipeline(set, alerts);
    const tuning: TuningIncident[] = incidents.map((record) => ({ record, verdict: record.alertIds.includes('attack-1') ? 'true_positive' : 'false_positive', entity: undefined, openingAlert: undefined }));
    const replay = ReplayEvaluator.of(alerts.map((a, i) => ({ line: i + 1, text: JSON.stringify(a) })), createNormalizer({ format: 'canonical' }));
    const found = learnRoutine(replay, set, tuning, { minAlerts: 100, minHosts: 5, minDays: 3 })!;
    expect(found.signatures).toEqual(['noise']);
    expect(found.guarded).toEqual(['shared']);
    // Every host-hour incident also holds "shared": suppressing "noise" leaves as many incidents, with fewer alerts.
    expect(found.after).toMatchObject({ truePositiveSurvived: 1, truePositiveTotal: 1 });
    expect(found.after.falsePositive).toBeLessThanOrEqual(found.before.falsePositive);
    expect(routineListYaml(found.signatures)).toBe('kind: conditions\nconditions:\n  routine-signature:\n    all:\n      - fact: name\n        operator: in\n        value:\n          - noise\n');
  });

  it('finds nothing below the criteria', async () => {
    const set = await ruleset(EVERY);
    const replay = ReplayEvaluator.of(alerts.map((a, i) => ({ line: i + 1, text: JSON.stringify(a) })), createNormalizer({ format: 'canonical' }));
    expect(learnRoutine(replay, set, [], { minAlerts: 1000, minHosts: 5, minDays: 3 })).toBeUndefined();
    expect(learnRoutine(replay, set, [], { minAlerts: 100, minHosts: 7, minDays: 3 })).toBeUndefined();
  });
});
