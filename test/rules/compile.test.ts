import { Engine, type TopLevelCondition as EngineCondition } from 'json-rules-engine';
import { describe, expect, it } from 'vitest';
import { ALERT_FACTS, type CanonicalAlert } from '../../src/normalize/alert.js';
import {
  CompileError,
  compileCondition,
  pinnedValues,
  type CompileOptions,
  type EvalContext,
  type FactTrace,
  type GroupTrace,
} from '../../src/rules/compile/index.js';
import type { TopLevelCondition } from '../../src/rules/conditions.js';

type Named = Record<string, TopLevelCondition>;

const AGGREGATES = ['count', 'hosts'];

function optionsWith(named: Named = {}): CompileOptions {
  return {
    resolveFact: (name) => (name === 'params' ? 'params' : AGGREGATES.includes(name) ? 'aggregate' : ALERT_FACTS.includes(name) ? 'alert' : undefined),
    namedConditions: new Map(Object.entries(named)),
  };
}

const ALERT: CanonicalAlert = {
  id: 'a1',
  time: '2026-11-20T10:00:00.000Z',
  source: 'suricata',
  name: 'ET SCAN',
  severity: 'high',
  severityOriginal: 3,
  category: 'scan',
  entities: { host: 'web-1', src_ip: '10.0.0.1' },
  tags: ['scan', 'external'],
  raw: { a: { b: [1, 2, 3] }, n: '12', s: 'abc', empty: '', 'a-b': 7, list: [{ x: 1 }, { x: 5 }] },
};

function contextWith(alert: Partial<CanonicalAlert> = {}): EvalContext {
  return { alert: { ...ALERT, ...alert }, aggregates: { count: 12, hosts: undefined }, params: { threshold: 10 } };
}

/** json-rules-engine's verdict on one rule with these conditions: fired, not, or the run threw. */
async function engineVerdict(conditions: TopLevelCondition, ctx: EvalContext, named: Named = {}): Promise<boolean | 'throws'> {
  const engine = new Engine();
  for (const [name, c] of Object.entries(named)) engine.setCondition(name, structuredClone(c) as EngineCondition);
  engine.addRule({ conditions: structuredClone(conditions) as EngineCondition, event: { type: 'fired' } });
  try {
    const { results } = await engine.run({ ...ctx.alert, ...ctx.aggregates, params: ctx.params });
    return results.length === 1;
  } catch {
    return 'throws';
  }
}

/** Asserts json-rules-engine and the compiled predicate (test and explain) both answer `expected`. */
async function expectBoth(conditions: TopLevelCondition, expected: boolean, ctx = contextWith(), named: Named = {}) {
  const compiled = compileCondition(conditions, optionsWith(named));
  expect(await engineVerdict(conditions, ctx, named)).toBe(expected);
  expect(compiled.test(ctx)).toBe(expected);
  expect(compiled.explain(ctx).result).toBe(expected);
}

function leafOn(factValue: unknown, operator: string, value: unknown): [TopLevelCondition, EvalContext] {
  return [{ all: [{ fact: 'raw', operator, value }] }, contextWith({ raw: factValue })];
}

describe('operators', () => {
  it.each([
    ['equal', 'a', 'a', true],
    ['equal', 1, '1', false],
    ['equal', null, null, true],
    ['notEqual', 'a', 'b', true],
    ['notEqual', 'a', 'a', false],
    ['in', 'a', ['a', 'b'], true],
    ['in', 'c', ['a', 'b'], false],
    ['in', 'web', 'web-1', true], // a string right-hand side matches substrings
    ['notIn', 'c', ['a'], true],
    ['notIn', 'a', ['a'], false],
    ['contains', ['a', 'b'], 'a', true],
    ['contains', 'abc', 'a', false], // the fact must be an array
    ['doesNotContain', ['a'], 'b', true],
    ['doesNotContain', 'abc', 'z', false],
    ['lessThan', 1, 2, true],
    ['lessThan', '1', 2, true], // parseFloat validator, then JS comparison
    ['lessThan', '12abc', 13, false], // passes the validator, but '12abc' < 13 is false
    ['lessThan', [5], 10, true],
    ['lessThan', null, 1, false],
    ['lessThanInclusive', 2, 2, true],
    ['greaterThan', 3, 2, true],
    ['greaterThan', '10', '9', false], // two numeric strings compare as strings
    ['greaterThanInclusive', 2, 2, true],
    ['greaterThanInclusive', 'x', 0, false],
  ])('%s: %j against %j is %s', async (operator, factValue, value, expected) => {
    const [condition, ctx] = leafOn(factValue, operator, value);
    await expectBoth(condition, expected, ctx);
  });
});

