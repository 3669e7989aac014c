/**
 * The string operators against json-rules-engine 7.3.1 with the same operators registered through its
 * engine.addOperator (a validator and a callback, as a user would), on random conditions (every
 * decorator combination, constants and fact references) and random alerts. Replay a failure with
 * ALERTGATE_DIFF_SEED / ALERTGATE_DIFF_PATH as in differential.property.test.ts.
 */
import fc from 'fast-check';
import { Engine, Operator, type TopLevelCondition as EngineCondition } from 'json-rules-engine';
import { expect, it } from 'vitest';
import { ALERT_FACTS } from '../../src/normalize/alert.js';
import { CompileError, compileCondition, type CompileOptions, type EvalContext } from '../../src/rules/compile/index.js';
import { STRING_OPERATOR_DEFINITIONS } from '../../src/rules/compile/string-operators.js';
import { OPERATOR_DECORATORS, STRING_OPERATORS, type Condition, type TopLevelCondition } from '../../src/rules/conditions.js';

const numRuns = Number(process.env.ALERTGATE_DIFF_RUNS ?? 1000);
const seed = process.env.ALERTGATE_DIFF_SEED;
const runOptions: fc.Parameters<unknown> = seed ? { numRuns, seed: Number(seed), path: process.env.ALERTGATE_DIFF_PATH } : { numRuns };

const options: CompileOptions = {
  resolveFact: (name) => (name === 'params' ? 'params' : ALERT_FACTS.includes(name) ? 'alert' : undefined),
  namedConditions: new Map(),
};

// Pools shared by alerts and conditions so that comparisons often hit: addresses in and out of the
// ranges (IPv4, IPv6, IPv4-mapped, not addresses), names and their prefixes in other cases, patterns.
const ADDRESSES = ['10.1.2.3', '10.255.0.1', '192.168.1.77', '8.8.8.8', '::ffff:10.1.2.3', '2001:db8::5', '2001:DB8:1::1', 'fe80::1%eth0', '10', '010.1.2.3', 'web-01', ''];
const RANGES = ['10.0.0.0/8', '192.168.1.77', '0.0.0.0/0', '2001:db8::/32', '::/0', '10.1.2.3/32', '192.168.0.0/16'];
const NAMES = ['sshd: authentication failed', 'SSHD: Authentication Failed', 'ET SCAN nmap', 'et scan NMAP', 'mimikatz.exe', ''];
const STRINGS = ['sshd', 'SSHD', 'failed', 'Failed', 'ET SCAN', 'et scan nmap', 'mimikatz.exe', 'MIMIKATZ.EXE', '', 'nmap'];
const PATTERNS = ['^sshd', '(?i)failed$', 'mimikatz\\.exe', 'a|b', '.*', '^$', '(?i)^et scan', '[0-9]+'];
const BAD = ['(a', '10.0.0.0/33', 'lan', '(?=x)', null, 3, true];

const text = fc.constantFrom(...ADDRESSES, ...RANGES, ...NAMES, ...STRINGS, ...PATTERNS);
const scalar = fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom<unknown>(...BAD) });

const operator = fc
  .tuple(fc.array(fc.constantFrom(...OPERATOR_DECORATORS), { maxLength: 2 }), fc.constantFrom(...STRING_OPERATORS))
  .map(([decorators, base]) => [...decorators, base].join(':'));

const factPaths: fc.Arbitrary<{ fact: string; path?: string }> = fc.constantFrom(
  { fact: 'name' },
  { fact: 'source' },
  { fact: 'tags' },
  { fact: 'entities', path: '$.src_ip' },
  { fact: 'entities', path: '$.host' },
  { fact: 'raw', path: '$.v' },
  { fact: 'raw', path: '$.list' },
  { fact: 'raw', path: '$.missing' },
);

const value = fc.oneof(
  { weight: 4, arbitrary: scalar },
  { weight: 3, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 2, arbitrary: factPaths },
);

const leaf = fc.tuple(factPaths, operator, value).map(([fact, op, v]) => ({ ...fact, operator: op, value: v }) as Condition);

