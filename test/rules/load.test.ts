import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/rules/problems.js';
import { loadRules } from '../../src/rules/load.js';
import { problemsOf, rule, ruleset, writeRules, YAML_ALIAS_BOMB } from '../helpers.js';

describe('loading rule files', () => {
  it('loads YAML and JSON rules, multi-document files and lists, in precedence order', async () => {
    const set = await ruleset({
      'a.yaml': rule({ id: 'low-priority', priority: 1 }),
      'b.json': JSON.stringify([rule({ id: 'high-priority', priority: 5 }), rule({ id: 'suppressor', decision: 'suppress' })]),
      'c.yaml': `${'id: z-second\nversion: 1\ntitle: t\nowner: o\nseverity: low\ncategory: other\ndecision: promote\nconditions: {all: []}\n'}---\n${'id: a-second\nversion: 1\ntitle: t\nowner: o\nseverity: low\ncategory: other\ndecision: promote\nconditions: {all: []}\n'}`,
    });
    expect(set.promoteRules.map((r) => r.rule.id)).toEqual(['high-priority', 'a-second', 'low-priority', 'z-second']);
    expect(set.suppressRules.map((r) => r.rule.id)).toEqual(['suppressor']);
  });

  it('skips the tests/ folder, where scenario files live', async () => {
    const set = await ruleset({ 'r.yaml': rule({}), 'tests/scenario.yaml': { name: 'not a rule' } });
    expect(set.promoteRules).toHaveLength(1);
  });

  it('names file, JSON pointer and YAML line for each schema problem', async () => {
    const dir = writeRules({
      'bad.yaml': [
        'id: brute',
        'version: 1',
        'title: Brute force',
        'owner: soc',
        'severity: urgent',
        'category: other',
        'decision: promote',
        'conditions:',
        '  all:',
        '    - fact: severity',
        '      operator: equalz',
        '      value: high',
      ].join('\n'),
    });
    const result = await loadRules(dir);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const lines = result.problems.map(formatProblem);
    expect(lines).toContainEqual(expect.stringMatching(/bad\.yaml: \/severity: .* \(line 5\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/bad\.yaml: \/conditions\/all\/0\/operator: unknown operator.* \(line 11\)$/));
  });

  it('reports YAML syntax errors with their line', async () => {
    const problems = await problemsOf({ 'broken.yaml': 'id: x\nconditions: [\n  - a\nversion: 1\n' });
    expect(problems[0]!.message).toMatch(/^syntax: /);
    expect(problems[0]!.line).toBeGreaterThan(0);
  });

  it('rejects unknown facts, unknown named conditions and undeclared params with pointers', async () => {
    const problems = await problemsOf({
      'r.yaml': rule({
        params: { minCount: { value: 5, min: 1, max: 10 } },
        conditions: {
          all: [
            { fact: 'sevrity', operator: 'equal', value: 'high' },
            { condition: 'no-such-condition' },
            { fact: 'severity', operator: 'equal', value: { fact: 'params', path: '$.minCont' } },
          ],
        },
      }),
    });
    const pointers = problems.map((p) => `${p.pointer} ${p.message}`);
    expect(pointers).toContainEqual(expect.stringMatching(/^\/conditions\/all\/0\/fact .*sevrity/));
    expect(pointers).toContainEqual(expect.stringMatching(/^\/conditions\/all\/2\/value\/path params has no "minCont"/));
  });

  it('rejects aggregates read from match conditions, which run before the window', async () => {
    const problems = await problemsOf({
      'r.yaml': rule({
        match: { all: [{ fact: 'hits', operator: 'greaterThan', value: 1 }] },
        window: { groupBy: ['entities.src_ip'], size: '5m' },
        aggregates: { hits: { kind: 'count' } },
      }),
    });
    expect(problems.map((p) => p.pointer)).toContain('/match/all/0/fact');
  });

  it('checks params stay within their bounds and on their step', async () => {
    const problems = await problemsOf({
      'r.yaml': rule({ params: { minCount: { value: 50, min: 1, max: 10 }, step: { value: 4, min: 1, max: 10, step: 2 } } }),
    });
    expect(problems.map((p) => p.pointer)).toEqual(expect.arrayContaining(['/params/minCount/value', '/params/step/value']));
  });

  it('rejects duplicate ids across files, and windows without aggregates', async () => {
    const problems = await problemsOf({
      'a.yaml': rule({ id: 'same' }),
      'b.yaml': rule({ id: 'same' }),
      'c.yaml': rule({ id: 'c', window: { groupBy: ['entities.host'], size: '5m' }, match: { all: [] } }),
    });
    const messages = problems.map(formatProblem);
    expect(messages).toContainEqual(expect.stringMatching(/b\.yaml: \/id: duplicate id "same"/));
    expect(messages).toContainEqual(expect.stringMatching(/c\.yaml: \/aggregates: a window without aggregates/));
  });

  it('takes field paths with bracketed keys, and names a malformed one', async () => {
    const incident = { groupBy: ['raw.output_fields["container.name"]', 'entities.host'], window: '1h' };
    await expect(ruleset({ 'r.yaml': rule({ incident }) })).resolves.toBeDefined();
    const problems = await problemsOf({ 'r.yaml': rule({ incident: { groupBy: ['raw.output_fields["proc.name"'], window: '1h' } }) });
    expect(problems.map(formatProblem)).toContainEqual(
      expect.stringMatching(/r\.yaml: \/incident\/groupBy\/0: a quoted key not followed by "]" at character 18; expected an alert field path such as entities\.src_ip/),
    );
    const notAField = await problemsOf({ 'r.yaml': rule({ incident: { groupBy: ['["entities"].host'], window: '1h' } }) });
    expect(notAField.map(formatProblem)).toContainEqual(expect.stringMatching(/\/incident\/groupBy\/0: expected an alert field path such as entities\.src_ip/));
  });

  it('locates a duration too large to count in milliseconds, as a schema problem', async () => {
    const problems = await problemsOf({
      'r.yaml': rule({ window: { groupBy: ['entities.host'], size: '99999999999999999d' }, aggregates: { hits: { kind: 'count' } }, match: { all: [] } }),
    });
    expect(problems.map(formatProblem)).toContainEqual(expect.stringMatching(/^.*r\.yaml: \/window\/size: invalid duration "99999999999999999d": too large to count in milliseconds \(line \d+\)$/));
  });

  it('a file removed between listing and reading is a located problem, not an ENOENT thrown out of loadRules (it crashed a reloading worker)', async () => {
    const dir = writeRules({ 'a.yaml': rule({ id: 'a' }), 'b.yaml': rule({ id: 'b' }) });
    // The file system for real: b.yaml is listed, then removed just before it is read.
    const read = async (file: string) => {
      if (file.endsWith('b.yaml')) rmSync(file);
      return readFile(file, 'utf8');
    };
    const result = await loadRules(dir, { read });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
      `${join(dir, 'b.yaml')}: /: cannot read the file (ENOENT): it was removed or renamed while the rules were loading; the next load reads the directory as it is then`,
    ]);
    // The next load sees the directory as it is now.
    const again = await loadRules(dir);
    expect(again.ok && again.ruleset.promoteRules.map((r) => r.rule.id)).toEqual(['a']);
  });

  it('an alias bomb and a cyclic alias are located problems, whatever else the directory holds', async () => {
    const problems = await problemsOf({
      'bomb.yaml': YAML_ALIAS_BOMB,
      'list.yaml': `- &base ${JSON.stringify(rule({ id: 'one' }))}\n- &loop {id: two, self: *loop}\n`,
      'good.yaml': rule({ id: 'good' }),
    });
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(/bomb\.yaml: \/: aliases expand too far \(over maxAliasCount 100; .*Excessive alias count.*\): write the values out, or alias less \(line 2\)$/),
      expect.stringMatching(/list\.yaml: \/: alias \*loop is inside the node it refers to, a value that never ends: write the value out \(line 2\)$/),
    ]);
  });

  it('resolves aliases in list-form files (items were built without their document: an alias came out as {source})', async () => {
    const aliased = await ruleset({ 'list.yaml': '- id: one\n  version: 1\n  title: t\n  owner: soc\n  severity: high\n  category: other\n  decision: promote\n  conditions: &high {all: [{fact: severity, operator: equal, value: high}]}\n- id: two\n  version: 1\n  title: t\n  owner: soc\n  severity: high\n  category: other\n  decision: promote\n  conditions: *high\n' });
    expect(aliased.promoteRules.map((r) => [r.rule.id, r.rule.conditions])).toEqual([
      ['one', { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] }],
      ['two', { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] }],
    ]);
  });

  it('rejects unknown keys, naming the key', async () => {
    const problems = await problemsOf({ 'r.yaml': rule({ threshold: 5 }) });
    expect(problems.map((p) => p.pointer)).toContain('/threshold');
  });

  it('never half-loads: one bad file fails the whole directory', async () => {
    const result = await loadRules(writeRules({ 'good.yaml': rule({ id: 'good' }), 'bad.yaml': rule({ id: 'bad', severity: 'nope' }) }));
    expect(result.ok).toBe(false);
  });

  it('reports an empty or missing directory', async () => {
    const result = await loadRules('/nonexistent/rules');
    expect(result.ok).toBe(false);
    const empty = await loadRules(writeRules({}));
    expect(empty.ok ? [] : empty.problems.map((p) => p.message)).toContainEqual(expect.stringMatching(/no rule files/));
  });

  it('resolves named conditions shared across files', async () => {
    const set = await ruleset({
      'conditions.yaml': { kind: 'conditions', conditions: { 'is-high': { any: [{ fact: 'severity', operator: 'in', value: ['high', 'critical'] }] } } },
      'r.yaml': rule({ conditions: { all: [{ condition: 'is-high' }] } }),
    });
    const compiled = set.promoteRules[0]!;
    const ctx = (severity: string) => ({ alert: { severity }, aggregates: {}, params: {} });
    expect(compiled.conditions.test(ctx('critical'))).toBe(true);
    expect(compiled.conditions.test(ctx('low'))).toBe(false);
  });
});

