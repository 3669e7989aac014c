import type { TuningIncident } from '../ledger/records.js';
import type { Verdict } from '../feedback/feedback.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { alertsOf, withParam, type PipelineRun, type ReplayEvaluator } from './replay.js';

/** What a whole-pipeline run comes to, judged by the verdicts on the current rules' incidents. */
export interface PipelineScore {
  /** Every incident of the run, of any rule. */
  readonly incidents: number;
  /** Incidents of the run holding an alert of a false-positive incident and none of a true-positive one. */
  readonly falsePositive: number;
  /** Confirmed true-positive incidents that survive (docs/tuning.md, "Whole-pipeline check"). */
  readonly truePositiveSurvived: number;
  readonly truePositiveTotal: number;
  /** Confirmed true positives none of whose alerts is in the replayed files: they count as lost. */
  readonly truePositiveUnknown: number;
}

/** One param of one rule and the values the forecast would move it to, nearest the current value first. */
export interface CandidateChange {
  readonly ruleId: string;
  readonly param: string;
  readonly values: readonly number[];
}

export interface CheckedChange {
  readonly ruleId: string;
  readonly param: string;
  /** The value accepted; undefined when every value was refused. */
  readonly value: number | undefined;
  readonly before: PipelineScore;
  /** The score at the accepted value, or at the last value tried. */
  readonly after: PipelineScore;
  /** Why the last value tried was refused. */
  readonly refusal: string | undefined;
  /** Every value run, in the order they were. */
  readonly tried: readonly number[];
}

/** Values checked for acceptance below the furthest one that keeps the true positives, at most. */
const MAX_ACCEPTANCE_CHECKS = 3;

/** A candidate rule set against the accepted one: the scores, and why it is refused (undefined: it passes). */
export interface Consideration {
  readonly before: PipelineScore;
  readonly after: PipelineScore;
  readonly refusal: string | undefined;
}

/**
 * The whole-pipeline check as a sequence of decisions: each candidate rule set is scored against the
 * changes accepted so far (so joint effects count), and becomes the accepted one when it passes
 * (refusalOf). Every kind of proposal (thresholds, disabled rules, exceptions) goes through one.
 */
export class PipelineSearch {
  private readonly judge: (run: PipelineRun) => PipelineScore;
  /** The current rules with every change accepted so far. */
  accepted: CompiledRuleSet;
  /** The score of `accepted`. */
  current: PipelineScore;

  constructor(
    private readonly replay: ReplayEvaluator,
    ruleset: CompiledRuleSet,
    incidents: readonly TuningIncident[],
    readonly minRecall: number,
  ) {
    const baseline = replay.run(ruleset);
    this.judge = verdictJudge(baseline, incidents, (ids) => replay.inFiles(ids));
    this.accepted = ruleset;
    this.current = this.judge(baseline);
  }

  score(candidate: CompiledRuleSet): PipelineScore {
    return this.judge(this.replay.run(candidate));
  }

  /** Scores `candidate` (the accepted rules with one more change) and accepts it if it passes (at `minRecall`, by default the guardrail's). */
  consider(candidate: CompiledRuleSet, minRecall = this.minRecall): Consideration {
    const before = this.current;
    const after = this.score(candidate);
    const refusal = refusalOf(before, after, minRecall);
    if (refusal === undefined) this.accept(candidate, after);
    return { before, after, refusal };
  }

  accept(candidate: CompiledRuleSet, score: PipelineScore): void {
    this.accepted = candidate;
    this.current = score;
  }

  keeps(score: PipelineScore): boolean {
    return recallOf(score) >= this.minRecall - 1e-12;
  }
}

/**
 * Every change checked across the whole pipeline, one after another on top of those already accepted
 * (so joint effects count), with the alerts re-run under the candidate rules. A stricter threshold
 * never promotes more alerts (property-tested), so the confirmed true positives that survive only fall
 * as the value moves away: a binary search finds the furthest value that keeps at least `minRecall` of
 * them, and from there, nearer values in turn, the first at which false-positive incidents drop and no
 * incident is added is accepted. Verdicts carry over by alert: an incident of a candidate run is a
 * false positive when it holds an alert of an incident analysts called false positive, and none of a
 * true positive's.
 */
