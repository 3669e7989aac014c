import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.js';
import { configFile, rule, writeRules } from '../helpers.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const match = { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] };
const windowed = (id: string, groupBy: string[], extra: Record<string, unknown> = {}) =>
  rule({ id, match, window: { groupBy, size: '10m' }, aggregates: { hits: { kind: 'count' } }, conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: 3 }] }, ...extra });

/** One rule of each verdict under entities.tenant, and cases merging by host only. */
const mixed = () =>
  writeRules({
    'exact.yaml': windowed('by-tenant', ['entities.tenant', 'entities.host']),
    'per-shard.yaml': windowed('per-shard-host', ['entities.host'], { sharding: 'per-shard' }),
    'not-exact.yaml': windowed('by-src', ['entities.src_ip']),
  });

describe('alertgate validate --shard-by', () => {
  it('lists each rule as exact, per-shard or not exact with its reason, and exits 1 when one is not exact', () => {
    const r = cli(['validate', mixed(), '--shard-by', 'entities.tenant', '--tied-field', 'entities.host=entities.tenant']);
    expect(r.code, r.stderr).toBe(EXIT.invalid);
    expect(r.stdout.split('\n').slice(1)).toEqual([
      'sharding by [entities.tenant] (tied: entities.host → entities.tenant):',
      '  not exact  by-src: window of aggregate hits (count) groups by [entities.src_ip], which does not determine entities.tenant; incident (by default as its window or absence) groups by [entities.src_ip], which does not determine entities.tenant',
      '  exact      by-tenant',
      '  exact      per-shard-host',
      '  not exact  cases (default cases.mergeBy; --config for yours): merging incidents that share entities.user (cases.mergeBy), which does not determine entities.tenant; merging incidents that share entities.src_ip (cases.mergeBy), which does not determine entities.tenant',
      expect.stringMatching(/^2 exact, 0 per-shard, 2 not exact: add the shard key field to the grouping, /),
      '',
    ]);
  });

  it('without the tie, the per-shard rule is reported per-shard; with every rule exact or accepted, exit 0 (config: kafka.shardBy, sharding.tiedFields, cases)', () => {
    const rules = writeRules({
      'exact.yaml': windowed('by-tenant', ['entities.tenant']),
      'per-shard.yaml': windowed('per-shard-host', ['entities.host'], { sharding: 'per-shard' }),
    });
    const config = configFile({ rules, kafka: { brokers: ['127.0.0.1:1'], topics: { input: ['alerts'] }, shardBy: ['entities.tenant'] }, cases: { mergeBy: ['host'] }, sharding: { tiedFields: { 'entities.user': 'entities.tenant' } } });
    const r = cli(['validate', '--config', config]);
    expect(r.stdout).toContain('  per-shard  per-shard-host: window of aggregate hits (count) groups by [entities.host], which does not determine entities.tenant');
    expect(r.stdout).toContain('  not exact  cases: merging incidents that share entities.host (cases.mergeBy)');
    expect(r.code).toBe(EXIT.invalid);

    const accepted = configFile({ rules, kafka: { brokers: ['127.0.0.1:1'], topics: { input: ['alerts'] }, shardBy: ['entities.tenant'] }, cases: { mergeBy: ['host'], sharding: 'per-shard' } });
    const ok = cli(['validate', '--config', accepted]);
    expect(ok.code, ok.stdout).toBe(EXIT.ok);
    expect(ok.stdout).toContain('  per-shard  cases: merging incidents that share entities.host');
    expect(ok.stdout).toMatch(/^1 exact, 2 per-shard, 0 not exact$/m);
  });

  it('--json gives the verdicts as data', () => {
    const r = cli(['validate', mixed(), '--shard-by', 'entities.tenant', '--json']);
    const out = JSON.parse(r.stdout);
    expect(r.code).toBe(EXIT.invalid);
    expect(out.ok).toBe(false);
    expect(out.sharding.shardBy).toEqual(['entities.tenant']);
    expect(out.sharding.rules.map((v: { id: string; verdict: string }) => [v.id, v.verdict])).toEqual([
      ['by-src', 'not-exact'],
      ['by-tenant', 'exact'],
      ['per-shard-host', 'per-shard'],
    ]);
    expect(out.sharding.cases.verdict).toBe('not-exact');
  });

  it('without --shard-by (nor kafka.shardBy) nothing about sharding is said: the output is as before', () => {
    const r = cli(['validate', mixed()]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/^ok: 3 files, 3 promote and 0 suppress rules \(0 disabled\), 0 exceptions; [^\n]*\n$/);
  });

  it('a bad field path or tie is named, exit 1', () => {
    expect(cli(['validate', mixed(), '--shard-by', 'entities..tenant'])).toMatchObject({ code: EXIT.invalid, stderr: expect.stringMatching(/^alertgate: --shard-by: "entities\.\.tenant": /) });
    expect(cli(['validate', mixed(), '--shard-by', 'entities.tenant', '--tied-field', 'entities.host'])).toMatchObject({ code: EXIT.invalid, stderr: expect.stringMatching(/--tied-field: expected from=to/) });
    expect(cli(['validate'])).toMatchObject({ code: EXIT.invalid, stderr: expect.stringMatching(/name a rules directory/) });
  });
});

describe('alertgate run with kafka.shardBy', () => {
  it('refuses to start with a rule that is not exact, listing the rules and reasons, before connecting to anything (the broker is out of reach: it would exit 2)', () => {
    const config = configFile({
      rules: mixed(),
      http: { port: 0 },
      cases: { mergeBy: [] },
      kafka: { brokers: ['127.0.0.1:1'], topics: { input: ['alerts'] }, shardBy: ['entities.tenant'] },
    });
    const r = cli(['run', '--config', config]);
    expect(r.code, r.stderr).toBe(EXIT.invalid);
    expect(r.stderr).toContain('are not exact under kafka.shardBy [entities.tenant]:\n');
    expect(r.stderr).toContain('\n  rule by-src: window of aggregate hits (count) groups by [entities.src_ip], which does not determine entities.tenant\n');
    // Exact and accepted (per-shard) rules are not refused.
    expect(r.stderr).not.toMatch(/rule (by-tenant|per-shard-host)/);
    expect(r.stderr).toMatch(/sharding: per-shard/);
  });
});
