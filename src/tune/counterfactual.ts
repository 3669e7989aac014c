import { isLeaf, type Condition, type LeafCondition } from '../rules/conditions.js';
import type { Rule } from '../rules/schema.js';

/**
 * Counterfactuals from recorded facts: would an incident still have opened with a stricter threshold?
 * An incident records, for each of its rule's aggregates, the value at the alert that opened it and
 * the peak over all its alerts (IncidentRecord.facts). Every one of its alerts satisfied the rule's
 * conditions at the params it ran with; only one param changes at a time, and only in the stricter
 * direction, so the alerts that would still fire are a subset of the incident's alerts.
 *
 * The answer is three-valued: `kept` and `removed` are certain; `unknown` means the facts cannot tell
 * (see docs/tuning.md, "Counterfactuals and their limits") and the tuner then counts neither a removal
 * nor a kept true positive. `alertgate tune --replay` re-runs the alerts instead, exactly.
 */
export type Survival = 'kept' | 'removed' | 'unknown';

/** The comparisons a threshold can be tuned in, and the direction that makes it stricter. */
const TUNABLE_OPERATORS = {
  greaterThanInclusive: 'raise',
  greaterThan: 'raise',
  lessThanInclusive: 'lower',
  lessThan: 'lower',
} as const;
type TunableOperator = keyof typeof TUNABLE_OPERATORS;

/** How a param is used: it is a threshold of one aggregate, in one leaf of the rule's conditions. */
export interface ThresholdUse {
  readonly param: string;
  readonly fact: string;
  readonly operator: TunableOperator;
  /** `raise`: a higher value promotes fewer alerts (`fact >= param`); `lower`: a lower one does (`fact <= param`). */
  readonly stricter: 'raise' | 'lower';
}

export type ParamAnalysis = ({ readonly tunable: true } & ThresholdUse) | { readonly tunable: false; readonly param: string; readonly why: string };

type Tri = 'T' | 'F' | 'U';

/** The param a `{fact: params, path: $.name}` value names, if it is one. */
function paramOf(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || (value as { fact?: unknown }).fact !== 'params') return undefined;
  return /^\$\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(String((value as { path?: unknown }).path))?.[1];
}

export interface Occurrence {
  readonly leaf: LeafCondition;
  /** Under an odd number of `not`s. */
  readonly negated: boolean;
}

/** Every leaf of a condition, in order, and whether the tree refers to a named condition (not looked into). */
export function leavesOf(condition: Condition, negated = false, out: { leaves: Occurrence[]; named: boolean } = { leaves: [], named: false }): { leaves: Occurrence[]; named: boolean } {
  if (isLeaf(condition)) out.leaves.push({ leaf: condition, negated });
  else if ('all' in condition) for (const c of condition.all) leavesOf(c, negated, out);
  else if ('any' in condition) for (const c of condition.any) leavesOf(c, negated, out);
  else if ('not' in condition) leavesOf(condition.not, !negated, out);
  else out.named = true;
  return out;
}

function occurrences(condition: Condition, param: string): Occurrence[] {
  return leavesOf(condition).leaves.filter(({ leaf }) => paramOf(leaf.value) === param || (leaf.fact === 'params' && leaf.path === `$.${param}`));
}

/** Whether each param of a rule can be tuned from facts, and how. */
export function analyzeParams(rule: Rule): ParamAnalysis[] {
  const aggregates = new Set(Object.keys(rule.aggregates));
  return Object.keys(rule.params)
    .sort()
    .map((param): ParamAnalysis => {
      const inMatch = rule.match ? occurrences(rule.match, param) : [];
      if (inMatch.length > 0) return { tunable: false, param, why: 'used in match (it changes what the window counts)' };
      const uses = occurrences(rule.conditions, param);
      if (uses.length === 0) return { tunable: false, param, why: 'not used in the conditions' };
      if (uses.length > 1) return { tunable: false, param, why: 'used in more than one condition' };
      const { leaf, negated } = uses[0]!;
      if (negated) return { tunable: false, param, why: 'used under not' };
      if (!aggregates.has(leaf.fact)) return { tunable: false, param, why: `compared with ${leaf.fact}, which is not one of the rule's aggregates` };
      if (!Object.hasOwn(TUNABLE_OPERATORS, leaf.operator)) return { tunable: false, param, why: `operator ${leaf.operator} is not a threshold (>=, >, <=, <)` };
      const operator = leaf.operator as TunableOperator;
      return { tunable: true, param, fact: leaf.fact, operator, stricter: TUNABLE_OPERATORS[operator] };
    });
}

