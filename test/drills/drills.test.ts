import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { renderDrillReport } from '../../src/drills/drill-report.js';
import { runDrillFile } from '../../src/drills/run-files.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { buildReport } from '../../src/report/build.js';
import { tempDir } from '../helpers.js';
import { incidentRecord } from '../ledger/fixtures.js';

const ROOT = join(import.meta.dirname, '../..');
const DRILLS = join(ROOT, 'drills');
const BIN = join(ROOT, 'bin/alertgate.js');
const files = readdirSync(DRILLS).filter((f) => f.endsWith('.yaml')).sort();

/** A copy of a starter drill with a change, beside the original (its relative paths still hold). */
function variant(name: string, change: (drill: Record<string, any>) => void): string {
  const drill = parse(readFileSync(join(DRILLS, `${name}.yaml`), 'utf8')) as Record<string, any>;
  change(drill);
  drill.config = join(ROOT, 'alertgate.config.yaml');
  const file = join(tempDir('alertgate-drill-variant-'), `${name}.yaml`);
  writeFileSync(file, stringify(drill));
  return file;
}

describe('starter drills (drills/)', () => {
  it('there are the five the policy asks for', () => {
    expect(files).toEqual(['credential-compromise-lateral-movement.yaml', 'ddos-public-site.yaml', 'false-positive-storm.yaml', 'personal-data-exfiltration.yaml', 'ransomware-file-server.yaml']);
  });

  for (const file of files) {
    it(`${file} passes: every expectation holds, every action is taken, no gap`, async () => {
      const report = await runDrillFile(join(DRILLS, file));
      expect(report.expectations.filter((e) => !e.passed)).toEqual([]);
      expect(report.actions.filter((a) => !a.ok)).toEqual([]);
      expect(report.gaps).toEqual([]);
      expect(report.passed).toBe(true);
    });
  }

  it('speed paces the simulated clock in real time (3600: an hour a second) and changes nothing else', async () => {
    const slept: number[] = [];
    const file = variant('ransomware-file-server', (d) => {
      d.speed = 3600;
    });
    const paced = await runDrillFile(file, { sleep: async (ms) => void slept.push(ms) });
    const span = Date.parse(paced.simulated.to) - Date.parse(paced.simulated.from);
    expect(span).toBe(125 * 60_000);
    expect(slept.reduce((a, b) => a + b, 0)).toBeCloseTo(span / 3600, 6);
    const fast = await runDrillFile(join(DRILLS, 'ransomware-file-server.yaml'));
    expect({ ...paced, file: '' }).toEqual({ ...fast, file: '' });
  });

  it('a drill run twice gives the same report, byte for byte', async () => {
    const a = renderDrillReport(await runDrillFile(join(DRILLS, 'personal-data-exfiltration.yaml')), 'json');
    const b = renderDrillReport(await runDrillFile(join(DRILLS, 'personal-data-exfiltration.yaml')), 'json');
    expect(b).toBe(a);
  });
});

