import { verdictCountsOf, type TuningIncident } from '../ledger/records.js';
import type { CompiledRule, CompiledRuleSet } from '../rules/ruleset.js';
import { candidateRange, firstBeyond, parsePercent, type CandidateRange } from './candidates.js';
import { analyzeParams, breakpoint, survives, type Survival, type ThresholdUse } from './counterfactual.js';
import { DISABLE_BELOW_PRECISION } from '../config/tuning.js';
import { disableAcrossPipeline, disableByForecast } from './disable.js';
import { searchPairs, type PairableRule } from './joint.js';
import { shrinkWindows } from './window.js';
import { exceptionOf, openingGuardAlerts, proposeExceptions, replayGuardAlerts, type ExceptionOptions } from './exceptions.js';
import { round } from './format.js';
import { checkAcrossPipeline, PipelineSearch, refusalOf, type PipelineScore } from './pipeline-check.js';
import { learnRoutine, routineListYaml } from './routine.js';
import { withException, type ReplayEvaluator } from './replay.js';
import type { ExceptionProposal, ParamEvaluation, PipelineEvidence, Proposal, RoutineProposal, RuleReport, TuneReport } from './report.js';

const DAY_MS = 86_400_000;

export interface Guardrails {
  /** Share of the confirmed true positives a change must certainly keep (1: every one). */
  readonly minRecall: number;
  /** `50%`: the most a param moves in one apply. */
  readonly maxStep: string;
  /** Verdicts a rule needs before it is changed. */
  readonly minVerdicts: number;
  /** A rule whose precision is below this is proposed for disabling (DISABLE_BELOW_PRECISION when not given). */
  readonly disableBelowPrecision?: number | undefined;
}

export interface TuneInput {
  readonly ruleset: CompiledRuleSet;
  /** The ledger's incidents over the period, with their current verdicts. */
  readonly incidents: readonly TuningIncident[];
  readonly guardrails: Guardrails;
  /** The period the incidents cover (event time); for incidents per day. */
  readonly period: { readonly fromMs: number | undefined; readonly toMs: number | undefined };
  /**
   * The alerts of the period: every proposal is then checked by re-running them through the whole
   * pipeline (docs/tuning.md, "Whole-pipeline check"); without them the per-rule forecast alone decides.
   */
  readonly replay?: ReplayEvaluator | undefined;
  readonly exceptions: ExceptionOptions;
}

/** incident id → survival under one candidate value. */
type Evaluate = (value: number) => ReadonlyMap<string, Survival>;

/**
 * The tuner: for each promote rule with verdicts enough, each tunable param is moved in its stricter
 * direction (within bounds, grid and max step) to the value that removes the most false-positive
 * incidents while certainly keeping the share of confirmed true positives that minRecall asks for,
 * and the rule's best param becomes a proposal (the per-rule forecast, from the recorded facts). With
 * the alerts (`replay`), the forecast only proposes candidates, and the whole-pipeline check decides
 * (checkProposals). Pure: the same ledger, rules and alerts give the same report.
 */