export function checkAcrossPipeline(search: PipelineSearch, changes: readonly CandidateChange[]): CheckedChange[] {
  const checked: CheckedChange[] = [];
  for (const change of changes) {
    const tried: number[] = [];
    const scores = new Map<number, PipelineScore>();
    const current = search.current;
    const rulesAt = (index: number) => withParam(search.accepted, change.ruleId, change.param, change.values[index]!);
    const scoreAt = (index: number): PipelineScore => {
      const value = change.values[index]!;
      let score = scores.get(value);
      if (score === undefined) {
        tried.push(value);
        scores.set(value, (score = search.score(rulesAt(index))));
      }
      return score;
    };
    // The furthest index that keeps the true positives: values up to it keep them, beyond it none does.
    let lo = -1;
    let hi = change.values.length;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (search.keeps(scoreAt(mid))) lo = mid;
      else hi = mid;
    }
    let outcome: CheckedChange = { ruleId: change.ruleId, param: change.param, value: undefined, before: current, after: scoreAt(Math.max(lo, 0)), refusal: undefined, tried };
    for (let index = lo; index >= 0 && index > lo - MAX_ACCEPTANCE_CHECKS; index--) {
      const after = scoreAt(index);
      const refusal = refusalOf(current, after, search.minRecall);
      outcome = { ...outcome, value: refusal === undefined ? change.values[index] : undefined, after, refusal };
      if (refusal === undefined) {
        search.accept(rulesAt(index), after);
        break;
      }
    }
    if (lo < 0) outcome = { ...outcome, refusal: refusalOf(current, outcome.after, search.minRecall) };
    checked.push(outcome);
  }
  return checked;
}

function recallOf(score: PipelineScore): number {
  return score.truePositiveTotal === 0 ? 1 : score.truePositiveSurvived / score.truePositiveTotal;
}

export function refusalOf(before: PipelineScore, after: PipelineScore, minRecall: number): string | undefined {
  if (recallOf(after) < minRecall - 1e-12) {
    const unknown = after.truePositiveUnknown > 0 ? ` (${after.truePositiveUnknown} with no alert in the replayed files)` : '';
    return `across the pipeline ${after.truePositiveSurvived} of ${after.truePositiveTotal} confirmed true positives survive${unknown}, below min recall ${minRecall}`;
  }
  if (after.falsePositive >= before.falsePositive) return `across the pipeline false-positive incidents do not drop (${before.falsePositive} → ${after.falsePositive})`;
  if (after.incidents > before.incidents) return `across the pipeline incidents grow (${before.incidents} → ${after.incidents})`;
  return undefined;
}

/**
 * Scores runs by the verdicts on the current rules' incidents. An incident's alerts are those the
 * current rules' run promoted into it (all of them), or the ids its record lists when that run does
 * not have it (an incident of an older rule version). `inFiles`: those of some ids that are alerts of
 * the replayed files (asked only of the ids records list: `baseline` is a run of those files).
 */
export function verdictJudge(baseline: PipelineRun, incidents: readonly TuningIncident[], inFiles: (ids: ReadonlySet<string>) => ReadonlySet<string>): (run: PipelineRun) => PipelineScore {
  const verdictOf = new Map<string, Verdict>();
  /** By alert of a confirmed true positive: the true positives (their index in `truePositives`) holding it. */
  const truePositiveOf = new Map<string, number[]>();
  let truePositives = 0;
  let unknown = 0;
  const verdicted = incidents.flatMap((incident) => (incident.verdict === null ? [] : [{ verdict: incident.verdict, ids: alertsOf(baseline, incident), run: baseline.incidents.has(incident.record.id) }]));
  // The baseline run's incidents hold alerts of the files by construction: only the others' ids are looked for (a scan of every held alert).
  const found = inFiles(new Set(verdicted.flatMap((v) => (v.run ? [] : v.ids))));
  for (const { verdict, ids, run } of verdicted) {
    const alerts = run ? ids : ids.filter((id) => found.has(id));
    if (verdict === 'true_positive') {
      if (alerts.length === 0) unknown++;
      else {
        for (const id of alerts) {
          const holding = truePositiveOf.get(id);
          if (holding === undefined) truePositiveOf.set(id, [truePositives]);
          else if (holding.at(-1) !== truePositives) holding.push(truePositives);
        }
        truePositives++;
      }
    }
    for (const id of alerts) {
      const known = verdictOf.get(id);
      // A true positive's alert stays one whatever else it was part of; then false over benign.
      if (known === 'true_positive' || (known === 'false_positive' && verdict === 'benign_positive')) continue;
      verdictOf.set(id, verdict);
    }
  }
  return (run) => {
    let falsePositive = 0;
    // A true positive survives when one of its alerts is promoted, into any incident of the run.
    const survives = new Uint8Array(truePositives);
    let survived = 0;
    for (const { alerts } of run.incidents.values()) {
      let fp = false;
      let tp = false;
      for (const id of alerts) {
        const v = verdictOf.get(id);
        if (v === 'true_positive') {
          tp = true;
          for (const i of truePositiveOf.get(id)!) if (survives[i] === 0) survived += survives[i] = 1;
        } else if (v === 'false_positive') fp = true;
      }
      if (fp && !tp) falsePositive++;
    }
    return { incidents: run.incidents.size, falsePositive, truePositiveSurvived: survived, truePositiveTotal: truePositives + unknown, truePositiveUnknown: unknown };
  };
}
