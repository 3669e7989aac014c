import { EMPTY_GROUP_RESULT, type LeafPlan, type Plan } from './plan.js';
import type { ConditionTrace, EvalContext, FactTrace } from './types.js';

/**
 * Evaluates every branch, without short-circuiting, so an explanation shows each condition's
 * outcome; the results are the hot path's (same closures, same combination rules).
 */
export function explainPlan(plan: Plan, ctx: EvalContext): ConditionTrace {
  switch (plan.kind) {
    case 'fact':
      return explainLeaf(plan, ctx);
    case 'all':
    case 'any': {
      const children = plan.children.map((child) => explainPlan(child, ctx));
      const results = children.map((child) => child.result);
      const result = plan.kind === 'all' ? results.every(Boolean) : results.length === 0 ? EMPTY_GROUP_RESULT : results.some(Boolean);
      return { kind: plan.kind, name: plan.name, result, children };
    }
    case 'not': {
      const child = explainPlan(plan.child, ctx);
      return { kind: 'not', name: plan.name, result: !child.result, children: [child] };
    }
    case 'condition': {
      const target = explainPlan(plan.target, ctx);
      return { kind: 'condition', condition: plan.condition, name: plan.name, result: target.result, children: [target] };
    }
  }
}

function explainLeaf({ condition, read, compareTo, comparesFacts, operator }: LeafPlan, ctx: EvalContext): FactTrace {
  const { fact, path, operator: operatorName, value, name } = condition;
  // Resolved one step at a time so that, where json-rules-engine would throw, the trace keeps what was reached.
  let rhs: unknown;
  let lhs: unknown;
  let result = false;
  let error: string | undefined;
  try {
    rhs = compareTo(ctx);
    lhs = read(ctx);
    result = operator(lhs, rhs);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  // One object shape for every leaf (this runs for every decided alert); JSON omits the undefined keys.
  return {
    kind: 'fact',
    name,
    fact,
    path,
    operator: operatorName,
    value,
    factValue: lhs,
    compareTo: comparesFacts ? rhs : undefined,
    result,
    error,
  };
}
