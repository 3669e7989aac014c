import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatScenarioReport, runScenarioFiles, ScenarioReport } from '../../src/ruletest/index.js';
import { alert, rule, tempDir, writeRules } from '../helpers.js';

const RULES = join(import.meta.dirname, '../../rules');

/** A rules directory with one windowed rule (3 hits per source in 5m) and a scenarios directory beside it. */
function workspace(scenarios: Record<string, string>) {
  const rulesDir = writeRules({
    'burst.yaml': rule({
      id: 'burst',
      params: { minHits: { value: 3, min: 1, max: 10, step: 1 } },
      match: { all: [{ fact: 'category', operator: 'equal', value: 'recon' }] },
      window: { groupBy: ['entities.src_ip'], size: '5m' },
      aggregates: { hits: { kind: 'count' } },
      conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minHits' } }] },
      incident: { groupBy: ['entities.src_ip'], window: '30m', title: 'Burst from {{entities.src_ip}}' },
    }),
  });
  const testsDir = join(rulesDir, 'tests');
  mkdirSync(testsDir);
  for (const [name, text] of Object.entries(scenarios)) writeFileSync(join(testsDir, name), text);
  return { rulesDir, testsDir };
}

const base = JSON.stringify(alert({ id: 'x', time: '2026-11-20T10:00:00Z' }));
const threeHits = `
name: three hits
alerts:
  - { repeat: 3, every: 1m, alert: ${base} }
`;

