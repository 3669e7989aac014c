import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Verdict } from '../../src/feedback/feedback.js';
import type { TuningIncident } from '../../src/ledger/records.js';
import { verdictJudge, type PipelineScore } from '../../src/tune/pipeline-check.js';
import type { PipelineRun } from '../../src/tune/replay.js';
import { incidentRecord } from '../ledger/fixtures.js';

/** Alert ids a0..a11: few, so incidents (of the ledger and of runs) share alerts. */
const arbAlerts = fc.uniqueArray(fc.nat({ max: 11 }).map((n) => `a${n}`), { minLength: 1, maxLength: 5 });

const arbRun = fc.array(fc.record({ ruleId: fc.constantFrom('r1', 'r2'), alerts: arbAlerts }), { maxLength: 6 }).map(
  (incidents): PipelineRun => ({ incidents: new Map(incidents.map((incident, i) => [`run-${i}`, incident])) }),
);

/** The score by its definition (docs/tuning.md, "Whole-pipeline check"), written plainly. */
function scoreByDefinition(baseline: PipelineRun, incidents: readonly TuningIncident[], inFiles: ReadonlySet<string>, run: PipelineRun): PipelineScore {
  const alertsOf = (i: TuningIncident) => (baseline.incidents.get(i.record.id)?.alerts ?? i.record.alertIds).filter((id) => inFiles.has(id));
  const verdicted = incidents.filter((i) => i.verdict !== null);
  const verdictsOf = (id: string) => new Set(verdicted.filter((i) => alertsOf(i).includes(id)).map((i) => i.verdict));
  const promoted = new Set([...run.incidents.values()].flatMap((i) => i.alerts));
  const truePositives = verdicted.filter((i) => i.verdict === 'true_positive');
  const known = truePositives.filter((i) => alertsOf(i).length > 0);
  const falsePositive = [...run.incidents.values()].filter(
    ({ alerts }) => alerts.some((id) => verdictsOf(id).has('false_positive')) && !alerts.some((id) => verdictsOf(id).has('true_positive')),
  ).length;
  return {
    incidents: run.incidents.size,
    falsePositive,
    truePositiveSurvived: known.filter((i) => alertsOf(i).some((id) => promoted.has(id))).length,
    truePositiveTotal: truePositives.length,
    truePositiveUnknown: truePositives.length - known.length,
  };
}

describe('verdictJudge', () => {
  it('scores a run as its definition does: true positives sharing alerts, alerts outside the files, incidents the baseline run does not have', () => {
    const arbLedger = fc.array(
      fc.record({ inBaseline: fc.boolean(), listed: arbAlerts, verdict: fc.constantFrom<Verdict | null>('true_positive', 'false_positive', 'benign_positive', null) }),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(arbLedger, fc.array(arbAlerts, { minLength: 8, maxLength: 8 }), arbAlerts, arbRun, (ledger, baselineAlerts, outside, run) => {
        const incidents: TuningIncident[] = ledger.map(({ listed, verdict }, n) => ({ record: incidentRecord({ n, alertIds: listed }), verdict, entity: undefined, openingAlert: undefined }));
        const inFiles = new Set(Array.from({ length: 12 }, (_, n) => `a${n}`).filter((id) => !outside.includes(id)));
        // The baseline is a run of the files: its incidents hold alerts of the files only.
        const runOfFiles = (n: number) => baselineAlerts[n]!.filter((id) => inFiles.has(id));
        const baseline: PipelineRun = {
          incidents: new Map(incidents.flatMap((incident, n) => (ledger[n]!.inBaseline && runOfFiles(n).length > 0 ? [[incident.record.id, { ruleId: 'r1', alerts: runOfFiles(n) }]] : []))),
        };
        const judge = verdictJudge(baseline, incidents, (ids) => new Set([...ids].filter((id) => inFiles.has(id))));
        expect(judge(run)).toEqual(scoreByDefinition(baseline, incidents, inFiles, run));
      }),
      { numRuns: 500 },
    );
  });
});