export function tune(input: TuneInput): TuneReport {
  const { ruleset, guardrails } = input;
  // The evaluator may have run before (a service tunes again): only this report's runs are counted.
  const runsBefore = input.replay && { ...input.replay.stats };
  const maxStepShare = parsePercent(guardrails.maxStep);
  const period = effectivePeriod(input.period, input.incidents);
  const days = period.days;
  const byRule = new Map<string, TuningIncident[]>();
  for (const incident of input.incidents) {
    let list = byRule.get(incident.record.ruleId);
    if (!list) byRule.set(incident.record.ruleId, (list = []));
    list.push(incident);
  }
  const rules: RuleReport[] = [];
  const forecasts: Proposal[] = [];
  const candidates: RuleCandidates[] = [];
  const pairable: PairableRule[] = [];
  for (const compiled of [...ruleset.promoteRules].sort((a, b) => (a.rule.id < b.rule.id ? -1 : 1))) {
    const incidents = byRule.get(compiled.rule.id) ?? [];
    if (incidents.length === 0) continue;
    const { report, candidates: byParam, grids } = tuneRule(compiled, incidents, { ...input, maxStepShare, days });
    rules.push(report);
    if (grids.size >= 2 && report.falsePositive > 0) pairable.push({ ruleId: report.ruleId, report, grids });
    const best = bestOf(report.params);
    if (best) forecasts.push({ ...best, to: best.to!, ruleId: report.ruleId, file: report.file, version: report.version, portability: 'carries-over' });
    const widest = widestOf(byParam);
    if (widest) candidates.push({ report, ...widest });
  }
  const search = input.replay && new PipelineSearch(input.replay, ruleset, input.incidents, guardrails.minRecall);
  const disableBelowPrecision = guardrails.disableBelowPrecision ?? DISABLE_BELOW_PRECISION;
  // A rule that is mostly noise is turned off first; the thresholds of the others are tuned on top.
  const bound = { minVerdicts: guardrails.minVerdicts, disableBelowPrecision };
  const disabled = search ? disableAcrossPipeline(search, rules, bound, evidenceOf) : disableByForecast(rules, bound);
  const off = new Set(disabled.disable.map((d) => d.ruleId));
  const on = <T extends { ruleId: string }>(list: readonly T[]) => list.filter((x) => !off.has(x.ruleId));
  const { proposals, refused } = search ? checkProposals(search, on(candidates.map((c) => ({ ...c, ruleId: c.report.ruleId })))) : { proposals: on(forecasts), refused: [] };
  // Rules no single-param change helped: pairs of their params, across the pipeline.
  const changed = new Set(proposals.map((p) => p.ruleId));
  const joint = search ? searchPairs(search, on(pairable).filter((p) => !changed.has(p.ruleId)), evidenceOf) : { joint: [], refusedJoint: [] };
  // Still one change per rule per run: a window is shrunk only where no param moved.
  for (const j of joint.joint) changed.add(j.ruleId);
  const verdictsEnough = (r: RuleReport) => r.truePositive + r.falsePositive + r.benignPositive >= guardrails.minVerdicts;
  const windows = search ? shrinkWindows(search, on(rules).filter((r) => verdictsEnough(r) && !changed.has(r.ruleId)), maxStepShare, evidenceOf) : { windows: [], refusedWindows: [] };
  const exceptions = exceptionProposals(input, search);
  return {
    mode: input.replay ? 'pipeline' : 'counterfactual',
    period: {
      from: period.fromMs !== undefined ? new Date(period.fromMs).toISOString() : null,
      to: period.toMs !== undefined ? new Date(period.toMs).toISOString() : null,
      days: round(days, 2),
    },
    guardrails: { minRecall: guardrails.minRecall, maxStep: guardrails.maxStep, minVerdicts: guardrails.minVerdicts, disableBelowPrecision },
    rules,
    proposals,
    refused,
    ...joint,
    ...windows,
    ...disabled,
    routine: input.replay ? routineProposal(input.replay, input) : null,
    exceptions: exceptions.proposals,
    refusedExceptions: exceptions.refused,
    ...(input.replay && runsBefore && { runs: runsOf(input.replay, runsBefore) }),
  };
}

/** The whole-pipeline runs made since `before` (ReplayEvaluator.stats), whole and decided from the record. */
function runsOf(replay: ReplayEvaluator, before: ReplayEvaluator['stats']): NonNullable<TuneReport['runs']> {
  const fromRecord = replay.stats.fromRecord - before.fromRecord;
  return { whole: replay.stats.runs - before.runs - fromRecord, fromRecord };
}

/** Whole-pipeline runs spent on the exception proposals, at most (docs/tuning.md, "Exception proposals"). */
export const MAX_EXCEPTION_RUNS = 16;

/**
 * The exception proposals, each checked against every alert of every true- and benign-positive
 * incident; with the alerts, also across the whole pipeline on top of the threshold changes accepted
 * (they are printed, never applied, but what they do together is what is checked): all of them at once
 * first, and a group that is refused is split in halves, each checked on top of what was accepted
 * before it, down to single proposals, within MAX_EXCEPTION_RUNS runs.
 */