function compare(operator: string, a: number, b: number): boolean | undefined {
  switch (operator) {
    case 'greaterThanInclusive':
      return a >= b;
    case 'greaterThan':
      return a > b;
    case 'lessThanInclusive':
      return a <= b;
    case 'lessThan':
      return a < b;
    default:
      return undefined;
  }
}

type Facts = Readonly<Record<string, Readonly<{ opened: number; peak: number }>>>;

/**
 * Whether some alert of the incident satisfied a condition other than the tuned leaf, from the facts:
 * a `>=`/`>` leaf on an aggregate held at some alert iff the peak passes; a `<=`/`<` one did if the
 * opening value passes (else unknown); alert fields, named conditions and `not` are unknown; `any`
 * is exact, `all` is certain only when false (its children may have held at different alerts).
 */
function some(condition: Condition, tuned: LeafCondition, tunedValue: Tri, facts: Facts, params: Readonly<Record<string, number>>): Tri {
  if (isLeaf(condition)) {
    if (condition === tuned) return tunedValue;
    const fact = facts[condition.fact];
    const threshold = paramOf(condition.value) !== undefined ? params[paramOf(condition.value)!] : condition.value;
    if (fact === undefined || typeof threshold !== 'number') return 'U';
    const raising = condition.operator === 'greaterThanInclusive' || condition.operator === 'greaterThan';
    const held = compare(condition.operator, raising ? fact.peak : fact.opened, threshold);
    if (held === undefined) return 'U';
    return held ? 'T' : raising ? 'F' : 'U';
  }
  if ('any' in condition) {
    const values = condition.any.map((c) => some(c, tuned, tunedValue, facts, params));
    return values.includes('T') ? 'T' : values.every((v) => v === 'F') ? 'F' : 'U';
  }
  if ('all' in condition) {
    const values = condition.all.map((c) => some(c, tuned, tunedValue, facts, params));
    if (values.includes('F')) return 'F';
    return values.length === 1 ? values[0]! : 'U';
  }
  return 'U';
}

/** The leaf of `rule.conditions` that compares `use.fact` with `use.param`. */
function tunedLeaf(rule: Rule, use: ThresholdUse): LeafCondition {
  return occurrences(rule.conditions, use.param)[0]!.leaf;
}

/**
 * Would an incident of `rule` (with these recorded facts) still open if `use.param` were `value`,
 * every other param at `params`? `value` must be at least as strict as the value the incident ran with.
 */
export function survives(rule: Rule, use: ThresholdUse, facts: Facts, params: Readonly<Record<string, number>>, value: number): Survival {
  const fact = facts[use.fact];
  if (fact === undefined) return 'unknown';
  let tunedValue: Tri;
  if (use.stricter === 'raise') {
    // Some alert reached the peak: it fires again under the new threshold, and nothing else changed for it.
    if (compare(use.operator, fact.peak, value)) return 'kept';
    tunedValue = 'F';
  } else {
    if (compare(use.operator, fact.opened, value)) return 'kept';
    // Only the opening value is known below the peak: another alert may have been low enough.
    tunedValue = compare(use.operator, fact.peak, value) ? 'T' : 'U';
    if (tunedValue === 'T') return 'kept';
  }
  const rest = some(rule.conditions, tunedLeaf(rule, use), tunedValue, facts, params);
  return rest === 'T' ? 'kept' : rest === 'F' ? 'removed' : 'unknown';
}

/**
 * The values at which an incident's survival can change: for `raise`, a threshold just above the
 * peak removes the incident's last firing alert for this leaf; for `lower`, just below the opening
 * value. The tuner only needs to try these (snapped to the param's step).
 */
export function breakpoint(use: ThresholdUse, facts: Facts): { value: number; inclusive: boolean } | undefined {
  const fact = facts[use.fact];
  if (fact === undefined) return undefined;
  switch (use.operator) {
    case 'greaterThanInclusive':
      return { value: fact.peak, inclusive: false }; // removed once value > peak
    case 'greaterThan':
      return { value: fact.peak, inclusive: true }; // removed once value >= peak
    case 'lessThanInclusive':
      return { value: fact.opened, inclusive: false }; // (maybe) removed once value < opened
    case 'lessThan':
      return { value: fact.opened, inclusive: true }; // once value <= opened
  }
}
