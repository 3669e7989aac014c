import { describe, expect, it } from 'vitest';
import { shardExactness } from '../../src/rules/shard-exactness.js';
import { loadRules } from '../../src/rules/load.js';
import { alert, at, problemsOf, rule, ruleset, runPipeline, writeRules } from '../helpers.js';

const TENANCY = { kind: 'tenancy', field: 'entities.tenant' };
const high = { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] };
const tenantAlert = (id: string, tenant: string | undefined, minutes: number, extra: Record<string, unknown> = {}) =>
  alert({ id, time: at(minutes), severity: 'high', entities: { host: 'web-01', src_ip: '203.0.113.7', ...(tenant === undefined ? {} : { tenant }) }, ...extra });
/** Three high alerts from one host within 10 minutes fire it. */
const burst = (id: string) =>
  rule({ id, match: high, window: { groupBy: ['entities.host'], size: '10m' }, aggregates: { hits: { kind: 'count' } }, conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: 3 }] } });

describe('per-tenant rules: tenants/<tenant>/ under a rules directory with a tenancy object', () => {
  it("a tenant's rule decides only its tenant's alerts and counts only them; shared rules decide every alert", async () => {
    const set = await ruleset({
      'tenancy.yaml': TENANCY,
      'shared.yaml': rule({ id: 'shared-critical', priority: 10, conditions: { all: [{ fact: 'name', operator: 'equal', value: 'critical thing' }] } }),
      'tenants/acme/burst.yaml': burst('acme-burst'),
    });
    expect(set.tenancy).toEqual({ field: 'entities.tenant', tenants: ['acme'] });
    // Two acme alerts and two globex alerts on one host: four in the window, but only acme's count for acme's rule.
    const { decisions } = runPipeline(set, [
      tenantAlert('a1', 'acme', 0),
      tenantAlert('g1', 'globex', 1),
      tenantAlert('g2', 'globex', 2),
      tenantAlert('a2', 'acme', 3),
      tenantAlert('a3', 'acme', 4),
      tenantAlert('g3', 'globex', 5),
      tenantAlert('n1', undefined, 6),
      tenantAlert('g4', 'globex', 7, { name: 'critical thing' }),
    ]);
    expect(decisions.map((d) => [d.alertId, d.decision, d.ruleId])).toEqual([
      ['a1', 'pass', null],
      ['g1', 'pass', null],
      ['g2', 'pass', null],
      ['a2', 'pass', null],
      ['a3', 'promote', 'acme-burst'],
      ['g3', 'pass', null],
      ['n1', 'pass', null],
      ['g4', 'promote', 'shared-critical'],
    ]);
    // Another tenant's alert is not even a near miss of acme's rule.
    expect(JSON.stringify(decisions.find((d) => d.alertId === 'g3')!.explanation)).not.toContain('acme-burst');
    const a2 = decisions.find((d) => d.alertId === 'a2')!.explanation;
    expect(a2).toMatchObject({ nearMisses: [{ aggregates: { hits: 2 } }] });
    expect(JSON.stringify(a2)).toContain('acme-burst');
  });

  it("a tenant's exception silences only its tenant's alerts", async () => {
    const set = await ruleset({
      'tenancy.yaml': TENANCY,
      'shared.yaml': rule({ id: 'every-high', conditions: high }),
      'tenants/acme/scanner.yaml': { kind: 'exception', id: 'acme-scanner', reason: 'their scanner', owner: 'acme', expires: '2099-01-01', match: { entities: { src_ip: '203.0.113.7' } } },
    });
    const { decisions } = runPipeline(set, [tenantAlert('a1', 'acme', 0), tenantAlert('g1', 'globex', 1)]);
    expect(decisions.map((d) => [d.alertId, d.decision, d.ruleId])).toEqual([
      ['a1', 'suppress', 'acme-scanner'],
      ['g1', 'promote', 'every-high'],
    ]);
  });

  it("named conditions: a tenant's are its own; shared ones are everyone's; a tenant may not redefine a shared name", async () => {
    const named = (name: string) => ({ kind: 'conditions', conditions: { [name]: high } });
    const usesOwn = rule({ id: 'globex-uses-acme', conditions: { condition: 'acme-only' } });
    const problems = await problemsOf({ 'tenancy.yaml': TENANCY, 'tenants/acme/c.yaml': named('acme-only'), 'tenants/globex/r.yaml': usesOwn });
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/acme-only/)]);
    expect(problems[0]!.file).toMatch(/tenants\/globex\/r\.yaml$/);

    const set = await ruleset({ 'tenancy.yaml': TENANCY, 'shared-c.yaml': named('is-high'), 'tenants/acme/c.yaml': named('mine'), 'tenants/globex/c.yaml': named('mine'), 'tenants/acme/r.yaml': rule({ id: 'a', conditions: { all: [{ condition: 'mine' }, { condition: 'is-high' }] } }) });
    expect(set.tenancy?.tenants).toEqual(['acme', 'globex']);

    const clash = await problemsOf({ 'tenancy.yaml': TENANCY, 'shared-c.yaml': named('is-high'), 'tenants/acme/c.yaml': named('is-high') });
    expect(clash.map((p) => p.message)).toEqual(['named condition "is-high" is shared already (rules outside tenants/ define it): pick another name']);
  });

  it('ids are unique across shared and tenant rules; misplaced files and a second tenancy object are located problems', async () => {
    const dup = await problemsOf({ 'tenancy.yaml': TENANCY, 'tenants/acme/r.yaml': rule({ id: 'same' }), 'tenants/globex/r.yaml': rule({ id: 'same' }) });
    expect(dup.map((p) => p.message)).toEqual([expect.stringMatching(/^duplicate id "same" \(first defined in .*tenants\/acme\/r\.yaml\)$/)]);
    const loose = await problemsOf({ 'tenancy.yaml': TENANCY, 'tenants/r.yaml': rule({ id: 'loose' }) });
    expect(loose.map((p) => p.message)).toEqual(['a file directly in tenants/ belongs to no tenant: move it into tenants/<tenant>/, or out of tenants/ to share it']);
    const two = await problemsOf({ 'tenancy.yaml': TENANCY, 'more.yaml': TENANCY, 'r.yaml': rule({}) });
    expect(two.map((p) => p.message)).toEqual([expect.stringMatching(/^a second tenancy object \(the first is in .*more\.yaml\)/)]);
    const inside = await problemsOf({ 'tenants/acme/tenancy.yaml': TENANCY, 'r.yaml': rule({}) });
    expect(inside.map((p) => p.message)).toEqual(['the tenancy object belongs outside tenants/: it says which files under it are a tenant\'s']);
    expect((await problemsOf({ 'tenancy.yaml': { kind: 'tenancy', field: 'entities..tenant' }, 'r.yaml': rule({}) }))[0]).toMatchObject({ pointer: '/field' });
  });

  it('without a tenancy object a tenants/ folder is ordinary rules (as before)', async () => {
    const set = await ruleset({ 'tenants/acme/burst.yaml': burst('acme-burst') });
    expect(set.tenancy).toBeUndefined();
    expect(set.promoteRules[0]!.scope).toBeUndefined();
  });

  it("the fingerprint names each object's tenant: the same rule moved to another tenant is another rule set", async () => {
    const fingerprint = async (tenant: string) => {
      const loaded = await loadRules(writeRules({ 'tenancy.yaml': TENANCY, [`tenants/${tenant}/r.yaml`]: burst('r') }));
      return loaded.ok ? loaded.ruleset.fingerprint : undefined;
    };
    expect(await fingerprint('acme')).not.toBe(await fingerprint('globex'));
  });

  it("a tenant's rules are exact under a shard key of the tenant field, whatever their grouping", async () => {
    const set = await ruleset({ 'tenancy.yaml': TENANCY, 'tenants/acme/burst.yaml': burst('acme-burst'), 'shared.yaml': burst('shared-burst') });
    const report = shardExactness(set, { shardBy: ['entities.tenant'] }, { mergeBy: [] });
    expect(report.rules.map((r) => [r.id, r.verdict])).toEqual([
      ['acme-burst', 'exact'],
      ['shared-burst', 'not-exact'],
    ]);
  });
});