function exceptionProposals(input: TuneInput, search: PipelineSearch | undefined): { proposals: ExceptionProposal[]; refused: TuneReport['refusedExceptions'] } {
  const guard = input.replay ? replayGuardAlerts(input.replay, input.ruleset, input.incidents) : openingGuardAlerts(input.incidents);
  const found = proposeExceptions(input.incidents, input.ruleset, input.exceptions, guard);
  if (!search) return found;
  const proposals: ExceptionProposal[] = [];
  const refused = [...found.refused];
  const refuse = (p: ExceptionProposal, reason: string, pipeline?: PipelineEvidence) =>
    refused.push({ id: p.id, match: p.match, portability: p.portability, falsePositiveIncidents: p.falsePositiveIncidents, reason, ...(pipeline ? { pipeline } : {}) });
  let runs = 0;
  const check = (group: readonly ExceptionProposal[]): void => {
    if (runs >= MAX_EXCEPTION_RUNS) {
      for (const p of group) refuse(p, `not checked on its own across the pipeline: the ${MAX_EXCEPTION_RUNS} runs for exceptions were spent (a group holding it was refused)`);
      return;
    }
    runs++;
    const candidate = group.reduce((set, p) => withException(set, exceptionOf(p)), search.accepted);
    const { before, after, refusal } = search.consider(candidate);
    const pipeline = evidenceOf(before, after);
    if (refusal === undefined) proposals.push(...group.map((p) => ({ ...p, pipeline })));
    else if (group.length === 1) refuse(group[0]!, refusal, pipeline);
    else {
      const half = Math.ceil(group.length / 2);
      check(group.slice(0, half));
      check(group.slice(half));
    }
  };
  if (found.proposals.length > 0) check(found.proposals);
  return { proposals, refused };
}

/** The routine signatures of the replayed alerts, checked across the pipeline against the current rules. */
function routineProposal(replay: ReplayEvaluator, input: TuneInput): RoutineProposal | null {
  const found = learnRoutine(replay, input.ruleset, input.incidents);
  if (found === undefined) return null;
  const reason = refusalOf(found.before, found.after, input.guardrails.minRecall);
  return {
    signatures: [...found.signatures],
    guarded: [...found.guarded],
    accepted: reason === undefined,
    ...(reason !== undefined ? { reason } : {}),
    portability: 'carries-over',
    pipeline: evidenceOf(found.before, found.after),
    yaml: routineListYaml(found.signatures),
  };
}

/** A value the forecast would move a param to (it removes a false positive by the rule's facts), with its evaluation. */
interface Candidate {
  readonly value: number;
  readonly evaluation: ParamEvaluation;
}

/** The rule's param the whole-pipeline check searches, with its candidate values nearest the current one first. */
interface RuleCandidates {
  readonly report: RuleReport;
  readonly param: string;
  readonly values: readonly Candidate[];
}

/** Per rule, the param whose candidates remove the most false positives by the forecast (ties: the smaller move, then the name). */
function widestOf(byParam: ReadonlyMap<string, readonly Candidate[]>): { param: string; values: readonly Candidate[] } | undefined {
  let best: { param: string; values: readonly Candidate[]; most: number; move: number } | undefined;
  for (const [param, values] of byParam) {
    if (values.length === 0) continue;
    const top = values.reduce((a, b) => (b.evaluation.falsePositiveRemoved > a.evaluation.falsePositiveRemoved ? b : a));
    const move = Math.abs(top.value - top.evaluation.from) / (Math.abs(top.evaluation.from) || 1);
    const most = top.evaluation.falsePositiveRemoved;
    if (!best || most > best.most || (most === best.most && (move < best.move || (move === best.move && param < best.param)))) best = { param, values, most, move };
  }
  return best && { param: best.param, values: best.values };
}

/**
 * Pipeline mode: each rule's candidates searched across the whole pipeline (the rule the forecast
 * credits with the most false positives first, each on top of those accepted before it). The forecast
 * only proposes the values: whether a true positive survives, and whether false positives drop, is the
 * pipeline's answer, every rule counted.
 */
