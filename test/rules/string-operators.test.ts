import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/rules/problems.js';
import { alert, problemsOf, rule, ruleset, runPipeline } from '../helpers.js';
import { ALERT_FACTS } from '../../src/normalize/alert.js';
import { CompileError, compileCondition, type CompileOptions, type EvalContext } from '../../src/rules/compile/index.js';
import type { TopLevelCondition } from '../../src/rules/conditions.js';

const options: CompileOptions = {
  resolveFact: (name) => (name === 'params' ? 'params' : ALERT_FACTS.includes(name) ? 'alert' : undefined),
  namedConditions: new Map(),
};

/** One leaf on `raw.v` (any JSON value an alert may carry) against `value`. */
function holds(operator: string, fact: unknown, value: unknown): boolean {
  const condition = { all: [{ fact: 'raw', path: '$.v', operator, value }] } as TopLevelCondition;
  const ctx: EvalContext = { alert: { raw: { v: fact, ref: value } }, aggregates: {}, params: {} };
  return compileCondition(condition, options).test(ctx);
}

/** The same, with the value read from the alert (`raw.ref`): not checked when the rules load. */
function holdsAgainstFact(operator: string, fact: unknown, value: unknown): boolean {
  const condition = { all: [{ fact: 'raw', path: '$.v', operator, value: { fact: 'raw', path: '$.ref' } }] } as TopLevelCondition;
  return compileCondition(condition, options).test({ alert: { raw: { v: fact, ref: value } }, aggregates: {}, params: {} });
}

