/**
 * Differential tests: compiled predicates against json-rules-engine 7.3.1 itself on random rule sets
 * and alerts, and compiled paths against jsonpath-plus. Replay a failure with the seed and path
 * fast-check reports, running only the failing test (-t):
 *   ALERTGATE_DIFF_SEED=<seed> ALERTGATE_DIFF_PATH=<path> npx vitest run test/rules/differential.property.test.ts -t '<test name>'
 * ALERTGATE_DIFF_RUNS sets the number of runs (default 1000).
 */
import fc from 'fast-check';
import { Engine, type TopLevelCondition as EngineCondition } from 'json-rules-engine';
import { JSONPath } from 'jsonpath-plus';
import { expect, it } from 'vitest';
import { ALERT_FACTS, SEVERITIES } from '../../src/normalize/alert.js';
import { compileCondition, newAlertShare, pinnedValues, type CompileOptions, type EvalContext } from '../../src/rules/compile/index.js';
import { compilePath, nativeKeys } from '../../src/rules/compile/path.js';
import { BASE_OPERATORS, OPERATOR_DECORATORS, type Condition, type TopLevelCondition } from '../../src/rules/conditions.js';

const AGGREGATES = ['count', 'hosts'] as const;
const NAMED = ['n0', 'n1', 'n2'] as const;
const FACTS = [...ALERT_FACTS, ...AGGREGATES, 'params'];

/** fast-check options: a reported seed and path replay a failure; `scale` multiplies the runs for cheap properties. */
function runOptions(scale = 1): fc.Parameters<unknown> {
  const seed = process.env.ALERTGATE_DIFF_SEED;
  const numRuns = Number(process.env.ALERTGATE_DIFF_RUNS ?? 1000) * scale;
  return seed ? { numRuns, seed: Number(seed), path: process.env.ALERTGATE_DIFF_PATH } : { numRuns };
}

const options: CompileOptions = {
  resolveFact: (name) =>
    name === 'params' ? 'params' : (AGGREGATES as readonly string[]).includes(name) ? 'aggregate' : ALERT_FACTS.includes(name) ? 'alert' : undefined,
  namedConditions: new Map(),
};

// Small pools, shared by alerts and rules, so that comparisons often hit.
const scalar = fc.constantFrom<unknown>('a', 'b', 'web-1', 'high', 'scan', '10', '3.5', '12abc', '', 'undefined', 0, 1, 3, 10, -1, 3.5, true, false, null);
// "toString" makes objects without a primitive form: json-rules-engine throws on them in numeric and string operators.
const KEYS = ['a', 'b', 'n', 'x', 'list', 'host', 'a-b', 'toString'];

const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ maxDepth: 3, depthIdentifier: 'json' }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3, depthIdentifier: 'json' }),
  object: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 3, noNullPrototype: true, depthIdentifier: 'json' }),
})).value;

const PATHS = [
  // compiled natively
  '$', '$.host', "$['src_ip']", '$.missing', '$.a', '$.a.b', '$.a[0]', '$.a.0', '$.list[1]', '$[0]', '$.length', 'a.b', "$['a-b']",
  '$.n', '$.threshold', '$.toString', '$.constructor', '$.a.toString', '$.a[-1]', '$.a.length', '$.host.length', '$.host.0',
  // delegated to jsonpath-plus
  '$..x', '$.list[*]', '$[*]', '$.*', '$.list[?(@ > 1)]', '$[?(@.a)]', '$..a', '$.a[0,1]', '$.list[1:]', 'constructor',
];
const path = fc.constantFrom(...PATHS);

const operator = fc
  .tuple(fc.array(fc.constantFrom(...OPERATOR_DECORATORS), { maxLength: 2 }), fc.constantFrom(...BASE_OPERATORS))
  .map(([decorators, base]) => [...decorators, base].join(':'));

const fact = fc.constantFrom(...FACTS);
const factReference = fc.record({ fact, path }, { requiredKeys: ['fact'] });
const priority = fc.integer({ min: 1, max: 3 });

// Arrays often enough that in/notIn/someValue/everyValue mostly evaluate instead of throwing.
const value = fc.oneof(
  { weight: 3, arbitrary: scalar },
  { weight: 3, arbitrary: fc.array(json, { maxLength: 3 }) },
  { weight: 1, arbitrary: json },
  { weight: 2, arbitrary: factReference },
);

const leaf = fc.oneof(
  { weight: 6, arbitrary: fc.record({ fact, path, operator, value, priority }, { requiredKeys: ['fact', 'operator', 'value'] }) },
  // The shape pinnedValues indexes on, so that its guarantee gets checked often.
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.record({ fact: fc.constantFrom(...ALERT_FACTS), operator: fc.constant('equal'), value: scalar }),
      fc.record({ fact: fc.constantFrom(...ALERT_FACTS), operator: fc.constant('in'), value: fc.array(scalar, { maxLength: 3 }) }),
    ),
  },
);