function checkProposals(search: PipelineSearch, candidates: readonly RuleCandidates[]): Pick<TuneReport, 'proposals' | 'refused'> {
  const most = (c: RuleCandidates) => Math.max(...c.values.map((v) => v.evaluation.falsePositiveRemoved));
  const ordered = [...candidates].sort((a, b) => most(b) - most(a) || (a.report.ruleId < b.report.ruleId ? -1 : 1));
  const changes = ordered.map((c) => ({ ruleId: c.report.ruleId, param: c.param, values: c.values.map((v) => v.value) }));
  const checked = checkAcrossPipeline(search, changes);
  const proposals: Proposal[] = [];
  const refused: TuneReport['refused'] = [];
  checked.forEach((c, i) => {
    const { report, values } = ordered[i]!;
    const pipeline = evidenceOf(c.before, c.after);
    if (c.value === undefined) {
      refused.push({ ruleId: c.ruleId, param: c.param, from: values[0]!.evaluation.from, tried: [...c.tried], reason: c.refusal!, pipeline });
      return;
    }
    const { evaluation } = values.find((v) => v.value === c.value)!;
    proposals.push({ ...evaluation, ruleId: report.ruleId, file: report.file, version: report.version, to: c.value, portability: 'carries-over', pipeline });
  });
  // Reported by rule, as without the check; each one's evidence is on top of those checked before it.
  const byRule = (a: { ruleId: string }, b: { ruleId: string }) => (a.ruleId < b.ruleId ? -1 : 1);
  return { proposals: proposals.sort(byRule), refused: refused.sort(byRule) };
}

function evidenceOf(before: PipelineScore, after: PipelineScore): PipelineEvidence {
  return {
    incidentsBefore: before.incidents,
    incidentsAfter: after.incidents,
    falsePositiveBefore: before.falsePositive,
    falsePositiveAfter: after.falsePositive,
    truePositiveSurvived: after.truePositiveSurvived,
    truePositiveTotal: after.truePositiveTotal,
  };
}

function tuneRule(
  compiled: CompiledRule,
  incidents: readonly TuningIncident[],
  ctx: TuneInput & { maxStepShare: number; days: number },
): { report: RuleReport; candidates: Map<string, Candidate[]>; grids: Map<string, number[]> } {
  const candidates = new Map<string, Candidate[]>();
  const grids = new Map<string, number[]>();
  const { rule, file } = compiled;
  const counts = verdictCountsOf(incidents);
  const { truePositive: tp, falsePositive: fp, benignPositive: bp } = counts;
  const report: RuleReport = {
    ruleId: rule.id,
    version: rule.version,
    file,
    ...counts,
    incidentsPerDay: round(incidents.length / ctx.days, 2),
    params: [],
  };
  if (Object.keys(rule.params).length === 0) return { report: { ...report, note: 'no tunable params' }, candidates, grids };
  if (tp + fp + bp < ctx.guardrails.minVerdicts) {
    return { report: { ...report, note: `${tp + fp + bp} verdicts, fewer than the ${ctx.guardrails.minVerdicts} a change needs (tuning.minVerdicts, --min-verdicts)` }, candidates, grids };
  }
  for (const analysis of analyzeParams(rule)) {
    const declared = rule.params[analysis.param]!;
    if (!analysis.tunable) {
      report.params.push(unchanged(analysis.param, declared.value, incidents, ctx.days, `not tunable: ${analysis.why}`));
      continue;
    }
    const range = candidateRange(declared, analysis.stricter, ctx.maxStepShare);
    if (!range) {
      const where = analysis.stricter === 'raise' ? 'max' : 'min';
      report.params.push(unchanged(analysis.param, declared.value, incidents, ctx.days, `at its ${where} (${declared[where]}) or maxStep allows no step`));
      continue;
    }
    const { evaluation, removing, breakpoints } = evaluateParam(analysis, declared.value, range, incidents, factEvaluate(compiled, analysis, incidents), ctx, compiled);
    report.params.push(evaluation);
    candidates.set(analysis.param, removing);
    grids.set(analysis.param, breakpoints);
  }
  return { report, candidates, grids };
}