describe('string operators', () => {
  it('startsWith and endsWith compare case-sensitively; an empty prefix or suffix fits every string', () => {
    expect(holds('startsWith', 'sshd: authentication failed', 'sshd')).toBe(true);
    expect(holds('startsWith', 'SSHD: authentication failed', 'sshd')).toBe(false);
    expect(holds('endsWith', 'sshd: authentication failed', 'failed')).toBe(true);
    expect(holds('endsWith', 'sshd: authentication failed', 'sshd')).toBe(false);
    expect(holds('startsWith', 'anything', '')).toBe(true);
  });

  it('equalIgnoreCase compares the lowercase forms', () => {
    expect(holds('equalIgnoreCase', 'Administrator', 'administrator')).toBe(true);
    expect(holds('equalIgnoreCase', 'ÉCOLE', 'école')).toBe(true);
    expect(holds('equalIgnoreCase', 'admin', 'administrator')).toBe(false);
  });

  it('regex searches anywhere in the string with RE2 syntax; (?i) ignores case; ^ and $ anchor', () => {
    expect(holds('regex', 'sshd[123]: Failed password for root', 'Failed (password|publickey)')).toBe(true);
    expect(holds('regex', 'sshd[123]: failed password', '(?i)FAILED PASSWORD')).toBe(true);
    expect(holds('regex', 'sshd[123]: Failed password', '^Failed')).toBe(false);
    expect(holds('regex', 'mimikatz.exe', '^mimikatz\\.exe$')).toBe(true);
  });

  it('regex runs in linear time on a pattern that makes a backtracking engine explode', () => {
    const input = `${'a'.repeat(50_000)}!`;
    const started = performance.now();
    expect(holds('regex', input, '^(a+)+$')).toBe(false);
    // A backtracking engine needs 2^50000 steps here; RE2 one pass (milliseconds, whatever the machine).
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('inCidr matches IPv4 and IPv6 addresses against ranges and single addresses', () => {
    expect(holds('inCidr', '10.20.0.15', '10.0.0.0/8')).toBe(true);
    expect(holds('inCidr', '11.0.0.1', '10.0.0.0/8')).toBe(false);
    expect(holds('inCidr', '192.168.1.77', '192.168.1.77')).toBe(true);
    expect(holds('inCidr', '192.168.1.78', '192.168.1.77')).toBe(false);
    expect(holds('inCidr', '2001:db8:0:1::5', '2001:db8::/32')).toBe(true);
    expect(holds('inCidr', '2001:DB8::5', '2001:db8::/32')).toBe(true);
    expect(holds('inCidr', '2001:db9::5', '2001:db8::/32')).toBe(false);
    expect(holds('inCidr', '8.8.8.8', '0.0.0.0/0')).toBe(true);
    // Host bits in the range are ignored, as ip(8) and most tools do.
    expect(holds('inCidr', '10.9.9.9', '10.1.2.3/8')).toBe(true);
  });

  it('inCidr reads an IPv4-mapped IPv6 address as its IPv4 address, and never matches across families', () => {
    expect(holds('inCidr', '::ffff:10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(holds('inCidr', '10.1.2.3', '::/0')).toBe(false);
    expect(holds('inCidr', '2001:db8::1', '0.0.0.0/0')).toBe(false);
  });

  it('inCidr is false for a fact that is not an address in standard notation', () => {
    for (const notAnAddress of ['10', '0x0a.0.0.1', '010.0.0.1', '10.0.0.1/32', ' 10.0.0.1', 'web-01', '', '10.0.0.256']) {
      expect(holds('inCidr', notAnAddress, '0.0.0.0/0'), notAnAddress).toBe(false);
    }
  });

  it('someValue matches any of a list of ranges or patterns', () => {
    expect(holds('someValue:inCidr', '172.16.4.4', ['10.0.0.0/8', '172.16.0.0/12'])).toBe(true);
    expect(holds('someValue:inCidr', '8.8.8.8', ['10.0.0.0/8', '172.16.0.0/12'])).toBe(false);
    expect(holds('someValue:startsWith', 'ET SCAN nmap', ['ET SCAN', 'GPL SCAN'])).toBe(true);
  });

  it('a fact that is not a string makes every string operator false, and not: true, without throwing', () => {
    for (const operator of ['startsWith', 'endsWith', 'equalIgnoreCase', 'regex', 'inCidr']) {
      const value = operator === 'inCidr' ? '0.0.0.0/0' : operator === 'regex' ? '.*' : '';
      for (const fact of [null, undefined, 42, true, ['10.0.0.1'], { a: 'x' }]) {
        expect(holds(operator, fact, value), `${operator} ${JSON.stringify(fact)}`).toBe(false);
        expect(holds(`not:${operator}`, fact, value), `not:${operator} ${JSON.stringify(fact)}`).toBe(true);
      }
    }
  });

  it('a value read from the alert that is not a string, a pattern or a range makes the leaf false', () => {
    for (const operator of ['startsWith', 'endsWith', 'equalIgnoreCase', 'regex', 'inCidr']) {
      for (const value of [null, undefined, 7, ['x'], { a: 1 }]) expect(holdsAgainstFact(operator, 'x', value), `${operator} ${String(value)}`).toBe(false);
    }
    expect(holdsAgainstFact('regex', 'a(b', 'a(b')).toBe(false);
    expect(holdsAgainstFact('inCidr', '10.0.0.1', '10.0.0.0/33')).toBe(false);
    expect(holdsAgainstFact('inCidr', '10.0.0.1', '10.0.0.0/8')).toBe(true);
    expect(holdsAgainstFact('regex', 'abc', 'b')).toBe(true);
  });

  it('a constant that cannot be compared with is a compile error at the value, or at the list element', () => {
    const errorOf = (operator: string, value: unknown) => {
      try {
        compileCondition({ all: [{ fact: 'name', operator, value }] } as TopLevelCondition, options);
      } catch (err) {
        if (err instanceof CompileError) return `${err.pointer}: ${err.message}`;
        throw err;
      }
      return undefined;
    };
    expect(errorOf('inCidr', '10.0.0.0/33')).toMatch(/^\/all\/0\/value: "10\.0\.0\.0\/33" is not a CIDR range/);
    expect(errorOf('inCidr', '10.0.0/8')).toMatch(/is not a CIDR range/);
    expect(errorOf('inCidr', '2001:db8::/129')).toMatch(/is not a CIDR range/);
    expect(errorOf('someValue:inCidr', ['10.0.0.0/8', 'intranet'])).toMatch(/^\/all\/0\/value\/1: "intranet" is not a CIDR range/);
    expect(errorOf('regex', '(a')).toMatch(/^\/all\/0\/value: invalid regex \(RE2 syntax/);
    expect(errorOf('regex', '(a)\\1')).toMatch(/invalid regex.*\\1/);
    expect(errorOf('regex', '(?=a)b')).toMatch(/invalid regex/);
    expect(errorOf('not:regex', '(?<!a)b')).toMatch(/invalid regex/);
    expect(errorOf('startsWith', 5)).toMatch(/^\/all\/0\/value: expected a string value, got number/);
    expect(errorOf('equalIgnoreCase', null)).toMatch(/expected a string value, got null/);
    // swap puts the constant on the fact's side: it is the string looked at, not the pattern.
    expect(errorOf('swap:regex', '(a')).toBeUndefined();
    expect(errorOf('someValue:inCidr', ['10.0.0.0/8', '::1'])).toBeUndefined();
  });
});

describe('string operators in rule files', () => {
  it('a bad CIDR or regex in a rule is a load problem with file, pointer and line', async () => {
    const problems = await problemsOf({
      'r.yaml': [
        'id: internal-admin',
        'version: 1',
        'title: t',
        'owner: soc',
        'severity: high',
        'category: other',
        'decision: promote',
        'conditions:',
        '  all:',
        '    - { fact: entities, path: $.src_ip, operator: "someValue:inCidr", value: [10.0.0.0/8, 10.300.0.0/16] }',
        '    - { fact: name, operator: regex, value: "(?=sshd)" }',
      ].join('\n'),
    });
    const lines = problems.map(formatProblem);
    expect(lines).toContainEqual(expect.stringMatching(/r\.yaml: \/conditions\/all\/0\/value\/1: "10\.300\.0\.0\/16" is not a CIDR range.* \(line 10\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/r\.yaml: \/conditions\/all\/1\/value: invalid regex.* \(line 11\)$/));
  });

  it('a bad pattern in a named condition is located in its own file', async () => {
    const problems = await problemsOf({
      'c.yaml': { kind: 'conditions', conditions: { 'internal-source': { all: [{ fact: 'entities', path: '$.src_ip', operator: 'inCidr', value: 'lan' }] } } },
      'r.yaml': rule({ conditions: { condition: 'internal-source' } }),
    });
    expect(problems.map(formatProblem)).toContainEqual(expect.stringMatching(/c\.yaml: \/conditions\/internal-source\/all\/0\/value: "lan" is not a CIDR range/));
  });

  it('a rule with string operators decides alerts through the pipeline', async () => {
    const set = await ruleset({
      'r.yaml': rule({
        id: 'sshd-from-outside',
        conditions: {
          all: [
            { fact: 'name', operator: 'startsWith', value: 'sshd' },
            { fact: 'entities', path: '$.src_ip', operator: 'not:someValue:inCidr', value: ['10.0.0.0/8', 'fd00::/8'] },
            { fact: 'entities', path: '$.user', operator: 'regex', value: '(?i)^(root|admin)$' },
          ],
        },
      }),
    });
    const { decisions } = runPipeline(set, [
      alert({ id: 'outside', name: 'sshd: failed', entities: { src_ip: '198.51.100.4', user: 'Root' } }),
      alert({ id: 'inside', name: 'sshd: failed', entities: { src_ip: '10.1.1.1', user: 'root' } }),
      alert({ id: 'inside-v6', name: 'sshd: failed', entities: { src_ip: 'fd00::7', user: 'root' } }),
      alert({ id: 'other-user', name: 'sshd: failed', entities: { src_ip: '198.51.100.4', user: 'rooted' } }),
      alert({ id: 'no-address', name: 'sshd: failed', entities: { user: 'root' } }),
    ]);
    expect(decisions.map((d) => [d.alertId, d.decision])).toEqual([
      ['outside', 'promote'],
      ['inside', 'pass'],
      ['inside-v6', 'pass'],
      ['other-user', 'pass'],
      // No address: not in any range, so not:someValue:inCidr holds (documented).
      ['no-address', 'promote'],
    ]);
  });
});
