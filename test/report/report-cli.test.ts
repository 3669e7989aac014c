import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { Report } from '../../src/report/report.js';
import { tempDir } from '../helpers.js';
import { markdownTables } from './tables.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');
/** scripts/report-demo.mjs's period and tuning time. */
const PERIOD = ['--since', '2026-11-02T00:00:00Z', '--now', '2026-11-13T23:59:59.999Z'];
const APPLIED_AT = '2026-11-07T00:00:00.000Z';

function cli(args: string[], cwd = ROOT) {
  const env = { ...process.env };
  delete env.ALERTGATE_LEDGER;
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd, env, maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const readNdjson = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { lastSeen: string });

describe('alertgate report on a replayed, reviewed and tuned fortnight (scripts/report-demo.mjs)', () => {
  const out = tempDir('alertgate-report-demo-');
  const db = join(out, 'ledger.sqlite');

  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/report-demo.mjs'), '--out', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('prints every format to stdout byte for byte as it wrote them with --out, run after run', () => {
    for (const [format, file] of [['text', 'report.txt'], ['md', 'report.md'], ['html', 'report.html'], ['json', 'report.json']] as const) {
      const r = cli(['report', '--db', db, ...PERIOD, '--format', format]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, format).toBe(readFileSync(join(out, file), 'utf8'));
    }
  });

  it('JSON: both weeks, the three tuning changes applied between them, each with fewer incidents per day after', () => {
    const report = Report.parse(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')));
    const incidents = ['train', 'holdout'].flatMap((w) => readNdjson(join(out, `${w}-incidents.ndjson`)));
    expect(report.totals.incidents).toBe(incidents.length);
    expect(report.days.map((d) => d.day)).toEqual(Array.from({ length: 12 }, (_, i) => `2026-11-${String(i + 2).padStart(2, '0')}`));
    expect(report.rules.map((r) => r.ruleId)).toEqual(['auth-brute-force', 'exfil-volume', 'recon-scan', 'signature-burst']);
    expect(report.tuningChanges.map((c) => `${c.ruleId}.${c.param}`).sort()).toEqual(['auth-brute-force.minFailures', 'exfil-volume.minBytes', 'signature-burst.minCount']);
    for (const c of report.tuningChanges) {
      expect(c.appliedAt).toBe(APPLIED_AT);
      expect(c.windowDays).toBe(7);
      expect(c.after.incidentsPerDay, c.ruleId).toBeLessThan(c.before.incidentsPerDay);
      expect(c.predicted, c.ruleId).not.toBeNull();
    }
    // The simulated analysts answer within 10 minutes to 8 hours of an incident's last alert.
    expect(report.totals.medianMinutesToFeedback).toBeGreaterThan(10);
    expect(report.totals.medianMinutesToFeedback).toBeLessThan(8 * 60 + 60);
    expect(report.totals.analystMinutes).toBe((report.totals.incidents - report.totals.unreviewed) * 15);
    expect(report.rules.find((r) => r.ruleId === 'exfil-volume')!.entities[0]).toMatchObject({ key: expect.stringMatching(/^(dst_ip=203\.0\.113\.50|host=backup-01|src_ip=10\.0\.6\.10)$/), falsePositive: 5 });
  });

  it('markdown: pipe tables for the rules, the noisiest keys, the days, the changes, the cases and their open postmortems', () => {
    const tables = markdownTables(readFileSync(join(out, 'report.md'), 'utf8'));
    expect(tables.map((t) => [t.head[0], t.rows.length])).toEqual([
      ['rule', 4],
      ['rule', expect.any(Number)],
      ['day', 12],
      ['change', 3],
      // Nobody classified the replayed cases: one class and the total.
      ['classification', 2],
      // The high and critical ones need a postmortem nobody has written.
      ['case', 26],
    ]);
  });

  it('by default: the 7 days up to the newest decision in the ledger (the end of its hour), 15 minutes per incident, top 5', () => {
    const r = cli(['report', '--db', db, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const report = Report.parse(JSON.parse(r.stdout));
    // The held-out week is the newest; decisions are counted per event-time hour.
    const newestAlert = Math.max(...readFileSync(join(out, 'holdout.ndjson'), 'utf8').trim().split('\n').map((l) => Date.parse((JSON.parse(l) as { time: string }).time)));
    const newest = Math.floor(newestAlert / 3_600_000) * 3_600_000 + 3_600_000 - 1;
    expect(report.period).toEqual({ from: new Date(newest - 7 * 86_400_000).toISOString(), to: new Date(newest).toISOString(), days: 7 });
    expect([report.minutesPerIncident, report.top]).toEqual([15, 5]);
    expect(cli(['report', '--db', db, '--since', '36h', '--minutes-per-incident', '30', '--top', '1', '--format', 'json']).stdout).toMatch(/"days":1\.5\b.*"minutesPerIncident":30,"top":1/);
  });

  it('an absurd --since exits 1 naming the maximum, at once (--since 3650000d used 4.2 GB); tune --since the same', () => {
    for (const since of ['3650000d', '99999999d', '1000000000000d', '401d']) {
      expect(cli(['report', '--db', db, '--since', since]), since).toMatchObject({ code: 1, stdout: '', stderr: `alertgate: --since: invalid duration "${since}": longer than the maximum of 400d\n` });
      expect(cli(['tune', '--db', db, '--since', since]), since).toMatchObject({ code: 1, stderr: expect.stringContaining(`--since: invalid duration "${since}": longer than the maximum of 400d`) });
    }
    expect(cli(['report', '--db', db, '--since', '2026-13-45T00:00:00Z'])).toMatchObject({ code: 1, stderr: expect.stringContaining('--since: expected a duration such as 7d or 36h (at most 400d), or an ISO date-time') });
  });

  it('clear errors, exit 1: no ledger, a ledger file that is not there (not created), bad options, an empty ledger without --now', async () => {
    const dir = tempDir('alertgate-report-errors-');
    const missing = join(dir, 'nope.sqlite');
    expect(cli(['report'], dir)).toMatchObject({ code: 1, stderr: expect.stringContaining('no ledger: give --db <ledger>') });
    expect(cli(['report', '--db', missing])).toMatchObject({ code: 1, stderr: expect.stringContaining('no such ledger file') });
    expect(existsSync(missing)).toBe(false);
    expect(cli(['report', '--db', db, '--since', '7 days'])).toMatchObject({ code: 1, stderr: expect.stringContaining('--since: expected a duration such as 7d or 36h') });
    expect(cli(['report', '--db', db, '--now', 'yesterday'])).toMatchObject({ code: 1, stderr: expect.stringContaining('--now: expected an ISO date-time') });
    expect(cli(['report', '--db', db, '--format', 'pdf'])).toMatchObject({ code: 1, stderr: expect.stringContaining('--format: expected text, md, html or json') });
    expect(cli(['report', '--db', db, '--top', '-1'])).toMatchObject({ code: 1, stderr: expect.stringContaining('--top') });
    expect(cli(['report', '--db', db, '--since', '2026-12-01T00:00:00Z', '--now', '2026-11-01T00:00:00Z'])).toMatchObject({ code: 1, stderr: expect.stringContaining('after the period\'s end') });
    // The demo records its tuning changes with tune --apply --at; --at alone is refused.
    expect(cli(['tune', '--db', db, '--at', APPLIED_AT])).toMatchObject({ code: 1, stderr: expect.stringContaining('--at goes with --apply') });
    expect(cli(['report', '--db', db, '--out', join(dir, 'no/such/dir/r.txt')])).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot write: ENOENT') });

    const empty = join(dir, 'empty.sqlite');
    await (await Ledger.open(parseLedgerLocation(empty))).close();
    expect(cli(['report', '--db', empty])).toMatchObject({ code: 1, stderr: expect.stringContaining('has no decisions to take the period\'s end from: give now') });
    const r = cli(['report', '--db', empty, '--now', '2026-11-13T00:00:00Z', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(Report.parse(JSON.parse(r.stdout))).toMatchObject({ rules: [], totals: { incidents: 0 } });
  });
});

describe('alertgate report over a replayed fixtures/soc-week.ndjson', () => {
  it('--since 7d counts every decided alert and every incident: the period ends at the newest decision, not the newest incident (8,487 of 8,905 alerts were counted)', () => {
    const db = join(tempDir('alertgate-report-soc-week-'), 'ledger.sqlite');
    const replay = cli(['replay', '--rules', 'rules', '--input', 'fixtures/soc-week.ndjson', '--db', db, '--summary', 'json']);
    expect(replay.code, replay.stderr).toBe(0);
    const summary = JSON.parse(replay.stdout.split('\n')[0]!) as { alerts: number; invalid: number; promoted: number; suppressed: number; passed: number; incidents: number };
    const r = cli(['report', '--db', db, '--since', '7d', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const { totals, period } = Report.parse(JSON.parse(r.stdout));
    expect(totals.alertsMatched + totals.passed).toBe(summary.alerts - summary.invalid);
    expect({ promoted: totals.promoted, suppressed: totals.suppressed, passed: totals.passed, incidents: totals.incidents }).toEqual({
      promoted: summary.promoted,
      suppressed: summary.suppressed,
      passed: summary.passed,
      incidents: summary.incidents,
    });
    // The newest alert of the week is decided at 23:42 on the 20th; its hour is the period's last.
    expect(period.to).toBe('2026-11-20T23:59:59.999Z');
  });
});