function factEvaluate(compiled: CompiledRule, use: ThresholdUse, incidents: readonly TuningIncident[]): Evaluate {
  return (value) => new Map(incidents.map((i) => [i.record.id, survives(compiled.rule, use, i.record.facts, compiled.params, value)]));
}

interface Score {
  readonly value: number;
  readonly fpRemoved: number;
  readonly bpRemoved: number;
  readonly unreviewedRemoved: number;
  readonly tpKept: number;
  readonly tpUnknown: number;
  readonly removed: string[];
  readonly feasible: boolean;
}

function evaluateParam(
  use: ThresholdUse,
  current: number,
  range: CandidateRange,
  incidents: readonly TuningIncident[],
  evaluate: Evaluate,
  ctx: TuneInput & { days: number },
  compiled: CompiledRule,
): { evaluation: ParamEvaluation; removing: Candidate[]; breakpoints: number[] } {
  // Incidents the current value no longer opens (from an older, looser version) say nothing about this change.
  const baseline = evaluate(current);
  const considered = incidents.filter((i) => baseline.get(i.record.id) !== 'removed');
  const tpTotal = considered.filter((i) => i.verdict === 'true_positive').length;
  const fpTotal = considered.filter((i) => i.verdict === 'false_positive').length;
  const cache = new Map<number, Score>();
  const score = (value: number): Score => {
    const cached = cache.get(value);
    if (cached) return cached;
    const status = evaluate(value);
    const tally = { fp: 0, bp: 0, unreviewed: 0, tpKept: 0, tpUnknown: 0 };
    const removed: string[] = [];
    for (const i of considered) {
      const s = status.get(i.record.id) ?? 'unknown';
      if (s === 'removed') {
        removed.push(i.record.id);
        if (i.verdict === 'false_positive') tally.fp++;
        else if (i.verdict === 'benign_positive') tally.bp++;
        else if (i.verdict === null) tally.unreviewed++;
      }
      if (i.verdict === 'true_positive') {
        if (s === 'kept') tally.tpKept++;
        else if (s === 'unknown') tally.tpUnknown++;
      }
    }
    const recall = tpTotal === 0 ? 1 : tally.tpKept / tpTotal;
    const result: Score = {
      value,
      fpRemoved: tally.fp,
      bpRemoved: tally.bp,
      unreviewedRemoved: tally.unreviewed,
      tpKept: tally.tpKept,
      tpUnknown: tally.tpUnknown,
      removed,
      feasible: recall >= ctx.guardrails.minRecall - 1e-12,
    };
    cache.set(value, result);
    return result;
  };

  const breakpoints = scanBreakpoints(use, range, considered, compiled, score);
  // The most false positives removed, and of those the nearest value.
  const best = breakpoints.filter((s) => s.feasible).reduce<Score | undefined>((b, s) => (b === undefined || s.fpRemoved > b.fpRemoved ? s : b), undefined);
  const chosen = best && best.fpRemoved > 0 ? best : undefined;
  const evaluationAt = (shown: Score, to: number | null): ParamEvaluation => ({
    param: use.param,
    from: current,
    to,
    falsePositiveRemoved: shown.fpRemoved,
    falsePositiveTotal: fpTotal,
    benignPositiveRemoved: shown.bpRemoved,
    unreviewedRemoved: shown.unreviewedRemoved,
    truePositiveKept: shown.tpKept,
    truePositiveTotal: tpTotal,
    truePositiveUnknown: shown.tpUnknown,
    recall: round(tpTotal === 0 ? 1 : shown.tpKept / tpTotal, 4),
    incidentsPerDayBefore: round(considered.length / ctx.days, 2),
    incidentsPerDayAfter: round((considered.length - shown.removed.length) / ctx.days, 2),
    removedIncidents: to === null ? [] : shown.removed,
  });
  const evaluation = chosen ? evaluationAt(chosen, chosen.value) : evaluationAt(score(current), null);
  if (!chosen) evaluation.note = whyNoChange(fpTotal, best, score(range.nearest), ctx.guardrails.minRecall);
  else if (chosen.tpUnknown > 0) evaluation.note = `${chosen.tpUnknown} true positives undecidable from the facts (run with --replay for a whole-pipeline check)`;
  // What the whole-pipeline check searches: every value that removes a false positive by the rule's
  // facts, nearest first, whatever the forecast says of the true positives (another rule may keep them).
  const removing = breakpoints.filter((s) => s.fpRemoved > 0).map((s) => ({ value: s.value, evaluation: evaluationAt(s, s.value) }));
  return { evaluation, removing, breakpoints: breakpoints.map((s) => s.value) };
}