/** Nested all/any/not up to `depth` levels, over leaves and references to the given named conditions. */
function topLevel(depth: number, names: readonly string[]): fc.Arbitrary<TopLevelCondition> {
  const child = depth <= 1 ? terminal(names) : fc.oneof({ weight: 2, arbitrary: terminal(names) }, { weight: 1, arbitrary: topLevel(depth - 1, names) });
  const groups: fc.Arbitrary<TopLevelCondition>[] = [
    fc.record({ all: fc.array(child, { maxLength: 3 }), priority }, { requiredKeys: ['all'] }),
    fc.record({ any: fc.array(child, { maxLength: 3 }), priority }, { requiredKeys: ['any'] }),
    fc.record({ not: child, priority }, { requiredKeys: ['not'] }),
  ];
  return names.length > 0 ? fc.oneof(...groups, reference(names)) : fc.oneof(...groups);
}

function terminal(names: readonly string[]): fc.Arbitrary<Condition> {
  return names.length > 0 ? fc.oneof({ weight: 5, arbitrary: leaf }, { weight: 1, arbitrary: reference(names) }) : leaf;
}

function reference(names: readonly string[]): fc.Arbitrary<TopLevelCondition> {
  return fc.record({ condition: fc.constantFrom(...names), priority }, { requiredKeys: ['condition'] });
}

// Each named condition may reference the ones before it: references, but no cycles.
const namedConditions = fc
  .tuple(...NAMED.map((_, i) => topLevel(2, NAMED.slice(0, i))))
  .map((conditions) => new Map(conditions.map((c, i) => [NAMED[i]!, c])));

const ruleSet = fc.array(fc.record({ priority, conditions: topLevel(3, NAMED) }), { minLength: 1, maxLength: 8 });

const alert = fc.record({
  id: fc.constantFrom('a1', 'a2'),
  time: fc.constant('2026-11-20T10:00:00.000Z'),
  source: fc.constantFrom('suricata', 'wazuh', 'a'),
  name: fc.constantFrom('ET SCAN', 'web-1', 'a'),
  severity: fc.constantFrom(...SEVERITIES),
  severityOriginal: fc.oneof(fc.constantFrom('high', '3', '3.5', 'x'), fc.constantFrom(1, 3, 10), fc.constant(null)),
  category: fc.constantFrom('scan', 'malware', ''),
  entities: fc.dictionary(fc.constantFrom('host', 'src_ip', 'user', 'a-b'), fc.constantFrom('web-1', 'a', '10', '10.0.0.1', ''), {
    maxKeys: 3,
    noNullPrototype: true,
  }),
  tags: fc.array(fc.constantFrom('a', 'b', 'scan', 'web-1', '10'), { maxLength: 4 }),
  raw: fc.dictionary(fc.constantFrom(...KEYS), json, { maxKeys: 4, noNullPrototype: true }),
});

const evalContext: fc.Arbitrary<EvalContext> = fc.record({
  alert,
  aggregates: fc.record({ count: fc.option(fc.constantFrom(0, 1, 3, 10, 12), { nil: undefined }), hosts: fc.option(fc.constantFrom(0, 2), { nil: undefined }) }),
  params: fc.record({ threshold: fc.constantFrom(1, 3, 10), minHosts: fc.constantFrom(0, 2) }),
});

interface Rule {
  readonly id: string;
  readonly priority: number;
  readonly conditions: TopLevelCondition;
}

/** json-rules-engine's runtime facts: every alert field, each aggregate and params. */
function factsOf({ alert, aggregates, params }: EvalContext): Record<string, unknown> {
  return { ...alert, ...aggregates, params };
}

function engineWith(rules: readonly Rule[], named: ReadonlyMap<string, TopLevelCondition>): Engine {
  const engine = new Engine();
  // Copies: json-rules-engine writes into the condition objects it is given.
  for (const [name, condition] of named) engine.setCondition(name, structuredClone(condition) as EngineCondition);
  for (const { id, priority, conditions } of rules) {
    engine.addRule({ name: id, priority, conditions: structuredClone(conditions) as EngineCondition, event: { type: id } });
  }
  return engine;
}

/** Fired rule ids in result order, or undefined when the run rejects. */
async function engineFired(engine: Engine, facts: Record<string, unknown>): Promise<string[] | undefined> {
  try {
    const { results } = await engine.run(facts);
    return results.map((r) => String(r.name));
  } catch {
    return undefined;
  }
}

const stats = { evaluations: 0, fired: 0, threw: 0, pinChecks: 0 };

