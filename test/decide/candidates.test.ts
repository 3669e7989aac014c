import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RuleCandidates } from '../../src/decide/candidates.js';
import { rule, ruleset } from '../helpers.js';

const NAMES = ['scan', 'brute', 'exfil'];
const SOURCES = ['ids', 'edr'];
const CATEGORIES = ['recon', 'malware'];

/** A rule whose match pins name, source or category (equal or in), or pins nothing. */
const pinnedRule = fc.oneof(
  fc.record({ fact: fc.constant('name'), operator: fc.constantFrom('equal', 'in'), values: fc.subarray(NAMES, { minLength: 1 }) }),
  fc.record({ fact: fc.constant('source'), operator: fc.constantFrom('equal', 'in'), values: fc.subarray(SOURCES, { minLength: 1 }) }),
  fc.record({ fact: fc.constant('category'), operator: fc.constantFrom('equal', 'in'), values: fc.subarray(CATEGORIES, { minLength: 1 }) }),
  fc.constant(undefined),
);

describe('rule candidates', () => {
  it('never leaves out a rule whose match holds, and lists candidates in evaluation order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(pinnedRule, { minLength: 1, maxLength: 8 }),
        fc.array(fc.record({ name: fc.constantFrom(...NAMES, 'other'), source: fc.constantFrom(...SOURCES), category: fc.constantFrom(...CATEGORIES) }), { maxLength: 20 }),
        async (pins, alerts) => {
          const files = Object.fromEntries(
            pins.map((pin, i) => [
              `r${i}.yaml`,
              rule({
                id: `r${i}`,
                priority: 1 + (i % 3),
                match: pin ? { all: [{ fact: pin.fact, operator: pin.operator, value: pin.operator === 'equal' ? pin.values[0] : pin.values }] } : { all: [] },
              }),
            ]),
          );
          const set = await ruleset(files);
          const index = new RuleCandidates(set.promoteRules);
          for (const a of alerts) {
            const alert = { ...a, severity: 'high', entities: {}, tags: [], raw: {} };
            const candidates = [...index.candidates(alert)];
            expect(candidates).toEqual([...new Set(candidates)].sort((x, y) => x - y));
            set.promoteRules.forEach((compiled, i) => {
              const holds = compiled.match!.test({ alert, aggregates: {}, params: {} });
              if (holds) expect(candidates).toContain(i);
            });
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