function whyNoChange(fpTotal: number, best: Score | undefined, nearest: Score, minRecall: number): string {
  if (fpTotal === 0) return 'no false-positive incidents (among those the current value still opens)';
  if (best === undefined && !nearest.feasible) {
    return nearest.tpUnknown > 0
      ? `the counterfactual cannot show that the true positives survive the smallest step (--replay checks it across the whole pipeline)`
      : `even the smallest step loses a confirmed true positive (min recall ${minRecall})`;
  }
  return 'no false-positive incident can be removed within the bounds and max step';
}

/** Only the values just past a false positive's breakpoint can remove more: each is scored (cheap), nearest first. */
function scanBreakpoints(use: ThresholdUse, range: CandidateRange, considered: readonly TuningIncident[], compiled: CompiledRule, score: (v: number) => Score): Score[] {
  const declared = compiled.rule.params[use.param]!;
  const values = new Set<number>();
  for (const i of considered) {
    if (i.verdict !== 'false_positive') continue;
    const point = breakpoint(use, i.record.facts);
    const value = point && firstBeyond(declared, range, point.value, point.inclusive);
    if (value !== undefined) values.add(value);
  }
  return [...values]
    .sort((a, b) => Math.abs(a - range.current) - Math.abs(b - range.current))
    .map(score);
}

function unchanged(param: string, value: number, incidents: readonly TuningIncident[], days: number, note: string): ParamEvaluation {
  const tpTotal = incidents.filter((i) => i.verdict === 'true_positive').length;
  return {
    param,
    from: value,
    to: null,
    falsePositiveRemoved: 0,
    falsePositiveTotal: incidents.filter((i) => i.verdict === 'false_positive').length,
    benignPositiveRemoved: 0,
    unreviewedRemoved: 0,
    truePositiveKept: tpTotal,
    truePositiveTotal: tpTotal,
    truePositiveUnknown: 0,
    recall: 1,
    incidentsPerDayBefore: round(incidents.length / days, 2),
    incidentsPerDayAfter: round(incidents.length / days, 2),
    removedIncidents: [],
    note,
  };
}

/** The rule's param that removes the most false positives; ties go to the smaller relative move, then the name. */
function bestOf(params: readonly ParamEvaluation[]): ParamEvaluation | undefined {
  const moves = params.filter((p) => p.to !== null && p.falsePositiveRemoved > 0);
  const relative = (p: ParamEvaluation) => Math.abs(p.to! - p.from) / (Math.abs(p.from) || 1);
  return moves.sort((a, b) => b.falsePositiveRemoved - a.falsePositiveRemoved || relative(a) - relative(b) || (a.param < b.param ? -1 : 1))[0];
}

/** What the incidents cover: from the later of `since` and the first incident to the newest event; at least a day. */
function effectivePeriod(period: TuneInput['period'], incidents: readonly TuningIncident[]): { fromMs: number | undefined; toMs: number | undefined; days: number } {
  const firsts = incidents.map((i) => Date.parse(i.record.firstSeen));
  const from = Math.max(period.fromMs ?? -Infinity, firsts.length > 0 ? Math.min(...firsts) : -Infinity);
  const to = period.toMs ?? (incidents.length > 0 ? Math.max(...incidents.map((i) => Date.parse(i.record.lastSeen))) : -Infinity);
  if (!Number.isFinite(from) || !Number.isFinite(to)) return { fromMs: undefined, toMs: undefined, days: 1 };
  return { fromMs: from, toMs: to, days: Math.max(1, (to - from) / DAY_MS) };
}
