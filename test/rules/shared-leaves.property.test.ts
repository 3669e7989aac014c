/**
 * A loaded rule set shares its alert-fact reads and its leaves of an alert fact against a constant
 * (src/rules/compile/shared.ts): each is evaluated once per alert for all the rules. Sharing must
 * never change a result: rule sets drawn from a small pool of leaves that differ in one part only
 * (fact, path, operator, constant, the constant's type) decide every alert as the same rules compiled
 * without sharing (which test/rules/differential.property.test.ts holds to json-rules-engine).
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ALERT_FACTS } from '../../src/normalize/alert.js';
import { compileCondition, newAlertShare, type CompileOptions, type EvalContext } from '../../src/rules/compile/index.js';
import type { TopLevelCondition } from '../../src/rules/conditions.js';

const options: CompileOptions = {
  resolveFact: (name) => (name === 'params' ? 'params' : ALERT_FACTS.includes(name) ? 'alert' : undefined),
  namedConditions: new Map(),
};

// Constants that look alike in one way or another: 1 and "1", 0 and -0, a value and the array of it.
const constant = fc.constantFrom<unknown>(1, '1', 0, -0, true, 'true', null, 'null', [1], ['1'], [1, '1'], [], 'a', ['a']);
const leaf = fc.record({
  fact: fc.constantFrom('raw', 'severity', 'tags'),
  path: fc.constantFrom(undefined, '', '$.a', '$.b', '$..a'),
  operator: fc.constantFrom('equal', 'notEqual', 'in', 'notIn', 'contains', 'lessThan', 'greaterThanInclusive', 'someFact:equal', 'not:in', 'swap:in'),
  value: constant,
}, { requiredKeys: ['fact', 'operator', 'value'] });
const condition: fc.Arbitrary<TopLevelCondition> = fc.oneof(
  fc.record({ all: fc.array(leaf, { minLength: 1, maxLength: 3 }) }),
  fc.record({ any: fc.array(leaf, { minLength: 1, maxLength: 3 }) }),
  fc.record({ not: leaf }),
);

const field = fc.constantFrom<unknown>(1, '1', 0, true, 'true', null, 'a', [1], ['1', 'a'], { a: 1, b: '1' }, { a: [1], b: ['a'] }, { a: 'a' });
const context: fc.Arbitrary<EvalContext> = fc.record({ raw: field, severity: field, tags: field }).map((fields) => ({
  alert: { id: 'a', time: '2026-11-20T10:00:00.000Z', source: 's', name: 'n', category: 'c', entities: {}, severityOriginal: null, ...fields },
  aggregates: {},
  params: {},
}));

it('shared leaves and reads decide as unshared ones', () => {
  let shared = 0;
  fc.assert(
    fc.property(fc.array(condition, { minLength: 2, maxLength: 10 }), fc.array(context, { minLength: 1, maxLength: 3 }), (conditions, contexts) => {
      const share = newAlertShare();
      const withShare = conditions.map((c) => compileCondition(c, { ...options, shared: share }));
      const alone = conditions.map((c) => compileCondition(c, options));
      const uses = conditions.flatMap((c) => ('all' in c ? c.all : 'any' in c ? c.any : 'not' in c ? [c.not] : [])).length;
      if (share.tests.size < uses) shared++;
      // The first alert again at the end: what is remembered of the others must not answer for it.
      for (const ctx of [...contexts, contexts[0]!]) {
        expect(withShare.map((p) => p.test(ctx))).toEqual(alone.map((p) => p.test(ctx)));
      }
    }),
    { numRuns: 2000 },
  );
  // About half the rule sets drawn share some leaf (2000 runs: 1000 ± 25), or this says little.
  expect(shared).toBeGreaterThan(600);
});
