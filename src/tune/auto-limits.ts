import { z } from 'zod';
import type { TuningConfig } from '../config/tuning.js';
import type { TuningChange } from '../ledger/records.js';
import type { CompiledRule, CompiledRuleSet } from '../rules/ruleset.js';
import type { TunableParam } from '../rules/schema.js';
import { parsePercent } from './candidates.js';
import { analyzeParams } from './counterfactual.js';

const DAY_MS = 86_400_000;

export type AutoGuardrails = Pick<TuningConfig['auto'], 'maxChangePerDay' | 'floors'>;

/** How far auto-tune may move one param in this run, and why no further. */
export const ParamLimit = z
  .object({
    ruleId: z.string(),
    param: z.string(),
    /** Its value now. */
    value: z.number(),
    direction: z.enum(['raise', 'lower']),
    /** The furthest value auto-tune may move it to in this run. */
    limit: z.number(),
    /** What sets the limit, the tightest (all that are equal): the param's own `max`/`min`, the floor, the day's change. */
    by: z.array(z.enum(['param', 'floor', 'maxChangePerDay'])),
    /** Its value before the changes of the last 24 hours (its value now when there were none). */
    dayStart: z.number(),
  })
  .strict();
export type ParamLimit = z.infer<typeof ParamLimit>;

/**
 * Auto-tune's guardrails as bounds the tuner already obeys: for each tunable param, its bound in the
 * stricter direction (`max` for a raised threshold, `min` for a lowered one) is tightened to the floor
 * (`tuning.auto.floors`) and to what is left of the day's change (`tuning.auto.maxChangePerDay`: the
 * value 24 hours ago, before the changes applied since, plus or minus that share of it; of `max − min`
 * when it was 0). The tuner then chooses among the values within them, with their evidence, rather
 * than a choice being cut back afterwards. A lowered `min` stays on the param's grid (the grid is
 * `min` plus whole steps). The ruleset is the tuner's input only: nothing is written.
 */
export function limitRuleset(
  ruleset: CompiledRuleSet,
  changes: readonly TuningChange[],
  guardrails: AutoGuardrails,
  nowMs: number,
): { ruleset: CompiledRuleSet; limits: ParamLimit[]; problems: string[] } {
  const share = parsePercent(guardrails.maxChangePerDay);
  const limits: ParamLimit[] = [];
  const limit = (compiled: CompiledRule): CompiledRule => {
    const { rule } = compiled;
    const params = { ...rule.params };
    for (const analysis of analyzeParams(rule)) {
      if (!analysis.tunable) continue;
      const { param, stricter: direction } = analysis;
      const declared = params[param]!;
      const dayStart = valueBefore(changes, rule.id, param, nowMs - DAY_MS) ?? declared.value;
      const span = (dayStart === 0 ? declared.max - declared.min : Math.abs(dayStart)) * share;
      const byDay = direction === 'raise' ? dayStart + span : dayStart - span;
      const floor = guardrails.floors[rule.id]?.[param];
      const tighter = (a: number, b: number) => (direction === 'raise' ? Math.min(a, b) : Math.max(a, b));
      const own = direction === 'raise' ? declared.max : declared.min;
      const bound = tighter(own, floor === undefined ? byDay : tighter(byDay, floor));
      const by = [...(bound === own ? ['param' as const] : []), ...(bound === floor ? ['floor' as const] : []), ...(bound === byDay ? ['maxChangePerDay' as const] : [])];
      params[param] = direction === 'raise' ? { ...declared, max: bound } : { ...declared, min: onGridAtOrAbove(declared, bound) };
      limits.push({ ruleId: rule.id, param, value: declared.value, direction, limit: direction === 'raise' ? params[param].max : params[param].min, by, dayStart });
    }
    return { ...compiled, rule: { ...rule, params } };
  };
  const known = new Map([...ruleset.promoteRules, ...ruleset.suppressRules].map((c) => [c.rule.id, c.rule] as const));
  const problems = Object.entries(guardrails.floors).flatMap(([ruleId, floors]) => {
    const rule = known.get(ruleId);
    if (!rule) return [`tuning.auto.floors.${ruleId}: no enabled rule has this id`];
    return Object.keys(floors)
      .filter((param) => !Object.hasOwn(rule.params, param))
      .map((param) => `tuning.auto.floors.${ruleId}.${param}: rule ${ruleId} has no param ${param}`);
  });
  return { ruleset: { ...ruleset, promoteRules: ruleset.promoteRules.map(limit), suppressRules: ruleset.suppressRules.map(limit) }, limits, problems };
}

/** The param's value before the first change (not reverted) applied to it after `sinceMs`; undefined when there is none. */
function valueBefore(changes: readonly TuningChange[], ruleId: string, param: string, sinceMs: number): number | undefined {
  const recent = changes.filter((c) => c.ruleId === ruleId && c.param === param && c.reverted === null && Date.parse(c.appliedAt) > sinceMs);
  recent.sort((a, b) => Date.parse(a.appliedAt) - Date.parse(b.appliedAt));
  return recent[0]?.from;
}

/** The smallest value of the param's grid (min plus whole steps) at or above `value`. */
function onGridAtOrAbove(param: TunableParam, value: number): number {
  const step = param.step ?? 1;
  const k = Math.ceil((value - param.min) / step - 1e-9);
  return Number((param.min + k * step).toFixed(12));
}
