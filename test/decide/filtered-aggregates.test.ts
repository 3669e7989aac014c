import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/rules/problems.js';
import { Evaluator } from '../../src/decide/evaluator.js';
import { alert, at, problemsOf, rule, ruleset, runPipeline } from '../helpers.js';

const SSHD = { all: [{ fact: 'name', operator: 'startsWith', value: 'sshd' }] };

/** Failed logins and other alerts on one host: counts only the sshd ones, and their users and bytes. */
const HOST_RULE = rule({
  id: 'sshd-on-host',
  match: { all: [{ fact: 'source', operator: 'equal', value: 'wazuh' }] },
  window: { groupBy: ['entities.host'], size: '10m' },
  aggregates: {
    everything: { kind: 'count' },
    sshd: { kind: 'count', where: SSHD },
    sshdUsers: { kind: 'distinct', field: 'entities.user', where: SSHD },
    sshdBytes: { kind: 'sum', field: 'raw.bytes', where: SSHD },
  },
  conditions: { all: [{ fact: 'sshd', operator: 'greaterThanInclusive', value: 3 }] },
});

const wazuh = (id: string, minute: number, name: string, user = 'root', bytes = 10) =>
  alert({ id, time: at(minute), source: 'wazuh', name, entities: { host: 'web-01', user }, raw: { bytes } });