describe('decorators', () => {
  it.each([
    ['someFact:equal', [1, 2], 2, true],
    ['someFact:equal', 'ab', 'a', false], // the fact must be an array
    ['everyFact:greaterThan', [3, 4], 2, true],
    ['everyFact:greaterThan', [], 2, true],
    ['someValue:equal', 2, [1, 2], true],
    ['everyValue:lessThan', 1, [2, 3], true],
    ['everyValue:lessThan', 1, [], true],
    ['swap:in', ['a', 'b'], 'a', true],
    ['swap:contains', 'a', ['a'], true],
    ['swap:lessThan', 5, 1, true], // 1 < 5: the validator sees the value
    ['not:equal', 1, 2, true],
    ['not:not:equal', 1, 1, true],
    ['not:someFact:equal', [1], 2, true],
    ['someFact:someValue:equal', [1, 2], [2, 3], true],
    ['everyFact:not:in', [1, 2], [3], true],
    ['not:someFact:in', [], null, true], // an empty array never reaches the throwing `in`
  ])('%s: %j against %j is %s', async (operator, factValue, value, expected) => {
    const [condition, ctx] = leafOn(factValue, operator, value);
    await expectBoth(condition, expected, ctx);
  });
});

describe('groups', () => {
  const yes = { fact: 'severity', operator: 'equal', value: 'high' };
  const no = { fact: 'severity', operator: 'equal', value: 'low' };

  it.each([
    [{ all: [] }, true],
    [{ any: [] }, true], // json-rules-engine 7.3.1: an empty list is true, for any too
    [{ not: { any: [] } }, false],
    [{ all: [yes, no] }, false],
    [{ any: [no, yes] }, true],
    [{ not: no }, true],
    [{ all: [yes, { any: [no, { not: no }] }] }, true],
    [{ any: [{ ...no, priority: 3 }, { ...yes, priority: 1 }] }, true], // priority orders evaluation, not results
  ] as [TopLevelCondition, boolean][])('%j is %s', async (condition, expected) => {
    await expectBoth(condition, expected);
  });
});

describe('paths', () => {
  it.each([
    ['$.a.b', { a: { b: 1 } }, 1],
    ['$.a[0]', { a: [5] }, 5],
    ['$.a.0', { a: [5] }, 5],
    ["$['a-b']", { 'a-b': 2 }, 2],
    ["$['a.b']", { 'a.b': 3 }, 3],
    ['a.b', { a: { b: 1 } }, 1],
    ['$', { a: 1 }, { a: 1 }],
    ['$.s.length', { s: 'abc' }, 3], // strings expose indices and length
    ['$.s.0', { s: 'abc' }, 'a'],
    ['$.e.length', { e: '' }, undefined], // a falsy value stops the walk
    ['$.toString', {}, undefined], // own properties only
    ['$.a[-1]', { a: [1, 2] }, undefined],
    ['$.missing.b', { a: 1 }, undefined],
    ['$.list[*].x', { list: [{ x: 1 }] }, [1]], // wildcards return arrays, even of one
    ['$..x', { list: [{ x: 1 }, { x: 2 }] }, [1, 2]],
    ['$.list[?(@.x > 1)].x', { list: [{ x: 1 }, { x: 2 }] }, [2]],
    ['$.list[0,1]', { list: ['a', 'b'] }, ['a', 'b']],
    ['$.list[1:]', { list: ['a', 'b', 'c'] }, ['b', 'c']],
  ])('%s on %j reads %j, as json-rules-engine does', async (path, raw, expected) => {
    const condition: TopLevelCondition = { all: [{ fact: 'raw', path, operator: 'equal', value: null }] };
    const ctx = contextWith({ raw });
    const trace = compileCondition(condition, optionsWith()).explain(ctx) as GroupTrace;
    expect((trace.children[0] as FactTrace).factValue).toEqual(expected);
    const engine = new Engine();
    const { almanac } = await engine.run({ raw });
    expect(await almanac.factValue('raw', {}, path)).toEqual(expected);
  });

  it('applies a path only to objects: on a string fact it reads the fact itself', async () => {
    await expectBoth({ all: [{ fact: 'severity', path: '$.x', operator: 'equal', value: 'high' }] }, true);
  });

  it('reads the same object a native path finds, so fact-to-fact equal sees identity', async () => {
    await expectBoth({ all: [{ fact: 'raw', path: '$.a', operator: 'equal', value: { fact: 'raw', path: '$.a' } }] }, true);
    // jsonpath-plus builds a fresh array for a wildcard, on each side.
    await expectBoth({ all: [{ fact: 'raw', path: '$.a.b[*]', operator: 'equal', value: { fact: 'raw', path: '$.a.b[*]' } }] }, false);
  });
});