describe('runScenarioFiles', () => {
  it('passes every scenario of the starter rule pack', async () => {
    const report = await runScenarioFiles({ rulesDir: RULES, testsDir: join(RULES, 'tests') });
    const failures = report.scenarios.flatMap((s) => s.failures);
    expect(failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.passed).toBeGreaterThanOrEqual(20);
    expect(ScenarioReport.parse(report)).toEqual(report);
  });

  it('passes when decisions, incident membership and incidents are as expected', async () => {
    const { rulesDir, testsDir } = workspace({
      'ok.yaml': `${threeHits}
expect:
  decisions:
    - { at: 1..2, decision: pass }
    - { at: x-3, decision: promote, rule: burst, newIncident: true }
  incidents:
    - { rule: burst, alertCount: 1, groupKey: { entities.src_ip: 203.0.113.7 }, title: Burst from 203.0.113.7, alerts: [3] }
`,
    });
    const report = await runScenarioFiles({ rulesDir, testsDir });
    expect(report).toMatchObject({ passed: 1, failed: 0, files: 1 });
    expect(report.scenarios[0]).toMatchObject({ name: 'three hits', alerts: 3, failures: [] });
  });

  it('reports a wrong decision as "file: scenario: alert #i (id): expected …, got … (why)"', async () => {
    const { rulesDir, testsDir } = workspace({ 'wrong.yaml': `${threeHits}\nexpect:\n  decisions:\n    - { at: 2, decision: promote, rule: burst }\n` });
    const report = await runScenarioFiles({ rulesDir, testsDir });
    expect(report.failed).toBe(1);
    expect(report.scenarios[0]!.failures).toEqual([
      `${join(testsDir, 'wrong.yaml')}: three hits: alert #2 (x-2): expected promote by burst, got pass (matched but did not fire: burst hits=2)`,
    ]);
    expect(formatScenarioReport(report)).toMatch(/^FAIL {2}.*wrong\.yaml: three hits \(3 alerts\)\n {6}.*expected promote by burst, got pass.*\n\n0 passed, 1 failed$/);
  });

  it('explains the deciding rule, its aggregates and group when the rule is not the expected one', async () => {
    const { rulesDir, testsDir } = workspace({ 'w.yaml': `${threeHits}\nexpect:\n  decisions:\n    - { at: 3, decision: suppress }\n` });
    const [scenario] = (await runScenarioFiles({ rulesDir, testsDir })).scenarios;
    expect(scenario!.failures[0]).toMatch(/alert #3 \(x-3\): expected suppress, got promote by burst v1 \(hits=3; group entities\.src_ip=203\.0\.113\.7\)$/);
  });

  it('checks incident membership: sameIncidentAs and newIncident', async () => {
    const { rulesDir, testsDir } = workspace({
      'inc.yaml': `
name: incidents
defaults: ${base}
alerts:
  - { repeat: 4, every: 1m, alert: { id: x } }
  - { id: late, time: +2h }
  - { id: later, time: +1m }
  - { id: last, time: +1m }
expect:
  decisions:
    - { at: x-4, decision: promote, sameIncidentAs: x-3, newIncident: true }
    - { at: last, decision: promote, sameIncidentAs: x-3 }
`,
    });
    const [scenario] = (await runScenarioFiles({ rulesDir, testsDir })).scenarios;
    expect(scenario!.failures.map((f) => f.replace(/^.*: incidents: /, ''))).toEqual([
      expect.stringMatching(/^alert #4 \(x-4\): expected to open a new incident, but it joined inc-[0-9a-f]+, opened by alert #3 \(x-3\)$/),
      expect.stringMatching(/^alert #7 \(last\): expected the incident of alert #3 \(x-3\) \(inc-[0-9a-f]+\), got inc-[0-9a-f]+$/),
    ]);
  });

  it('lists the incidents written when their number differs, and shows only the first alerts of a failing range', async () => {
    const { rulesDir, testsDir } = workspace({
      'inc.yaml': `
name: counts
alerts:
  - { repeat: 8, every: 1m, alert: ${base} }
expect:
  decisions:
    - { at: 1..8, decision: pass }
  incidents: []
`,
    });
    const failures = (await runScenarioFiles({ rulesDir, testsDir })).scenarios[0]!.failures.map((f) => f.replace(/^.*: counts: /, ''));
    expect(failures).toEqual([
      expect.stringMatching(/^alert #3 \(x-3\): expected pass, got promote by burst/),
      expect.stringMatching(/^alert #4 /),
      expect.stringMatching(/^alert #5 /),
      '... and 3 more of the alerts at "1..8" differ',
      'expected 0 incidents, got 1: \n    1. burst [entities.src_ip=203.0.113.7] 6 alerts, "Burst from 203.0.113.7"',
    ]);
  });

  it('expects dead letters as decision invalid, with a piece of the reason', async () => {
    const { rulesDir, testsDir } = workspace({
      'bad.yaml': `
name: bad input
start: 2026-11-20T10:00:00Z
alerts:
  - { source: s, name: n, severity: urgent }
  - { source: s, name: n, severity: low, time: yesterday }
expect:
  decisions:
    - { at: 1, decision: invalid, reason: unrecognized severity }
    - { at: 2, decision: invalid, reason: nonsense }
`,
    });
    const [scenario] = (await runScenarioFiles({ rulesDir, testsDir })).scenarios;
    expect(scenario!.failures).toEqual([expect.stringMatching(/alert #2 \(alert-2\): expected a dead-letter reason containing "nonsense", got "\/time: unparseable timestamp "yesterday"/)]);
  });

  it('locates mistakes in a scenario file by file, JSON pointer and line, and names the scenario', async () => {
    const { rulesDir, testsDir } = workspace({
      'typo.yaml': `name: typo\nalerts:\n  - { repeat: many, every: 1m, alert: {} }\nexpect:\n  decisions:\n    - { at: 1, decision: promoted }\n`,
    });
    const report = await runScenarioFiles({ rulesDir, testsDir });
    const file = join(testsDir, 'typo.yaml');
    expect(report.scenarios[0]).toMatchObject({ name: 'typo', alerts: 0 });
    expect(report.scenarios[0]!.failures).toEqual([
      expect.stringMatching(new RegExp(`^${file}: /alerts/0/repeat: .*number.* \\(line 3\\)$`)),
      expect.stringMatching(new RegExp(`^${file}: /expect/decisions/0/decision: .* \\(line 6\\)$`)),
    ]);
  });

  it('reports selectors that pick no alert', async () => {
    const { rulesDir, testsDir } = workspace({ 's.yaml': `${threeHits}\nexpect:\n  decisions:\n    - { at: 4, decision: pass }\n    - { at: 2..9, decision: pass }\n    - { at: nope, decision: pass }\n` });
    const failures = (await runScenarioFiles({ rulesDir, testsDir })).scenarios[0]!.failures.map((f) => f.replace(/^.*: three hits: /, ''));
    expect(failures).toEqual([
      'at 4: there is no alert #4 (the scenario has 3)',
      'at "2..9": range 2..9 is not within alerts #1..#3',
      'at "nope": no alert has id "nope"',
    ]);
  });

  it('runs several scenarios per file (YAML documents), each with fresh windows', async () => {
    const twice = `${threeHits}\nexpect:\n  decisions:\n    - { at: 3, decision: promote }\n`;
    const { rulesDir, testsDir } = workspace({ 'multi.yaml': `${twice}---${twice}` });
    const report = await runScenarioFiles({ rulesDir, testsDir });
    expect(report).toMatchObject({ passed: 2, failed: 0, files: 1 });
  });

  it('takes a per-scenario rules directory relative to the scenario file, and reports rules that do not load', async () => {
    const { rulesDir, testsDir } = workspace({
      'other.yaml': `${threeHits}rules: ../broken\nexpect:\n  decisions:\n    - { at: 3, decision: pass }\n`,
    });
    mkdirSync(join(rulesDir, 'broken'));
    writeFileSync(join(rulesDir, 'broken', 'r.yaml'), 'id: r\nversion: 1\n');
    const [scenario] = (await runScenarioFiles({ rulesDir: join(rulesDir, 'none'), testsDir })).scenarios;
    expect(scenario!.failures[0]).toMatch(/three hits: the rules in .*broken do not load:$/);
    expect(scenario!.failures[1]).toMatch(/^ {2}.*broken\/r\.yaml: \/title: .*\(line 1\)$/);
  });

  it('refuses an empty or missing scenario directory', async () => {
    await expect(runScenarioFiles({ rulesDir: RULES, testsDir: tempDir() })).rejects.toThrow(/no scenario files/);
    await expect(runScenarioFiles({ rulesDir: RULES, testsDir: join(tempDir(), 'absent') })).rejects.toThrow(/cannot read scenario directory/);
  });
});
