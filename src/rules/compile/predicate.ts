import { EMPTY_GROUP_RESULT, type LeafPlan, type Plan } from './plan.js';
import { sharedByAlert, type AlertShare, type Test } from './shared.js';

/**
 * Children run in written order. json-rules-engine orders them by priority first, which only
 * changes where it short-circuits, never the result (the leaves are pure). `shared`: leaves of an
 * alert fact against a constant come from there (evaluated once per alert for the whole rule set).
 */
export function testOf(plan: Plan, shared?: AlertShare): Test {
  const childTest = (child: Plan) => testOf(child, shared);
  switch (plan.kind) {
    case 'fact':
      return shared && plan.shareKey !== undefined ? sharedByAlert(shared.tests, plan.shareKey, () => leafTest(plan)) : leafTest(plan);
    case 'all':
      return allOf(plan.children.map(childTest));
    case 'any':
      return anyOf(plan.children.map(childTest));
    case 'not': {
      const child = childTest(plan.child);
      return (ctx) => !child(ctx);
    }
    case 'condition':
      return childTest(plan.target);
  }
}

function leafTest({ read, compareTo, comparesFacts, constant, operator }: LeafPlan): Test {
  return (ctx) => {
    // Where json-rules-engine would throw, the whole leaf is false, decorators included (docs/engine.md).
    try {
      // A constant is passed as it is, without a call to compareTo: most leaves compare with one.
      return operator(read(ctx), comparesFacts ? compareTo(ctx) : constant);
    } catch {
      return false;
    }
  };
}

/**
 * Groups of two or three (most rules' are) as one expression each, without the loop: a fifth less
 * time on the 50-rule bench pack (README, "Startup and the CLI path").
 */
function allOf(tests: readonly Test[]): Test {
  if (tests.length === 1) return tests[0]!;
  if (tests.length === 2) {
    const [a, b] = tests as [Test, Test];
    return (ctx) => a(ctx) && b(ctx);
  }
  if (tests.length === 3) {
    const [a, b, c] = tests as [Test, Test, Test];
    return (ctx) => a(ctx) && b(ctx) && c(ctx);
  }
  return (ctx) => {
    for (let i = 0; i < tests.length; i++) if (!tests[i]!(ctx)) return false;
    return true;
  };
}

function anyOf(tests: readonly Test[]): Test {
  if (tests.length === 0) return () => EMPTY_GROUP_RESULT;
  if (tests.length === 1) return tests[0]!;
  if (tests.length === 2) {
    const [a, b] = tests as [Test, Test];
    return (ctx) => a(ctx) || b(ctx);
  }
  return (ctx) => {
    for (let i = 0; i < tests.length; i++) if (tests[i]!(ctx)) return true;
    return false;
  };
}
