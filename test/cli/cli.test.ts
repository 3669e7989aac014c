import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alert, at, ndjson, rule, tempDir, writeRules, YAML_ALIAS_BOMB } from '../helpers.js';
import { startRun } from './run-process.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rulesDir = () =>
  writeRules({
    'high.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'in', value: ['high', 'critical'] }] } }),
  });

const input = ndjson([alert({ id: 'x1', severity: 'high', time: at(0) }), alert({ id: 'x2', severity: 'low', time: at(1) }), 'not json']);

describe('alertgate CLI', () => {
  it('validate: exit 0 with a summary for valid rules', () => {
    const r = cli(['validate', rulesDir()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 1 files, 1 promote and 0 suppress rules/);
  });

  it('validate: exit 1 with one located line per problem', () => {
    const dir = writeRules({ 'broken.yaml': 'id: broken\nversion: 1\ntitle: t\nowner: o\nseverity: high\ncategory: nope\ndecision: promote\nconditions: {all: []}\n' });
    const r = cli(['validate', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([expect.stringMatching(/broken\.yaml: \/category: .*\(line 6\)$/)]);
  });

  it('validate: a schema error and a reference error in one rule are both reported in one run (the second came only after fixing the first)', () => {
    const dir = writeRules({
      'two.yaml': [
        'id: two-problems',
        'version: 1',
        'title: t',
        'severity: high',
        'category: other',
        'decision: promote',
        'conditions:',
        '  all:',
        '    - {fact: sevrity, operator: equal, value: high}',
      ].join('\n'),
    });
    const r = cli(['validate', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      `${dir}/two.yaml: /owner: missing; this key is required (line 1)`,
      expect.stringMatching(new RegExp(`^${dir}/two\\.yaml: /conditions/all/0/fact: unknown fact "sevrity"; .* \\(line 9\\)$`)),
    ]);
  });

  it('validate: an alias bomb or a cyclic alias is a located problem and exit 1 (it exited 2 with "Excessive alias count")', () => {
    const cyclic = 'id: r1\nversion: 1\ntitle: t\nowner: soc\nseverity: high\ncategory: other\ndecision: promote\nconditions: &c\n  all: [*c]\n';
    const dir = writeRules({ 'bomb.yaml': YAML_ALIAS_BOMB, 'cyclic.yaml': cyclic, 'good.yaml': rule({ id: 'good' }) });
    const r = cli(['validate', dir]);
    expect(r, r.stderr).toMatchObject({ code: 1, stderr: '' });
    expect(r.stdout.trim().split('\n')).toEqual([
      `${join(dir, 'bomb.yaml')}: /: aliases expand too far (over maxAliasCount 100; the yaml library says: Excessive alias count indicates a resource exhaustion attack): write the values out, or alias less (line 2)`,
      `${join(dir, 'cyclic.yaml')}: /: alias *c is inside the node it refers to, a value that never ends: write the value out (line 9)`,
    ]);
    // The same for a mapping file and the config file: exit 1, located, no stack.
    const mapping = join(tempDir(), 'bomb-mapping.yaml');
    writeFileSync(mapping, YAML_ALIAS_BOMB);
    const replay = cli(['replay', '--rules', rulesDir(), '--input', '-', '--format', 'generic', '--map', mapping], input);
    expect(replay).toMatchObject({ code: 1, stderr: expect.stringMatching(/^alertgate: .*bomb-mapping\.yaml: aliases expand too far .* \(line 2\)\n$/) });
    const config = join(tempDir(), 'bomb-config.yaml');
    writeFileSync(config, YAML_ALIAS_BOMB);
    const run = cli(['run', '--config', config]);
    expect(run).toMatchObject({ code: 1, stderr: expect.stringMatching(/^alertgate: .*bomb-config\.yaml: aliases expand too far .* \(line 2\)\n$/) });
  });

  it('replay --summary json prints exactly one accounting object', () => {
    const dir = tempDir();
    const file = join(dir, 'in.ndjson');
    writeFileSync(file, input);
    const r = cli(['replay', '--rules', rulesDir(), '--input', file, '--summary', 'json', '--decisions', join(dir, 'd.ndjson'), '--incidents', join(dir, 'i.ndjson'), '--dead-letters', join(dir, 'dl.ndjson')]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as Record<string, number>;
    expect(summary).toMatchObject({ alerts: 3, promoted: 1, suppressed: 0, passed: 1, invalid: 1, incidents: 1 });
    expect(typeof summary.durationMs).toBe('number');
    expect(readFileSync(join(dir, 'd.ndjson'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(JSON.parse(readFileSync(join(dir, 'dl.ndjson'), 'utf8'))).toMatchObject({ line: 3, raw: 'not json' });
  });

  it('replay reads stdin and can write decisions to stdout, moving the summary to stderr', () => {
    const r = cli(['replay', '--rules', rulesDir(), '--input', '-', '--decisions', '-', '--summary', 'json'], input);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).alertId)).toEqual(['x1', 'x2']);
    expect(JSON.parse(r.stderr).alerts).toBe(3);
  });

  it('replay exits 1 naming the reason when every line is invalid (a forgotten --map), not 0', () => {
    const dir = tempDir();
    const file = join(dir, 'zeek.ndjson');
    writeFileSync(file, ndjson([{ ts: 1, 'id.orig_h': '10.0.0.1', note: 'Scan' }, { ts: 2, 'id.orig_h': '10.0.0.2', note: 'Scan' }]));
    const r = cli(['replay', '--rules', rulesDir(), '--input', file, '--format', 'canonical', '--summary', 'json', '--dead-letters', join(dir, 'dl.ndjson')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ alerts: 2, invalid: 2 });
    expect(r.stderr).toMatch(/^alertgate: 2 of 2 input lines \(100\.0%\) are invalid, every line is invalid; the first, line 1: .+Check --format and --map/);
    // The outputs are written all the same.
    expect(readFileSync(join(dir, 'dl.ndjson'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('replay --max-invalid-ratio fails a run above the ratio and passes one at or below it', () => {
    const dir = tempDir();
    const file = join(dir, 'in.ndjson');
    writeFileSync(file, input); // 1 of 3 lines invalid
    const args = ['replay', '--rules', rulesDir(), '--input', file, '--summary', 'json'];
    expect(cli(args).code).toBe(0);
    const above = cli([...args, '--max-invalid-ratio', '0.3']);
    expect(above.code).toBe(1);
    expect(above.stderr).toMatch(/1 of 3 input lines \(33\.3%\) are invalid, above --max-invalid-ratio 0\.3; the first, line 3: invalid JSON/);
    expect(cli([...args, '--max-invalid-ratio', '0.34']).code).toBe(0);
    expect(cli([...args, '--max-invalid-ratio', 'half'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/--max-invalid-ratio: expected a number from 0 to 1/) });
  });

  it('replay --max-alert-ids raises the cap of 100 alert ids per incident, and a truncated record states its cap', () => {
    const dir = tempDir();
    const file = join(dir, 'in.ndjson');
    writeFileSync(file, ndjson(Array.from({ length: 150 }, (_, i) => alert({ id: `h${i}`, severity: 'high', time: at(i / 100) }))));
    const incidentsOf = (extra: string[]) => {
      const out = join(dir, `inc-${extra.join('')}.ndjson`);
      expect(cli(['replay', '--rules', rulesDir(), '--input', file, '--incidents', out, ...extra]).code).toBe(0);
      return readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    const [capped] = incidentsOf([]);
    expect(capped).toMatchObject({ alertCount: 150, alertIdsTruncated: true, alertIdsLimit: 100 });
    expect(capped!.alertIds).toHaveLength(100);
    const [raised] = incidentsOf(['--max-alert-ids', '200']);
    expect(raised).toMatchObject({ alertCount: 150, alertIdsTruncated: false });
    expect(raised!.alertIds).toHaveLength(150);
    expect(raised).not.toHaveProperty('alertIdsLimit');
    expect(cli(['replay', '--rules', rulesDir(), '--input', file, '--max-alert-ids', '-1'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/--max-alert-ids: expected an integer ≥ 0/) });
  });

  it('replay stops before reading input when the rules are invalid', () => {
    const dir = writeRules({ 'r.yaml': rule({ severity: 'nope' }) });
    const r = cli(['replay', '--rules', dir, '--input', '-'], input);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/r\.yaml: \/severity:/);
  });

  it('replay --explanations compact: promotions explained in full, the other decisions say only who decided; --explain-rules and --explanation-sample 1 keep them whole', () => {
    const dir = writeRules({
      'high.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'in', value: ['high', 'critical'] }] } }),
      'low.yaml': rule({ id: 'low', decision: 'suppress', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'low' }] } }),
    });
    const decisions = (...flags: string[]) => {
      const r = cli(['replay', '--rules', dir, '--input', '-', '--decisions', '-', ...flags], input);
      expect(r.code).toBe(0);
      return r.stdout.trim().split('\n');
    };
    const full = decisions();
    const compact = decisions('--explanations', 'compact');
    expect(compact[0]).toBe(full[0]);
    expect(JSON.parse(full[1]!).explanation.conditions).toBeDefined();
    expect(JSON.parse(compact[1]!)).toEqual({ ...JSON.parse(full[1]!), explanation: { by: 'rule', rule: JSON.parse(full[1]!).explanation.rule, compact: true } });
    expect(decisions('--explanations', 'compact', '--explain-rules', 'low')).toEqual(full);
    expect(decisions('--explanations', 'compact', '--explanation-sample', '1')).toEqual(full);
  });

  it('replay names a bad --explanations, --explanation-sample, or an --explain-rules id no rule has, exit 1', () => {
    for (const [flags, message] of [
      [['--explanations', 'terse'], /--explanations: .*"full"\|"compact"/],
      [['--explanations', 'compact', '--explanation-sample', '1.5'], /--explanation-sample: /],
      [['--explanations', 'compact', '--explanation-sample', 'some'], /--explanation-sample: /],
      [['--explanations', 'compact', '--explain-rules', 'high,hgih'], /--explain-rules: no rule in .* has the id "hgih"/],
    ] as const) {
      const r = cli(['replay', '--rules', rulesDir(), '--input', '-', ...flags], input);
      expect(r.code, flags.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it('replay names a missing input file', () => {
    const r = cli(['replay', '--rules', rulesDir(), '--input', '/no/such/file.ndjson']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/no\/such\/file\.ndjson/);
  });

  it('run validates its flags with the config: a bad --port is named, exit 1, nothing started', () => {
    const r = cli(['run', '--rules', rulesDir(), '--input', '-', '--port', 'eighty']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--port: /);
  });

  it('has --help on every command', () => {
    for (const command of ['validate', 'replay', 'run', 'test', 'schema', 'produce']) {
      const r = cli([command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: alertgate ${command}`));
    }
  });

  it('run with a kafka section refuses --input (the input is Kafka)', () => {
    const dir = tempDir();
    const config = join(dir, 'kafka.yaml');
    writeFileSync(config, 'kafka:\n  brokers: [127.0.0.1:9]\n  topics: {input: [alerts]}\n');
    const r = cli(['run', '--config', config, '--rules', rulesDir(), '--input', 'x.ndjson']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--input, --serve and --exit-on-end are for NDJSON input; with a kafka section/);
  });

  it('produce names a malformed broker address before connecting', () => {
    const dir = tempDir();
    const file = join(dir, 'in.ndjson');
    writeFileSync(file, input);
    const r = cli(['produce', '--input', file, '--topic', 'alerts', '--brokers', 'k1:9092,no-port']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--brokers: "no-port": expected host:port/);
  });

  it('run serves /healthz and /metrics, then stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const file = join(dir, 'in.ndjson');
    writeFileSync(file, input);
    const worker = await startRun(['--rules', rulesDir(), '--input', file, '--port', '0', '--serve']);
    const { url } = worker;
    await new Promise<void>((resolve) => {
      const poll = () => (worker.stdout().includes('serving') ? resolve() : setTimeout(poll, 20));
      poll();
    });
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^alertgate_alerts_received_total 3$/m);
    expect(metrics).toMatch(/^alertgate_decisions_total\{decision="promote"\} 1$/m);
    expect(worker.stdout()).toMatch(/promoted\s+1/);
    expect(await worker.stop()).toBe(0);
  });
});
