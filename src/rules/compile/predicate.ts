import { EMPTY_GROUP_RESULT, type LeafPlan, type Plan } from './plan.js';
import type { EvalContext } from './types.js';

/** The hot path: one synchronous closure per condition node. */
export type Test = (ctx: EvalContext) => boolean;

/**
 * Children run in written order. json-rules-engine orders them by priority first, which only
 * changes where it short-circuits, never the result (the leaves are pure).
 */
export function testOf(plan: Plan): Test {
  switch (plan.kind) {
    case 'fact':
      return leafTest(plan);
    case 'all':
      return allOf(plan.children.map(testOf));
    case 'any':
      return anyOf(plan.children.map(testOf));
    case 'not': {
      const child = testOf(plan.child);
      return (ctx) => !child(ctx);
    }
    case 'condition':
      return testOf(plan.target);
  }
}

function leafTest({ read, compareTo, operator }: LeafPlan): Test {
  return (ctx) => {
    // Where json-rules-engine would throw, the whole leaf is false, decorators included (docs/engine.md).
    try {
      return operator(read(ctx), compareTo(ctx));
    } catch {
      return false;
    }
  };
}

function allOf(tests: readonly Test[]): Test {
  if (tests.length === 1) return tests[0]!;
  return (ctx) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(ctx)) return false;
    return true;
  };
}

function anyOf(tests: readonly Test[]): Test {
  if (tests.length === 0) return () => EMPTY_GROUP_RESULT;
  if (tests.length === 1) return tests[0]!;
  return (ctx) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(ctx)) return true;
    return false;
  };
}