describe('fact references', () => {
  it.each([
    [{ fact: 'count', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.threshold' } }, true],
    [{ fact: 'tags', operator: 'contains', value: { fact: 'category' } }, true],
    [{ fact: 'severityOriginal', operator: 'lessThan', value: { fact: 'raw', path: '$.n' } }, true], // 3 < '12'
    [{ fact: 'entities', path: '$.host', operator: 'equal', value: { fact: 'raw', path: '$.missing' } }, false],
    [{ fact: 'hosts', operator: 'equal', value: { fact: 'raw', path: '$.missing' } }, true], // undefined aggregate === undefined
  ])('%j is %s', async (leaf, expected) => {
    await expectBoth({ all: [leaf] }, expected);
  });

  it('compares a constant object by identity, against json-rules-engine’s private copy', async () => {
    const shared = { x: 1 };
    const ctx = contextWith({ raw: [shared] });
    const condition: TopLevelCondition = { all: [{ fact: 'raw', operator: 'contains', value: shared }] };
    expect(await engineVerdict(condition, ctx)).toBe(false);
    expect(compileCondition(condition, optionsWith()).test(ctx)).toBe(false);
  });

  it('drops keys json-rules-engine’s clone drops (names of Object.prototype members)', async () => {
    // Without its toString key, the value has a primitive form again, so the comparison does not throw.
    const value = [JSON.parse('{"toString": "a"}')];
    await expectBoth({ all: [{ fact: 'time', operator: 'lessThan', value }] }, true);
  });

  it('turns a "__proto__" key into the prototype, as json-rules-engine’s clone does', async () => {
    const value = JSON.parse('{"__proto__": [3]}');
    await expectBoth({ all: [{ fact: 'severityOriginal', operator: 'in', value }] }, true);
  });
});

describe('condition references', () => {
  const named: Named = {
    isScan: { all: [{ fact: 'category', operator: 'equal', value: 'scan' }] },
    isLoud: { any: [{ condition: 'isScan' }, { fact: 'count', operator: 'greaterThan', value: 100 }] },
  };

  it.each([
    [{ all: [{ condition: 'isScan' }] }, true],
    [{ condition: 'isLoud' }, true],
    [{ not: { condition: 'isLoud' } }, false],
    [{ any: [{ condition: 'isScan' }, { condition: 'isScan' }] }, true],
  ] as [TopLevelCondition, boolean][])('%j is %s', async (condition, expected) => {
    await expectBoth(condition, expected, contextWith(), named);
  });

  it('explains a reference with the named condition’s trace', () => {
    const trace = compileCondition({ not: { condition: 'isScan' } }, optionsWith(named)).explain(contextWith());
    expect(trace).toEqual({
      kind: 'not',
      result: false,
      children: [
        {
          kind: 'condition',
          condition: 'isScan',
          result: true,
          children: [
            {
              kind: 'all',
              result: true,
              children: [{ kind: 'fact', fact: 'category', operator: 'equal', value: 'scan', factValue: 'scan', result: true }],
            },
          ],
        },
      ],
    });
  });

  it('lists the facts read, through references and fact references', () => {
    const compiled = compileCondition(
      { all: [{ condition: 'isLoud' }, { fact: 'tags', operator: 'contains', value: { fact: 'params', path: '$.x' } }] },
      optionsWith(named),
    );
    expect([...compiled.facts].sort()).toEqual(['category', 'count', 'params', 'tags']);
  });
});

describe('compile errors', () => {
  const ok = { fact: 'severity', operator: 'equal', value: 'high' };

  function compileErrorOf(condition: TopLevelCondition, named: Named = {}): CompileError {
    try {
      compileCondition(condition, optionsWith(named));
    } catch (err) {
      if (err instanceof CompileError) return err;
      throw err;
    }
    throw new Error('expected a CompileError');
  }

  it.each([
    ['an unknown fact', { all: [ok, ok, { fact: 'nope', operator: 'equal', value: 1 }] }, {}, '/all/2/fact', /unknown fact "nope"/],
    ['an unknown fact in a fact reference', { any: [{ ...ok, value: { fact: 'nope' } }] }, {}, '/any/0/value/fact', /unknown fact "nope"/],
    ['an unknown operator', { not: { ...ok, operator: 'sortOf:equal' } }, {}, '/not/operator', /unknown operator "sortOf:equal"/],
    ['an unknown condition', { all: [{ not: { condition: 'missing' } }] }, { other: { all: [] } }, '/all/0/not/condition', /unknown condition "missing"; defined: other/],
    ['a condition referencing itself', { all: [{ condition: 'a' }] }, { a: { any: [{ condition: 'a' }] } }, '/all/0/condition', /circular condition reference: a → a/],
    [
      'a reference cycle',
      { any: [ok, { condition: 'a' }] },
      { a: { not: { condition: 'b' } }, b: { all: [{ condition: 'a' }] } },
      '/any/1/condition',
      /in condition "a" at \/not\/condition: in condition "b" at \/all\/0\/condition: circular condition reference: a → b → a/,
    ],
    [
      'an unknown fact inside a named condition',
      { condition: 'a' },
      { a: { all: [ok, { fact: 'nope', operator: 'equal', value: 1 }] } },
      '/condition',
      /in condition "a" at \/all\/1\/fact: unknown fact "nope"/,
    ],
  ] as [string, TopLevelCondition, Named, string, RegExp][])('rejects %s at its pointer', (_, condition, named, pointer, message) => {
    const err = compileErrorOf(condition, named);
    expect(err.pointer).toBe(pointer);
    expect(err.message).toMatch(message);
  });

  it('compiles a named condition used twice once, and a diamond is not a cycle', () => {
    const named: Named = { leaf: { all: [ok] }, left: { condition: 'leaf' }, right: { not: { condition: 'leaf' } } };
    const compiled = compileCondition({ any: [{ condition: 'left' }, { condition: 'right' }] }, optionsWith(named));
    expect(compiled.test(contextWith())).toBe(true);
  });
});

/**
 * Where json-rules-engine throws at run time, the throwing leaf is false, decorators included.
 * Each row is the same as a row of the table in docs/engine.md.
 */
describe('where json-rules-engine throws', () => {
  const toStringObject = JSON.parse('{"toString": 1}');

  it.each([
    ['in with a null value', { fact: 'source', operator: 'in', value: null }, {}],
    ['notIn with a number value', { fact: 'source', operator: 'notIn', value: 3 }, {}],
    ['not:in with a null value (false, not true)', { fact: 'source', operator: 'not:in', value: null }, {}],
    ['swap:in on a number fact', { fact: 'severityOriginal', operator: 'swap:in', value: 3 }, {}],
    ['someFact:in with a null value on a non-empty array', { fact: 'tags', operator: 'someFact:in', value: null }, {}],
    ['someValue with a string value', { fact: 'source', operator: 'someValue:equal', value: 'suricata' }, {}],
    ['everyValue with a null value', { fact: 'source', operator: 'everyValue:equal', value: null }, {}],
    ['not:someValue with an object value', { fact: 'source', operator: 'not:someValue:equal', value: { a: 1 } }, {}],
    ['a numeric operator on a value without a primitive form', { fact: 'raw', operator: 'lessThan', value: 1 }, { raw: toStringObject }],
    ['in with a string value, fact without a primitive form', { fact: 'raw', operator: 'in', value: 'abc' }, { raw: toStringObject }],
    ['a path named like an Object.prototype member', { fact: 'raw', path: 'constructor', operator: 'notEqual', value: 1 }, {}],
    ['a path with a #n placeholder', { fact: 'raw', path: '$[#0]', operator: 'notEqual', value: 1 }, {}],
    ['a filter the safe evaluator rejects', { fact: 'raw', path: '$[?(@.x >>>= 1)]', operator: 'notEqual', value: 1 }, {}],
    ['a fact reference whose path throws', { fact: 'source', operator: 'notEqual', value: { fact: 'raw', path: 'constructor' } }, {}],
  ] as [string, object, Partial<CanonicalAlert>][])('%s', async (_, leaf, alert) => {
    const condition = { all: [leaf] } as TopLevelCondition;
    const ctx = contextWith(alert);
    expect(await engineVerdict(condition, ctx)).toBe('throws');
    const compiled = compileCondition(condition, optionsWith());
    expect(compiled.test(ctx)).toBe(false);
    const trace = compiled.explain(ctx);
    expect(trace.result).toBe(false);
    expect(((trace as GroupTrace).children[0] as FactTrace).error).toEqual(expect.any(String));
  });

  it('keeps the rest of the tree: a throwing leaf is one false leaf', () => {
    const throwing = { fact: 'source', operator: 'in', value: null };
    const ok = { fact: 'severity', operator: 'equal', value: 'high' };
    const compiled = (c: TopLevelCondition) => compileCondition(c, optionsWith()).test(contextWith());
    expect(compiled({ any: [throwing, ok] })).toBe(true);
    expect(compiled({ not: throwing })).toBe(true);
    expect(compiled({ all: [ok, throwing] })).toBe(false);
  });
});

describe('explain', () => {
  it('shows every branch, values as resolved, and is JSON', () => {
    const condition: TopLevelCondition = {
      any: [
        { fact: 'entities', path: '$.host', operator: 'equal', value: 'db-1', name: 'db host' },
        { fact: 'count', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.threshold' } },
      ],
    };
    const trace = compileCondition(condition, optionsWith()).explain(contextWith());
    expect(trace).toEqual({
      kind: 'any',
      result: true,
      children: [
        { kind: 'fact', name: 'db host', fact: 'entities', path: '$.host', operator: 'equal', value: 'db-1', factValue: 'web-1', result: false },
        {
          kind: 'fact',
          fact: 'count',
          operator: 'greaterThanInclusive',
          value: { fact: 'params', path: '$.threshold' },
          factValue: 12,
          compareTo: 10,
          result: true,
        },
      ],
    });
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
  });
});

describe('pinnedValues', () => {
  const pin = (c: TopLevelCondition) => pinnedValues(c, optionsWith());

  it.each([
    ['equal on an alert fact', { all: [{ fact: 'name', operator: 'equal', value: 'ET SCAN' }] }, { fact: 'name', values: ['ET SCAN'] }],
    ['in, through nested alls', { all: [{ all: [{ fact: 'source', operator: 'in', value: ['a', 'b'] }] }] }, { fact: 'source', values: ['a', 'b'] }],
    [
      'the preferred fact among several',
      {
        all: [
          { fact: 'severity', operator: 'equal', value: 'high' },
          { fact: 'id', operator: 'equal', value: 'x' },
          { fact: 'category', operator: 'in', value: ['scan'] },
          { fact: 'source', operator: 'equal', value: 'suricata' },
        ],
      },
      { fact: 'source', values: ['suricata'] },
    ],
    ['a fact outside the preferred list', { all: [{ fact: 'severityOriginal', operator: 'equal', value: 3 }] }, { fact: 'severityOriginal', values: [3] }],
  ] as [string, TopLevelCondition, unknown][])('pins %s', (_, condition, expected) => {
    expect(pin(condition)).toEqual(expected);
  });

  it.each([
    ['an any', { any: [{ fact: 'name', operator: 'equal', value: 'x' }] }],
    ['an all under an any', { any: [{ all: [{ fact: 'name', operator: 'equal', value: 'x' }] }] }],
    ['a not', { not: { fact: 'name', operator: 'notEqual', value: 'x' } }],
    ['a path', { all: [{ fact: 'entities', path: '$.host', operator: 'equal', value: 'x' }] }],
    ['a decorated operator', { all: [{ fact: 'name', operator: 'not:equal', value: 'x' }] }],
    ['a fact reference', { all: [{ fact: 'name', operator: 'equal', value: { fact: 'source' } }] }],
    ['null', { all: [{ fact: 'severityOriginal', operator: 'equal', value: null }] }],
    ['an in with a non-constant member', { all: [{ fact: 'name', operator: 'in', value: ['x', null] }] }],
    ['an aggregate', { all: [{ fact: 'count', operator: 'equal', value: 3 }] }],
    ['a condition reference', { all: [{ condition: 'x' }] }],
  ] as [string, TopLevelCondition][])('does not pin %s', (_, condition) => {
    expect(pin(condition)).toBeUndefined();
  });

  it('guarantees: an alert whose value is not pinned fails the condition', () => {
    const condition: TopLevelCondition = {
      all: [{ fact: 'source', operator: 'in', value: ['wazuh', 'zeek'] }, { any: [] }, { fact: 'severity', operator: 'notEqual', value: 'x' }],
    };
    const compiled = compileCondition(condition, optionsWith());
    const pinned = pin(condition)!;
    for (const source of ['suricata', 'wazuh', 'zeek', 'Wazuh']) {
      const fired = compiled.test(contextWith({ source }));
      if (!pinned.values.includes(source)) expect(fired).toBe(false);
      else expect(fired).toBe(true);
    }
  });
});