describe('a drill fails when the response does not do what the team expects', () => {
  it('a deliberately broken expectation fails, naming what happened instead', async () => {
    const file = variant('ransomware-file-server', (d) => {
      // Level 2 comes 15 minutes after level 1, which came 2 minutes after the case opened.
      d.expect.notified[2] = { receiver: 'pagerduty-secondary', level: 2, within: '10m' };
    });
    const report = await runDrillFile(file);
    expect(report.passed).toBe(false);
    expect(report.expectations.filter((e) => !e.passed)).toEqual([{ expectation: 'pagerduty-secondary told about case 1 at level 2 within 10m', passed: false, detail: 'told after 17m' }]);
  });

  it('acknowledging earlier stops escalation: the CISO is never told, and a drill expecting it fails', async () => {
    const file = variant('ransomware-file-server', (d) => {
      d.actions = [{ at: '+8m', do: 'acknowledge' }];
    });
    const report = await runDrillFile(file);
    expect(report.expectations.filter((e) => !e.passed).map((e) => [e.expectation, e.detail])).toEqual([
      ['pagerduty-secondary told about case 1 at level 2 within 20m', 'never told (told: jira-soc at level 1 after 0m, soc-slack at level 1 after 0m, jira-soc at level 1 after 2m, pagerduty-primary at level 1 after 2m, soc-slack at level 1 after 2m)'],
      ['ciso-email told about case 1 at level 3 within 50m', 'never told (told: jira-soc at level 1 after 0m, soc-slack at level 1 after 0m, jira-soc at level 1 after 2m, pagerduty-primary at level 1 after 2m, soc-slack at level 1 after 2m)'],
    ]);
  });

  it('finds the gap: no receiver for a critical case at night when no policy matches it', async () => {
    const dir = tempDir('alertgate-drill-gap-');
    writeFileSync(
      join(dir, 'escalation.yaml'),
      'timezone: Europe/Berlin\nbusinessHours: { from: "08:00", to: "18:00" }\npolicies:\n  - name: office\n    match: { businessHours: true }\n    levels:\n      - notify: [soc-slack]\n',
    );
    const file = variant('personal-data-exfiltration', (d) => {
      d.escalation = join(dir, 'escalation.yaml');
      d.stream.start = '2026-12-08T01:40:00Z';
      d.actions = [];
      d.expect = { cases: [{ severity: 'critical' }] };
      d.runFor = '1h';
    });
    const report = await runDrillFile(file);
    expect(report.passed).toBe(true);
    expect(report.gaps).toEqual(['no receiver configured for critical malware at night (case 1, opened Tue 02:40 Europe/Berlin): nobody was told — no escalation policy matches it']);
  });

  it('names the place of a mistake in a drill file', async () => {
    const file = join(tempDir('alertgate-drill-bad-'), 'bad.yaml');
    writeFileSync(file, 'name: Bad Name\nstream: { alerts: [] }\nactions:\n  - { at: soon, do: flag }\nexpect: {}\n');
    await expect(runDrillFile(file)).rejects.toThrow(
      [
        `${file}: /name: a drill name: lowercase letters, digits and "-" (line 1)`,
        `${file}: /stream/alerts: expected array to have >=1 items (line 2)`,
        `${file}: /actions/0/at: expected +<duration> after the first alert (+20m) or an ISO date-time (line 4)`,
        `${file}: /actions/0/value: flag needs value: a flag (line 4)`,
      ].join('\n'),
    );
  });
});

describe('a drill in the ledger', () => {
  it('is recorded as a drill run, never counted with the real cases in lists, metrics or the report', () => {
    const db = join(tempDir('alertgate-drill-ledger-'), 'ledger.sqlite');
    return (async () => {
      const ledger = await Ledger.open(parseLedgerLocation(db), { now: () => Date.parse('2026-12-05T09:00:00Z') });
      const real = incidentRecord({ n: 1, severity: 'critical', firstSeen: '2026-12-05T08:00:00Z' });
      await ledger.writeBatch({ incidents: [real], openings: [], counts: [], source: 'test' });
      await ledger.close();
      const run = spawnSync(process.execPath, [BIN, 'drill', join(DRILLS, 'ransomware-file-server.yaml'), '--db', db, '--format', 'json'], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const after = await Ledger.open(parseLedgerLocation(db));
      try {
        expect((await after.cases.list()).map((c) => c.title)).toEqual([real.title]);
        const stats = await after.cases.stats(Date.now());
        expect(stats.cases).toEqual([{ state: 'open', severity: 'critical', count: 1 }]);
        expect(await after.notificationTally()).toEqual([]);
        const drills = await after.drills.list();
        expect(drills.map((d) => [d.name, d.passed, d.failures, d.gaps])).toEqual([['ransomware-file-server', true, 0, 0]]);
        expect((await after.drillStats()).last.map((d) => [d.drill, d.passed])).toEqual([['ransomware-file-server', true]]);
        const report = await buildReport(after, { fromMs: Date.parse('2026-12-01T00:00:00Z'), toMs: Math.max(Date.now(), Date.parse('2026-12-31T00:00:00Z')), minutesPerIncident: 15, top: 5 });
        expect(report.cases.total.cases).toBe(1);
        expect(report.drills.map((d) => [d.name, d.passed])).toEqual([['ransomware-file-server', true]]);
      } finally {
        await after.close();
      }
    })();
  });

  it("the drill's own notices say drill, so a receiver can mark the message as an exercise", async () => {
    const keep = tempDir('alertgate-drill-keep-');
    await runDrillFile(join(DRILLS, 'ransomware-file-server.yaml'), { keep });
    const lines = readFileSync(join(keep, 'ransomware-file-server', 'notifications.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { receiver: string; request: unknown });
    expect(lines.length).toBeGreaterThan(0);
    // Captured as the configured receivers would send them. PagerDuty's acknowledge and resolve events
    // carry no text (Events API v2: event_action and dedup_key only); every other request says drill.
    const texted = lines.filter((l) => !/^(acknowledge|resolve)$/.test(String((l.request as { event_action?: unknown }).event_action)));
    expect(texted.length).toBeGreaterThan(0);
    for (const line of texted) expect(JSON.stringify(line.request)).toMatch(/DRILL|"drill":true/);
  });
});
