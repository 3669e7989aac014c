import type { TopLevelCondition } from '../conditions.js';
import { explainPlan } from './explain.js';
import { planCondition } from './plan.js';
import { testOf } from './predicate.js';
import type { CompileOptions, CompiledPredicate } from './types.js';

/**
 * Compiles a json-rules-engine condition into a synchronous predicate with json-rules-engine's
 * results (docs/engine.md). Throws CompileError for unknown facts, operators and condition
 * references, and for circular references: everything that could fail is found here, when rules load.
 */
export function compileCondition(condition: TopLevelCondition, options: CompileOptions): CompiledPredicate {
  const { plan, facts } = planCondition(condition, options);
  return { test: testOf(plan), explain: (ctx) => explainPlan(plan, ctx), facts };
}