describe('filtered aggregates (where)', () => {
  it('count, distinct and sum take only the alerts their where holds for; the others still count for the rest', async () => {
    const set = await ruleset({ 'r.yaml': HOST_RULE });
    const { decisions } = runPipeline(set, [
      wazuh('s1', 0, 'sshd: authentication failed', 'root', 100),
      wazuh('o1', 1, 'rootcheck: file modified', 'root', 5000),
      wazuh('s2', 2, 'sshd: authentication failed', 'admin', 100),
      wazuh('o2', 3, 'syscheck: integrity changed', 'bob', 5000),
      wazuh('s3', 4, 'sshd: authentication failed', 'admin', 100),
      // An sshd alert from another detector is not picked by match: it counts nowhere.
      alert({ id: 'elsewhere', time: at(5), source: 'suricata', name: 'sshd: authentication failed', entities: { host: 'web-01', user: 'eve' } }),
      // 10 minutes after s1: s1 has left the window.
      wazuh('s4', 10, 'sshd: authentication failed', 'eve', 100),
    ]);
    const byId = new Map(decisions.map((d) => [d.alertId, d]));
    const aggregatesOf = (id: string) => byId.get(id)!.explanation.aggregates ?? byId.get(id)!.explanation.nearMisses?.[0]?.aggregates;
    expect(aggregatesOf('o2')).toEqual({ everything: 4, sshd: 2, sshdUsers: 2, sshdBytes: 200 });
    expect(byId.get('s2')!.decision).toBe('pass');
    expect(byId.get('s3')!.decision).toBe('promote');
    expect(aggregatesOf('s3')).toEqual({ everything: 5, sshd: 3, sshdUsers: 2, sshdBytes: 300 });
    expect(aggregatesOf('s4')).toEqual({ everything: 5, sshd: 3, sshdUsers: 2, sshdBytes: 300 });
    expect(byId.get('elsewhere')!.explanation.nearMisses ?? []).toEqual([]);
  });

  it('where reads params, named conditions and the string operators, like match', async () => {
    const set = await ruleset({
      'c.yaml': { kind: 'conditions', conditions: { internal: { all: [{ fact: 'entities', path: '$.src_ip', operator: 'inCidr', value: '10.0.0.0/8' }] } } },
      'r.yaml': rule({
        id: 'outside-logins',
        params: { minOutside: { value: 2, min: 1, max: 10 } },
        match: { all: [{ fact: 'name', operator: 'equal', value: 'login' }] },
        window: { groupBy: ['entities.user'], size: '1h' },
        aggregates: { outside: { kind: 'count', where: { not: { condition: 'internal' } } } },
        conditions: { all: [{ fact: 'outside', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minOutside' } }] },
      }),
    });
    const login = (id: string, minute: number, src_ip: string) => alert({ id, time: at(minute), name: 'login', entities: { user: 'alice', src_ip } });
    const { decisions } = runPipeline(set, [login('a', 0, '10.1.1.1'), login('b', 1, '198.51.100.9'), login('c', 2, '10.2.2.2'), login('d', 3, '203.0.113.5')]);
    expect(decisions.map((d) => d.decision)).toEqual(['pass', 'pass', 'pass', 'promote']);
  });

  it('a late alert is decided over the window with its own where, and not recorded, as for any aggregate', async () => {
    const set = await ruleset({ 'r.yaml': HOST_RULE });
    const evaluator = new Evaluator(set);
    const normalized = (id: string, minute: number, name: string) => {
      const a = wazuh(id, minute, name) as { time: string };
      return { alert: { ...a, id, severity: 'medium', severityOriginal: null, category: 'other', tags: [], raw: {} } as never, timeMs: Date.parse(a.time) };
    };
    evaluator.evaluate(normalized('s1', 0, 'sshd: x'));
    evaluator.evaluate(normalized('o1', 30, 'other'));
    const late = evaluator.evaluate(normalized('s-late', 5, 'sshd: y'));
    expect(late.late).toBe(true);
    const next = evaluator.evaluate(normalized('s2', 31, 'sshd: z'));
    expect(next.kind === 'none' && next.nearMisses[0]!.aggregates).toEqual({ everything: 2, sshd: 1, sshdUsers: 1, sshdBytes: 0 });
  });

  it('a filtered count equals the count of a rule whose match also requires the where (random streams)', async () => {
    const names = ['sshd: failed', 'sshd: accepted', 'ET SCAN', 'rootcheck'];
    const match = { all: [{ fact: 'severity', operator: 'notEqual', value: 'low' }] };
    const window = { groupBy: ['entities.host'], size: '10m', allowedLateness: '2m' };
    const filtered = await ruleset({
      'r.yaml': rule({ id: 'f', match, window, aggregates: { n: { kind: 'count', where: SSHD }, all: { kind: 'count' }, users: { kind: 'distinct', field: 'entities.user', where: SSHD } }, conditions: { all: [] } }),
    });
    const narrowed = await ruleset({
      'r.yaml': rule({ id: 'n', match: { all: [match, SSHD] }, window, aggregates: { n: { kind: 'count' }, users: { kind: 'distinct', field: 'entities.user' } }, conditions: { all: [] } }),
    });
    const stream = fc.array(
      fc.record({ minute: fc.integer({ min: 0, max: 60 }), jitter: fc.oneof(fc.constant(0), fc.integer({ min: -6, max: 0 })), name: fc.constantFrom(...names), host: fc.constantFrom('a', 'b'), user: fc.constantFrom('u1', 'u2', 'u3'), severity: fc.constantFrom('low', 'medium', 'high') }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(stream, (items) => {
        const alerts = items
          .sort((x, y) => x.minute - y.minute)
          .map((it, i) => alert({ id: `a${i}`, time: at(it.minute + it.jitter), name: it.name, severity: it.severity, entities: { host: it.host, user: it.user } }));
        const ours = runPipeline(filtered, alerts).decisions;
        const theirs = new Map(runPipeline(narrowed, alerts).decisions.map((d) => [d.alertId, d.explanation.aggregates]));
        for (const d of ours) {
          const a = d.explanation.aggregates;
          if (!a) continue;
          expect(a.n!).toBeLessThanOrEqual(a.all!);
          const other = theirs.get(d.alertId);
          // Where both rules counted the alert, the filtered aggregates are the narrowed rule's.
          if (other) expect({ n: a.n, users: a.users }).toEqual(other);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('problems in a where are located under its aggregate: unknown facts, aggregates, undeclared params', async () => {
    const problems = await problemsOf({
      'r.yaml': rule({
        match: { all: [] },
        window: { groupBy: ['entities.host'], size: '10m' },
        aggregates: {
          a: { kind: 'count', where: { all: [{ fact: 'nmae', operator: 'equal', value: 'x' }] } },
          b: { kind: 'sum', field: 'raw.bytes', where: { all: [{ fact: 'a', operator: 'greaterThan', value: 1 }] } },
          c: { kind: 'count', where: { all: [{ fact: 'severity', operator: 'equal', value: { fact: 'params', path: '$.nope' } }] } },
          d: { kind: 'count', where: { fact: 'name', operator: 'equal', value: 'x' } },
        },
        conditions: { all: [] },
      }),
    });
    const lines = problems.map(formatProblem);
    expect(lines).toContainEqual(expect.stringMatching(/\/aggregates\/a\/where\/all\/0\/fact: unknown fact "nmae"/));
    expect(lines).toContainEqual(expect.stringMatching(/\/aggregates\/b\/where\/all\/0\/fact: unknown fact "a"/));
    expect(lines).toContainEqual(expect.stringMatching(/\/aggregates\/c\/where\/all\/0\/value\/path: params has no "nope"/));
    expect(lines).toContainEqual(expect.stringMatching(/\/aggregates\/d\/where: a condition needs one of: all, any, not, condition/));
  });

  it('changing a where starts the window afresh on reload (and restore, by the same identity); the same where keeps it', async () => {
    const set = await ruleset({ 'r.yaml': HOST_RULE });
    const changed = await ruleset({ 'r.yaml': { ...HOST_RULE, aggregates: { ...(HOST_RULE.aggregates as object), sshd: { kind: 'count', where: { all: [{ fact: 'name', operator: 'startsWith', value: 'sshd:' }] } } } } });
    const same = await ruleset({ 'r.yaml': { ...HOST_RULE, title: 'renamed' } });
    const evaluator = new Evaluator(set);
    expect(evaluator.reload(same)).toEqual({ kept: ['sshd-on-host'], reset: [] });
    expect(evaluator.reload(changed)).toEqual({ kept: [], reset: ['sshd-on-host'] });
  });
});

describe('distinct counts across detectors', () => {
  it('distinct of source counts detectors, beside distinct signatures: several signatures from two detectors on one host', async () => {
    const set = await ruleset({
      'r.yaml': rule({
        id: 'multi-detector-host',
        match: { all: [] },
        window: { groupBy: ['entities.host'], size: '1h' },
        aggregates: { signatures: { kind: 'distinct', field: 'name' }, detectors: { kind: 'distinct', field: 'source' } },
        conditions: {
          all: [
            { fact: 'signatures', operator: 'greaterThanInclusive', value: 3 },
            { fact: 'detectors', operator: 'greaterThanInclusive', value: 2 },
          ],
        },
      }),
    });
    const on = (id: string, minute: number, source: string, name: string, host = 'web-01') => alert({ id, time: at(minute), source, name, entities: { host } });
    const { decisions } = runPipeline(set, [
      on('w1', 0, 'wazuh', 'sig-a'),
      on('w2', 5, 'wazuh', 'sig-b'),
      on('w3', 10, 'wazuh', 'sig-c'), // three signatures, one detector
      on('other-host', 15, 'suricata', 'sig-d', 'db-01'),
      on('s1', 20, 'suricata', 'sig-a'), // a second detector: fires
      on('later', 70, 'suricata', 'sig-e'), // an hour on: w1..w3 are out of the window
    ]);
    expect(decisions.map((d) => [d.alertId, d.decision, d.explanation.aggregates ?? d.explanation.nearMisses?.[0]?.aggregates])).toEqual([
      ['w1', 'pass', { signatures: 1, detectors: 1 }],
      ['w2', 'pass', { signatures: 2, detectors: 1 }],
      ['w3', 'pass', { signatures: 3, detectors: 1 }],
      ['other-host', 'pass', { signatures: 1, detectors: 1 }],
      ['s1', 'promote', { signatures: 3, detectors: 2 }],
      ['later', 'pass', { signatures: 2, detectors: 1 }],
    ]);
  });
});
