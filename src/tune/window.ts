import { isFactReference } from '../rules/compile/facts.js';
import type { CompiledRule, CompiledRuleSet } from '../rules/ruleset.js';
import type { Rule } from '../rules/schema.js';
import { durationText, parseDuration } from '../state/index.js';
import { leavesOf } from './counterfactual.js';
import type { PipelineScore, PipelineSearch } from './pipeline-check.js';
import type { PipelineEvidence, RefusedWindow, RuleReport, WindowProposal } from './report.js';

/** The shares of the current window size tried, nearest first (docs/tuning.md, "Window changes"). */
export const WINDOW_SHARES = [3 / 4, 1 / 2] as const;

/** The rule set with one rule's window.size set to `sizeMs`: the window then counts something else, a new identity. */
export function withWindowSize(ruleset: CompiledRuleSet, ruleId: string, sizeMs: number): CompiledRuleSet {
  const size = durationText(sizeMs);
  const swap = (c: CompiledRule): CompiledRule =>
    c.rule.id !== ruleId || !c.window || !c.rule.window
      ? c
      : { ...c, rule: { ...c.rule, window: { ...c.rule.window, size } }, window: { ...c.window, sizeMs }, windowIdentity: `${c.windowIdentity}+size=${size}` };
  return { ...ruleset, promoteRules: ruleset.promoteRules.map(swap), fingerprint: `${ruleset.fingerprint}+${ruleId}.window=${size}` };
}

/**
 * Whether a smaller window can only make the rule fire on more alerts, never fewer: every condition that
 * reads a window aggregate compares an exact count or distinct count (neither grows when the window
 * shrinks) with `<` or `<=`, outside any `not`, against a param or a constant, and no condition reads
 * another aggregate or a named condition (not looked into). For such a rule (`seen <= maxSeen`) the
 * stricter window is a longer one: shrinking it is loosening, which the tuner never proposes.
 */
export function shrinkingLoosens(rule: Rule): boolean {
  const { aggregates } = rule;
  const readsWindow = (fact: string) => Object.hasOwn(aggregates, fact);
  const { leaves, named } = leavesOf(rule.conditions);
  if (named) return false;
  let compared = false;
  for (const { leaf, negated } of leaves) {
    if (isFactReference(leaf.value) && leaf.value.fact !== 'params' && readsWindow(leaf.value.fact)) return false;
    if (!readsWindow(leaf.fact)) continue;
    const aggregate = aggregates[leaf.fact]!;
    const shrinks = aggregate.kind === 'count' || (aggregate.kind === 'distinct' && aggregate.approximate !== true);
    if (!shrinks || negated || (leaf.operator !== 'lessThan' && leaf.operator !== 'lessThanInclusive')) return false;
    compared = true;
  }
  return compared;
}

/**
 * The sizes a window may shrink to: the shares of WINDOW_SHARES of the current size, whole
 * milliseconds, no smaller than maxStep allows, distinct and smaller than the current, nearest first.
 */
export function smallerSizes(sizeMs: number, maxStepShare: number): number[] {
  const sizes = WINDOW_SHARES.map((share) => Math.floor(sizeMs * share)).filter((ms) => ms > 0 && ms < sizeMs && ms >= sizeMs * (1 - maxStepShare) - 1e-9);
  return [...new Set(sizes)];
}

/**
 * For each windowed promote rule with false positives and no other change this run (not one with a
 * spike aggregate: its window size is its period, not how far back it counts), smaller windows across
 * the whole pipeline, nearest first, on top of the changes accepted before: the first at which
 * false-positive incidents drop, incidents do not grow and the true positives survive is taken.
 */
export function shrinkWindows(
  search: PipelineSearch,
  rules: readonly RuleReport[],
  maxStepShare: number,
  evidence: (before: PipelineScore, after: PipelineScore) => PipelineEvidence,
): { windows: WindowProposal[]; refusedWindows: RefusedWindow[] } {
  const windows: WindowProposal[] = [];
  const refusedWindows: RefusedWindow[] = [];
  for (const report of rules) {
    const compiled = search.accepted.promoteRules.find((r) => r.rule.id === report.ruleId);
    if (!compiled?.window || !compiled.rule.window || compiled.window.spike || report.falsePositive === 0 || shrinkingLoosens(compiled.rule)) continue;
    const from = compiled.rule.window.size;
    const tried: string[] = [];
    let last: ReturnType<PipelineSearch['consider']> | undefined;
    for (const sizeMs of smallerSizes(parseDuration(from), maxStepShare)) {
      tried.push(durationText(sizeMs));
      last = search.consider(withWindowSize(search.accepted, report.ruleId, sizeMs));
      if (last.refusal === undefined) break;
    }
    if (last === undefined) continue;
    const { ruleId, file, version } = report;
    if (last.refusal === undefined) windows.push({ ruleId, file, version, from, to: tried.at(-1)!, portability: 'carries-over', pipeline: evidence(last.before, last.after) });
    else refusedWindows.push({ ruleId, from, tried, reason: last.refusal, pipeline: evidence(last.before, last.after) });
  }
  return { windows, refusedWindows };
}
