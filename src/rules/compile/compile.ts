import type { TopLevelCondition } from '../conditions.js';
import { traceWriterOf } from './explain.js';
import { planCondition } from './plan.js';
import { testOf } from './predicate.js';
import type { CompileOptions, CompiledPredicate, ConditionTrace } from './types.js';

/**
 * Compiles a json-rules-engine condition into a synchronous predicate with json-rules-engine's
 * results (docs/engine.md). Throws CompileError for unknown facts, operators and condition
 * references, and for circular references: everything that could fail is found here, when rules load.
 */
export function compileCondition(condition: TopLevelCondition, options: CompileOptions): CompiledPredicate {
  const { plan, facts } = planCondition(condition, options);
  const explainJson = traceWriterOf(plan);
  return {
    test: testOf(plan, options.shared),
    explainJson,
    explain: (ctx) => JSON.parse(explainJson(ctx)) as ConditionTrace,
    facts,
  };
}
