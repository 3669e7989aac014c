import { pct } from './format.js';
import type { PipelineSearch } from './pipeline-check.js';
import { withoutRule } from './replay.js';
import type { DisableProposal, PipelineEvidence, RefusedDisable, RuleReport } from './report.js';
import type { PipelineScore } from './pipeline-check.js';

export interface DisableGuardrails {
  readonly minVerdicts: number;
  readonly disableBelowPrecision: number;
}

/** Rules with verdicts enough whose precision TP / (TP + FP) is below the bound, lowest first (then by id). */
export function lowPrecisionRules(rules: readonly RuleReport[], guardrails: DisableGuardrails): RuleReport[] {
  const precision = (r: RuleReport) => r.truePositive / (r.truePositive + r.falsePositive);
  return rules
    .filter((r) => r.truePositive + r.falsePositive + r.benignPositive >= guardrails.minVerdicts && r.truePositive + r.falsePositive > 0 && precision(r) < guardrails.disableBelowPrecision)
    .sort((a, b) => precision(a) - precision(b) || (a.ruleId < b.ruleId ? -1 : 1));
}

function proposal(r: RuleReport, guardrails: DisableGuardrails, pipeline?: PipelineEvidence): DisableProposal {
  const { ruleId, file, version, incidents, truePositive, benignPositive, falsePositive, unreviewed, precision } = r;
  const kept = truePositive === 0 ? 'no confirmed true positive' : `its ${truePositive} confirmed true positives survive through other rules`;
  const reason = `precision ${pct(precision)} (${truePositive} TP, ${falsePositive} FP) is below ${pct(guardrails.disableBelowPrecision)} (disableBelowPrecision) and ${kept}`;
  return { ruleId, file, version, incidents, truePositive, benignPositive, falsePositive, unreviewed, precision, portability: 'carries-over', reason, ...(pipeline ? { pipeline } : {}) };
}

/**
 * Without the alerts: a rule below the bound is proposed for disabling only when it has no confirmed
 * true positive (the forecast cannot see whether other rules would keep one; like a raised threshold,
 * it cannot see what lower-priority rules promote instead either).
 */
export function disableByForecast(rules: readonly RuleReport[], guardrails: DisableGuardrails): { disable: DisableProposal[]; refusedDisable: RefusedDisable[] } {
  const low = lowPrecisionRules(rules, guardrails);
  return {
    disable: low.filter((r) => r.truePositive === 0).map((r) => proposal(r, guardrails)),
    refusedDisable: low
      .filter((r) => r.truePositive > 0)
      .map((r) => ({ ruleId: r.ruleId, precision: r.precision, reason: `${r.truePositive} confirmed true positives: without --replay the tuner cannot show that other rules keep them` })),
  };
}

/**
 * With the alerts: each rule below the bound is replayed away, on top of the changes accepted before
 * it; it is proposed when every confirmed true positive survives (whatever --min-recall says: turning a
 * detection off never costs one), false-positive incidents drop and incidents do not grow.
 */
export function disableAcrossPipeline(search: PipelineSearch, rules: readonly RuleReport[], guardrails: DisableGuardrails, evidence: (before: PipelineScore, after: PipelineScore) => PipelineEvidence): { disable: DisableProposal[]; refusedDisable: RefusedDisable[] } {
  const disable: DisableProposal[] = [];
  const refusedDisable: RefusedDisable[] = [];
  for (const r of lowPrecisionRules(rules, guardrails)) {
    const { before, after, refusal } = search.consider(withoutRule(search.accepted, r.ruleId), 1);
    if (refusal === undefined) disable.push(proposal(r, guardrails, evidence(before, after)));
    else refusedDisable.push({ ruleId: r.ruleId, precision: r.precision, reason: refusal, pipeline: evidence(before, after) });
  }
  return { disable, refusedDisable };
}