it('agrees with json-rules-engine on random rule sets and alerts', async () => {
  await fc.assert(
    fc.asyncProperty(ruleSet, namedConditions, fc.array(evalContext, { minLength: 1, maxLength: 3 }), async (specs, named, contexts) => {
      const rules: Rule[] = specs.map((spec, i) => ({ id: `r${i}`, ...spec }));
      // The rules share their alert reads and leaves, as a loaded rule set's do (each remembers its last alert).
      const compileOptions: CompileOptions = { ...options, namedConditions: named, shared: newAlertShare() };
      const compiled = new Map(rules.map((r) => [r.id, compileCondition(r.conditions, compileOptions)]));
      const engine = engineWith(rules, named);
      // The first alert again at the end: shared reads must read it afresh after the others.
      for (const ctx of [...contexts, contexts[0]!]) {
        const facts = factsOf(ctx);
        let fired = await engineFired(engine, facts);
        const threw = new Set<string>();
        if (!fired) {
          // One rule's throw rejects the whole run: find the rules that threw and compare the others.
          fired = [];
          for (const rule of rules) {
            const alone = await engineFired(engineWith([rule], named), facts);
            if (alone) fired.push(...alone);
            else threw.add(rule.id);
          }
        }
        const ours = rules
          .filter((r) => !threw.has(r.id) && compiled.get(r.id)!.test(ctx))
          .sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1));
        expect(ours.map((r) => r.id).sort()).toEqual([...fired].sort());
        if (threw.size === 0) {
          const priorityOf = (id: string) => rules.find((r) => r.id === id)!.priority;
          expect(fired.map(priorityOf)).toEqual(ours.map((r) => r.priority));
        }
        for (const rule of rules) checkRule(rule, ctx, compiled.get(rule.id)!, compileOptions, threw.has(rule.id));
      }
    }),
    runOptions(),
  );
  // The generators must reach every outcome, or the agreement above says little.
  expect(stats.fired).toBeGreaterThan(0);
  expect(stats.evaluations - stats.fired - stats.threw).toBeGreaterThan(0);
  expect(stats.threw).toBeGreaterThan(0);
  expect(stats.pinChecks).toBeGreaterThan(0);
}, 120_000);

/** What holds for every rule, thrown or not: a boolean, an explanation that agrees, a sound pin. */
function checkRule(rule: Rule, ctx: EvalContext, predicate: ReturnType<typeof compileCondition>, opts: CompileOptions, threw: boolean) {
  const result = predicate.test(ctx);
  expect(typeof result).toBe('boolean');
  expect(predicate.explain(ctx).result).toBe(result);
  stats.evaluations++;
  if (threw) stats.threw++;
  else if (result) stats.fired++;
  const pin = pinnedValues(rule.conditions, opts);
  if (pin && !pin.values.includes(ctx.alert[pin.fact] as never)) {
    stats.pinChecks++;
    expect(result).toBe(false);
  }
}

// Keys where jsonpath-plus's own-property, falsy-value and string rules show: inherited names, string
// lengths and indices, negative and out-of-range indices, and keys that need quoting.
const PATH_KEYS = ['a', 'b', '0', '1', '-1', 'length', 'toString', 'constructor', '__proto__', 'a-b', 'a.b', ''];

const pathData: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ maxDepth: 4, depthIdentifier: 'data' }, fc.constantFrom<unknown>('', '', 'ab', 0, 1, false, null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3, depthIdentifier: 'data' }),
  object: fc.dictionary(fc.constantFrom(...PATH_KEYS), tie('value'), { maxKeys: 4, noNullPrototype: true, depthIdentifier: 'data' }),
})).value;

type PathStep = { follow: boolean; pick: number; key: string; style: 'dot' | 'bracket' | 'quoted' };
const pathStep: fc.Arbitrary<PathStep> = fc.record({
  follow: fc.boolean(),
  pick: fc.nat(),
  key: fc.constantFrom(...PATH_KEYS),
  style: fc.constantFrom('dot', 'bracket', 'quoted'),
});

/** A path that half the time follows a key the data has (string lengths and indices included), so deep reads happen. */
function pathInto(data: unknown): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom('$', ''), fc.array(pathStep, { maxLength: 4 })).map(([root, steps]) => {
    let at = data;
    let path = root;
    for (const { follow, pick, key: random, style } of steps) {
      const own = at != null && (typeof at === 'object' || typeof at === 'string') ? Object.getOwnPropertyNames(at) : [];
      const key = follow && own.length > 0 ? own[pick % own.length]! : random;
      path += style === 'dot' ? `.${key}` : style === 'bracket' ? `[${key}]` : `['${key}']`;
      at = at == null ? undefined : (at as Record<string, unknown>)[key];
    }
    return path.replace(/^\./, '') || '$';
  });
}

/** A value, or that the read threw: both sides must agree on either. */
function outcome(read: () => unknown): { value: unknown } | { threw: true } {
  try {
    return { value: read() };
  } catch {
    return { threw: true };
  }
}

it('reads paths as json-rules-engine does (native reads and jsonpath-plus agree)', () => {
  const dataAndPath = pathData.chain((data) =>
    fc.tuple(fc.constant(data), fc.oneof(pathInto(data), fc.constantFrom(...PATHS), fc.string({ maxLength: 8 }))),
  );
  fc.assert(
    fc.property(dataAndPath, ([data, path]) => {
      // almanac.factValue: jsonpath-plus on object fact values, the value itself otherwise.
      const expected = outcome(() => (data != null && typeof data === 'object' ? JSONPath({ path, json: data, wrap: false }) : data));
      const actual = outcome(() => compilePath(path)(data));
      // Native reads return the very value jsonpath-plus finds; delegated ones build fresh arrays.
      if (nativeKeys(path) && 'value' in expected && 'value' in actual) expect(actual.value).toBe(expected.value);
      else expect(actual).toStrictEqual(expected);
    }),
    runOptions(5),
  );
});
