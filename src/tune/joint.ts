import type { PipelineSearch, PipelineScore } from './pipeline-check.js';
import { withParam } from './replay.js';
import type { JointProposal, PipelineEvidence, RefusedJoint, RuleReport } from './report.js';

/** The values of each param a pair is built from: the nearest breakpoints (docs/tuning.md, "Joint changes"). */
export const VALUES_PER_PARAM = 3;
/** Whole-pipeline runs spent on one rule's pairs, at most. */
export const MAX_PAIR_RUNS = 8;

/** A rule with at least two tunable params, and each one's values just past a false positive's breakpoint, nearest first. */
export interface PairableRule {
  readonly ruleId: string;
  readonly report: RuleReport;
  readonly grids: ReadonlyMap<string, readonly number[]>;
}

type Move = readonly [param: string, value: number];

/**
 * The pairs of a rule's params, each param at one of its VALUES_PER_PARAM nearest breakpoint values
 * (within bounds, grid and max step: the forecast's candidate values, whether or not the forecast
 * credits one alone with a removal), ordered by the sum of the two relative moves (smallest first, then
 * by the params' names and values).
 */
export function pairsOf(rule: PairableRule): (readonly [Move, Move])[] {
  const from = new Map(rule.report.params.map((p) => [p.param, p.from]));
  const relative = ([param, value]: Move) => Math.abs(value - from.get(param)!) / (Math.abs(from.get(param)!) || 1);
  const params = [...rule.grids.keys()].sort();
  const pairs: (readonly [Move, Move])[] = [];
  for (let i = 0; i < params.length; i++) {
    for (let j = i + 1; j < params.length; j++) {
      for (const a of rule.grids.get(params[i]!)!.slice(0, VALUES_PER_PARAM)) {
        for (const b of rule.grids.get(params[j]!)!.slice(0, VALUES_PER_PARAM)) pairs.push([[params[i]!, a], [params[j]!, b]]);
      }
    }
  }
  const key = (p: readonly [Move, Move]) => relative(p[0]) + relative(p[1]);
  return pairs.sort((x, y) => key(x) - key(y) || (x[0][0] < y[0][0] ? -1 : x[0][0] > y[0][0] ? 1 : 0) || (x[1][0] < y[1][0] ? -1 : x[1][0] > y[1][0] ? 1 : 0) || x[0][1] - y[0][1] || x[1][1] - y[1][1]);
}

/**
 * For each rule no single-param change helped, its pairs of params across the whole pipeline, nearest
 * first, at most MAX_PAIR_RUNS runs per rule, on top of the changes accepted before: the first pair at
 * which false-positive incidents drop, incidents do not grow and the true positives survive is taken.
 */
export function searchPairs(
  search: PipelineSearch,
  rules: readonly PairableRule[],
  evidence: (before: PipelineScore, after: PipelineScore) => PipelineEvidence,
): { joint: JointProposal[]; refusedJoint: RefusedJoint[] } {
  const joint: JointProposal[] = [];
  const refusedJoint: RefusedJoint[] = [];
  for (const rule of rules) {
    const pairs = pairsOf(rule).slice(0, MAX_PAIR_RUNS);
    if (pairs.length === 0) continue;
    const tried: [string, number][][] = [];
    let last: ReturnType<PipelineSearch['consider']> | undefined;
    for (const [a, b] of pairs) {
      tried.push([[...a], [...b]]);
      last = search.consider(withParam(withParam(search.accepted, rule.ruleId, a[0], a[1]), rule.ruleId, b[0], b[1]));
      if (last.refusal !== undefined) continue;
      const from = (param: string) => rule.report.params.find((p) => p.param === param)!.from;
      const { ruleId, file, version } = rule.report;
      joint.push({ ruleId, file, version, changes: [a, b].map(([param, to]) => ({ param, from: from(param), to })), portability: 'carries-over', pipeline: evidence(last.before, last.after) });
      break;
    }
    if (joint.at(-1)?.ruleId !== rule.ruleId) refusedJoint.push({ ruleId: rule.ruleId, tried, reason: last!.refusal!, pipeline: evidence(last!.before, last!.after) });
  }
  return { joint, refusedJoint };
}
