import { describe, expect, it } from 'vitest';
import { notExactLines, shardExactness, type CaseMergeSharding } from '../../src/rules/shard-exactness.js';
import { problemsOf, rule, ruleset } from '../helpers.js';

const TENANT = ['entities.tenant'];
const NO_MERGE: CaseMergeSharding = { mergeBy: [] };
const match = { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] };
const windowed = (id: string, groupBy: string[], extra: Record<string, unknown> = {}) =>
  rule({ id, match, window: { groupBy, size: '10m' }, aggregates: { hits: { kind: 'count' }, users: { kind: 'distinct', field: 'entities.user' } }, ...extra });

async function verdicts(files: Record<string, unknown>, tiedFields: Record<string, string> = {}, cases = NO_MERGE) {
  return shardExactness(await ruleset(files), { shardBy: TENANT, tiedFields }, cases);
}

describe('shard exactness: decided from the rules when they load', () => {
  it('a window and incident grouped by the shard key are exact; one grouped without it is not, naming the rule, the aggregates and the missing field', async () => {
    const report = await verdicts({
      'a.yaml': windowed('by-tenant-host', ['entities.tenant', 'entities.host']),
      'b.yaml': windowed('by-host', ['entities.host']),
    });
    expect(report.rules).toEqual([
      { id: 'by-host', kind: 'rule', verdict: 'not-exact', reasons: [
        'window of aggregates hits (count), users (distinct) groups by [entities.host], which does not determine entities.tenant',
        'incident (by default as its window or absence) groups by [entities.host], which does not determine entities.tenant',
      ] },
      { id: 'by-tenant-host', kind: 'rule', verdict: 'exact', reasons: [] },
    ]);
    expect(report.ok).toBe(false);
    expect(notExactLines(report)[0]).toBe('rule by-host: window of aggregates hits (count), users (distinct) groups by [entities.host], which does not determine entities.tenant');
  });

  it('the incident grouping counts on its own: an exact window with a cross-tenant incident is not exact', async () => {
    const report = await verdicts({ 'a.yaml': windowed('w', ['entities.tenant'], { incident: { groupBy: ['entities.src_ip'] } }) });
    expect(report.rules[0]).toMatchObject({ verdict: 'not-exact', reasons: ['incident groups by [entities.src_ip], which does not determine entities.tenant'] });
  });

  it('a per-alert rule is exact when its incidents group by the shard key, and not with the default single incident group', async () => {
    const report = await verdicts({
      'a.yaml': rule({ id: 'per-alert-tenant', incident: { groupBy: ['entities.tenant', 'entities.host'] } }),
      'b.yaml': rule({ id: 'per-alert-one-group' }),
    });
    expect(report.rules.map((r) => [r.id, r.verdict, r.reasons])).toEqual([
      ['per-alert-one-group', 'not-exact', ['incident groups all its alerts together (groupBy []), which does not determine entities.tenant']],
      ['per-alert-tenant', 'exact', []],
    ]);
  });

  it('suppress rules without a window and exceptions are per alert: exact; a windowed suppress rule follows its window', async () => {
    const report = await verdicts({
      'a.yaml': rule({ id: 'quiet', decision: 'suppress', conditions: match }),
      'b.yaml': windowed('noisy', ['name'], { decision: 'suppress' }),
      'c.yaml': { kind: 'exception', id: 'scanner', reason: 'r', owner: 'o', expires: '2099-01-01', match: { source: 'nessus' } },
    });
    expect(report.rules.map((r) => [r.id, r.kind, r.verdict])).toEqual([
      ['noisy', 'rule', 'not-exact'],
      ['quiet', 'rule', 'exact'],
      ['scanner', 'exception', 'exact'],
    ]);
  });

  it('sequences, risk, spikes and absences follow their groupBy', async () => {
    const step = (value: string) => ({ where: { all: [{ fact: 'name', operator: 'equal', value }] } });
    const report = await verdicts({
      'seq.yaml': rule({ id: 'seq', match, window: { groupBy: ['entities.src_ip'], size: '10m' }, aggregates: { steps: { kind: 'sequence', steps: [step('a'), step('b')] } }, incident: { groupBy: ['entities.tenant'] } }),
      'risk.yaml': rule({ id: 'risk', match, window: { groupBy: ['entities.tenant', 'entities.user'], size: '1d' }, aggregates: { risk: { kind: 'risk', scores: [{ ...step('a'), score: 5 }] } } }),
      'spike.yaml': rule({ id: 'spike', match, window: { groupBy: ['entities.host'], size: '1h' }, aggregates: { surge: { kind: 'spike', periods: 3 } }, incident: { groupBy: ['entities.tenant'] } }),
      'quiet.yaml': rule({ id: 'quiet', match, absence: { groupBy: ['entities.host'], after: '30m' } }),
    });
    expect(Object.fromEntries(report.rules.map((r) => [r.id, r.reasons]))).toEqual({
      quiet: ['absence groups by [entities.host], which does not determine entities.tenant', 'incident (by default as its window or absence) groups by [entities.host], which does not determine entities.tenant'],
      risk: [],
      seq: ['window of aggregate steps (sequence) groups by [entities.src_ip], which does not determine entities.tenant'],
      spike: ['window of aggregate surge (spike) groups by [entities.host], which does not determine entities.tenant'],
    });
  });

  it('a field declared tied to the shard key stands for it, through chains', async () => {
    const files = { 'a.yaml': windowed('by-user', ['entities.user']) };
    expect((await verdicts(files, { 'entities.host': 'entities.tenant' })).rules[0]!.verdict).toBe('not-exact');
    expect((await verdicts(files, { 'entities.user': 'entities.host', 'entities.host': 'entities.tenant' })).rules[0]).toMatchObject({ verdict: 'exact', reasons: [] });
  });

  it('every shard key field must be determined', async () => {
    const set = await ruleset({ 'a.yaml': windowed('w', ['entities.tenant']) });
    const report = shardExactness(set, { shardBy: ['entities.tenant', 'source'] }, NO_MERGE);
    expect(report.rules[0]!.reasons[0]).toBe('window of aggregates hits (count), users (distinct) groups by [entities.tenant], which does not determine source');
  });

  it('sharding: per-shard accepts a rule that is not exact (reported per-shard, with its reasons); an exact rule stays exact', async () => {
    const report = await verdicts({
      'a.yaml': windowed('counted-per-shard', ['entities.host'], { sharding: 'per-shard' }),
      'b.yaml': windowed('exact-anyway', ['entities.tenant'], { sharding: 'per-shard' }),
    });
    expect(report.rules.map((r) => [r.id, r.verdict, r.reasons.length])).toEqual([
      ['counted-per-shard', 'per-shard', 2],
      ['exact-anyway', 'exact', 0],
    ]);
    expect(report.ok).toBe(true);
    expect(notExactLines(report)).toEqual([]);
  });

  it('sharding takes only per-shard', async () => {
    const problems = await problemsOf({ 'a.yaml': rule({ sharding: 'global' }) });
    expect(problems[0]).toMatchObject({ pointer: '/sharding' });
  });

  it('case merging by shared entities crosses shards unless each merge kind determines the shard key, or it is accepted per shard', async () => {
    const files = { 'a.yaml': rule({ id: 'r', incident: { groupBy: ['entities.tenant'] } }) };
    const merged = await verdicts(files, { 'entities.host': 'entities.tenant' }, { mergeBy: ['host', 'user'] });
    expect(merged.cases).toEqual({ id: 'cases', kind: 'cases', verdict: 'not-exact', reasons: ['merging incidents that share entities.user (cases.mergeBy), which does not determine entities.tenant'] });
    expect(merged.ok).toBe(false);
    expect(notExactLines(merged)).toEqual(['cases: merging incidents that share entities.user (cases.mergeBy), which does not determine entities.tenant']);
    expect((await verdicts(files, { 'entities.host': 'entities.tenant' }, { mergeBy: ['host'] })).cases.verdict).toBe('exact');
    expect((await verdicts(files, {}, { mergeBy: ['user'], perShard: true })).cases.verdict).toBe('per-shard');
    // Rules whose incidents never merge leave nothing to merge.
    const apart = { 'a.yaml': rule({ id: 'r', incident: { groupBy: ['entities.tenant'], merge: false } }) };
    expect((await verdicts(apart, {}, { mergeBy: ['user'] })).cases.verdict).toBe('exact');
  });

  it('disabled rules are not listed: they never run', async () => {
    const report = await verdicts({ 'a.yaml': windowed('off', ['entities.host'], { enabled: false }) });
    expect(report).toMatchObject({ rules: [], ok: true });
  });
});