describe('schema and reference problems in one pass (validate said the reference ones only once the schema ones were fixed)', () => {
  const pointersOf = async (files: Record<string, unknown>) => (await problemsOf(files)).map((p) => `${p.pointer}: ${p.message}`);

  it('a rule without its owner that reads an unknown fact and an undeclared param: all three at once', async () => {
    const { owner: _owner, ...ownerless } = rule({
      params: { minCount: { value: 5, min: 1, max: 10 } },
      match: { all: [{ fact: 'sevrity', operator: 'equal', value: 'high' }] },
      window: { groupBy: ['entities.host'], size: '5m' },
      aggregates: { hits: { kind: 'count' } },
      conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minCont' } }] },
    });
    // In the order of their lines: the missing owner at the rule's first line, then conditions, then match.
    expect(await pointersOf({ 'r.yaml': ownerless })).toEqual([
      '/owner: missing; this key is required',
      '/conditions/all/0/value/path: params has no "minCont"; declared: minCount',
      expect.stringMatching(/^\/match\/all\/0\/fact: unknown fact "sevrity"/),
    ]);
  });

  it('checks what parsed and only that: a broken condition, params or aggregates add no second, invented problem', async () => {
    // The schema problem is inside the conditions: it is reported once, and the conditions are not compiled.
    expect(await pointersOf({ 'r.yaml': rule({ severity: 'urgent', conditions: { all: [{ fact: 'nope', operator: 'equalz', value: 1 }] } }) })).toEqual([
      expect.stringMatching(/^\/severity: /),
      expect.stringMatching(/^\/conditions\/all\/0\/operator: unknown operator/),
    ]);
    // Declared names count even when their definitions are wrong; a params that is not a map is not guessed at.
    expect(
      await pointersOf({
        'r.yaml': rule({
          params: { minCount: { value: 50, min: 1, max: 10 } },
          match: { all: [] },
          window: { groupBy: ['entities.host'], size: '5m' },
          aggregates: { hits: { kind: 'median' } },
          conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minCount' } }] },
        }),
      }),
    ).toEqual([expect.stringMatching(/^\/params\/minCount\/value: /), expect.stringMatching(/^\/aggregates\/hits\/kind: /)]);
    expect(await pointersOf({ 'r.yaml': rule({ params: [1], conditions: { all: [{ fact: 'severity', operator: 'equal', value: { fact: 'params', path: '$.x' } }] } }) })).toEqual([
      expect.stringMatching(/^\/params: /),
    ]);
  });

  it('a reference to a named condition whose file failed its schema is not reported as unknown too', async () => {
    const problems = await problemsOf({
      'conditions.yaml': { kind: 'conditions', conditions: { 'is-high': { any: [{ fact: 'severity', operator: 'in', value: ['high'] }] } }, extra: true },
      'r.yaml': rule({ conditions: { all: [{ condition: 'is-high' }] } }),
    });
    expect(problems.map(formatProblem)).toEqual([expect.stringMatching(/conditions\.yaml: \/extra: /)]);
  });
});