function tree(depth: number): fc.Arbitrary<TopLevelCondition> {
  const child: fc.Arbitrary<Condition> = depth <= 1 ? leaf : fc.oneof({ weight: 3, arbitrary: leaf }, { weight: 1, arbitrary: tree(depth - 1) });
  return fc.oneof(
    fc.record({ all: fc.array(child, { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(child, { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: child }),
  ) as fc.Arbitrary<TopLevelCondition>;
}

const ctx: fc.Arbitrary<EvalContext> = fc.record({
  alert: fc.record({
    id: fc.constant('a1'),
    time: fc.constant('2026-11-20T10:00:00.000Z'),
    source: fc.constantFrom('wazuh', 'suricata', 'Wazuh'),
    name: fc.constantFrom(...NAMES),
    severity: fc.constant('medium'),
    severityOriginal: fc.constant(null),
    category: fc.constant('other'),
    entities: fc.record({ src_ip: fc.constantFrom(...ADDRESSES), host: fc.constantFrom('web-01', 'WEB-01', 'db-1') }, { requiredKeys: [] }),
    tags: fc.array(fc.constantFrom(...STRINGS), { maxLength: 3 }),
    raw: fc.record({ v: fc.oneof(text, fc.constantFrom<unknown>(null, 5, [], { a: 1 })), list: fc.array(text, { maxLength: 3 }) }, { requiredKeys: [] }),
  }),
  aggregates: fc.constant({}),
  params: fc.constant({}),
});

function engineWith(conditions: TopLevelCondition): Engine {
  const engine = new Engine();
  for (const name of STRING_OPERATORS) {
    const { compare, validator } = STRING_OPERATOR_DEFINITIONS[name];
    engine.addOperator(new Operator(name, compare, validator));
  }
  engine.addRule({ conditions: structuredClone(conditions) as EngineCondition, event: { type: 'fired' } });
  return engine;
}

it('decides as json-rules-engine with the same operators registered through addOperator', async () => {
  const stats = { compared: 0, fired: 0, rejectedAtLoad: 0, engineThrew: 0 };
  await fc.assert(
    fc.asyncProperty(tree(3), fc.array(ctx, { minLength: 1, maxLength: 3 }), async (conditions, contexts) => {
      let predicate;
      try {
        predicate = compileCondition(conditions, options);
      } catch (err) {
        // A constant pattern, range or prefix that cannot be compared with: refused when the rules load.
        if (!(err instanceof CompileError)) throw err;
        stats.rejectedAtLoad++;
        return;
      }
      for (const c of contexts) {
        // A fresh engine each time: after a run that threw, json-rules-engine answers no rule on the next.
        const engine = engineWith(conditions);
        const ours = predicate.test(c);
        expect(predicate.explain(c).result).toBe(ours);
        let theirs: boolean;
        try {
          theirs = (await engine.run({ ...c.alert })).results.length === 1;
        } catch {
          // Only the decorators throw (someValue on a value that is not an array): the leaf is false (docs/engine.md).
          stats.engineThrew++;
          continue;
        }
        expect(ours).toBe(theirs);
        stats.compared++;
        if (ours) stats.fired++;
      }
    }),
    runOptions,
  );
  // Every outcome must be reached, or the agreement says little.
  expect(stats.fired).toBeGreaterThan(numRuns / 20);
  expect(stats.compared - stats.fired).toBeGreaterThan(numRuns / 20);
  expect(stats.rejectedAtLoad).toBeGreaterThan(0);
}, 120_000);

it('regex, startsWith, endsWith and equalIgnoreCase agree with their JavaScript definitions on random strings', () => {
  const { regex, startsWith, endsWith, equalIgnoreCase } = STRING_OPERATOR_DEFINITIONS;
  const literal = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 12 }), fc.string({ unit: 'grapheme-ascii', maxLength: 4 }), (s, part) => {
      // An escaped literal pattern matches exactly where the text occurs; anchored, where it starts or ends.
      expect(regex.compare(s, literal(part))).toBe(s.includes(part));
      expect(regex.compare(s, `^${literal(part)}`)).toBe(startsWith.compare(s, part));
      expect(regex.compare(s, `${literal(part)}$`)).toBe(endsWith.compare(s, part));
      expect(equalIgnoreCase.compare(s, s.toUpperCase())).toBe(true);
      expect(equalIgnoreCase.compare(s, part)).toBe(s.toLowerCase() === part.toLowerCase());
    }),
    { numRuns },
  );
});
