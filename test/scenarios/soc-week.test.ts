import { spawnSync } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDecision, type DecisionRecord } from '../../src/decide/decision-record.js';
import type { IncidentRecord } from '../../src/incidents/index.js';
import { createNormalizer } from '../../src/normalize/index.js';
import type { DeadLetterRecord } from '../../src/pipeline/dead-letter.js';
import { Pipeline, type PipelineCounts } from '../../src/pipeline/pipeline.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import { DEFAULT_MAX_LINE_BYTES, readLines } from '../../src/source/index.js';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const WEEK = join(ROOT, 'fixtures/soc-week.ndjson');

interface Expected {
  lines: number;
  malformed: { line: number; kind: string }[];
  scenarios: Record<string, { truePositive: boolean; alertIds: string[] }>;
}
const expected = JSON.parse(readFileSync(join(ROOT, 'fixtures/soc-week.expected.json'), 'utf8')) as Expected;
const scenarioOf = new Map(Object.entries(expected.scenarios).flatMap(([name, s]) => s.alertIds.map((id) => [id, name] as const)));

interface Replay {
  decisions: DecisionRecord[];
  incidents: IncidentRecord[];
  deadLetters: DeadLetterRecord[];
  counts: PipelineCounts;
}

/** soc-week through the real pipeline with the starter rules, as `alertgate replay` runs it. */
async function replayWeek(): Promise<Replay> {
  const out: Omit<Replay, 'counts'> = { decisions: [], incidents: [], deadLetters: [] };
  const pipeline = new Pipeline({
    ruleset: await loadRulesOrThrow(join(ROOT, 'rules')),
    normalize: createNormalizer({ format: 'auto' }),
    sinks: { decision: (json) => out.decisions.push(parseDecision(json)), incident: (r) => out.incidents.push(r), deadLetter: (r) => out.deadLetters.push(r) },
  });
  for await (const batch of readLines(createReadStream(WEEK), { maxLineBytes: DEFAULT_MAX_LINE_BYTES })) pipeline.processBatch(batch);
  pipeline.finish();
  return { ...out, counts: pipeline.counts };
}

describe('soc-week replayed with the starter rules', () => {
  let week: Replay;
  /** Decisions of one scenario's alerts, as "decision by rule" → count. */
  const outcomes = (scenario: string) => {
    const tally: Record<string, number> = {};
    for (const d of week.decisions) {
      if (scenarioOf.get(d.alertId) !== scenario) continue;
      const key = d.ruleId ? `${d.decision} by ${d.ruleId}` : d.decision;
      tally[key] = (tally[key] ?? 0) + 1;
    }
    return tally;
  };
  const incidentsOf = (scenario: string) => week.incidents.filter((i) => i.alertIds.some((id) => scenarioOf.get(id) === scenario));

  beforeAll(async () => {
    week = await replayWeek();
  });

  it('accounts for every line: alerts = promoted + suppressed + passed + invalid', () => {
    const { alerts, promoted, suppressed, passed, invalid } = week.counts;
    expect(alerts).toBe(expected.lines);
    expect(promoted + suppressed + passed + invalid).toBe(alerts);
    expect(week.decisions).toHaveLength(alerts - invalid);
    expect(invalid).toBe(expected.malformed.length);
  });

  it('dead-letters exactly the malformed lines, each with a reason that says what is wrong', () => {
    const reasons: Record<string, RegExp> = {
      'truncated-json': /^invalid JSON/,
      'not-an-object': /^expected a JSON object, got array/,
      'bad-timestamp': /^\/time: unparseable timestamp "yesterday 10:00"/,
      'impossible-date': /^\/time: invalid timestamp .*no day 31 in month 11/,
      'unknown-severity': /^\/severity: unrecognized severity "urgent"/,
      'missing-name': /^not a canonical alert/,
      'misspelt-field': /^\/entitites: unknown key/,
      'binary-garbage': /^invalid JSON/,
    };
    expect(week.deadLetters.map((d) => d.line)).toEqual(expected.malformed.map((m) => m.line));
    week.deadLetters.forEach((d, i) => expect(d.reason, `line ${d.line}`).toMatch(reasons[expected.malformed[i]!.kind]!));
  });

  it('lets background noise and internet scanning pass, without a single incident', () => {
    expect(outcomes('background')).toEqual({ pass: expected.scenarios.background!.alertIds.length });
    expect(outcomes('portscan-noise')).toEqual({ pass: expected.scenarios['portscan-noise']!.alertIds.length });
  });

  it('suppresses repeated policy signatures, letting only the first two of each through', () => {
    const policy = outcomes('policy-noise');
    expect(Object.keys(policy).sort()).toEqual(['pass', 'suppress by policy-noise']);
    expect(policy.pass).toBe(10);
  });

  it('silences the authorised scanner and the pentest while their exceptions are active, and not after', () => {
    expect(outcomes('vuln-scanner')).toEqual({ 'suppress by vuln-scanner-nessus': 400 });
    expect(outcomes('pentest-authorized')).toEqual({ 'suppress by pentest-2026-q4': 120 });
    const after = outcomes('pentest-after-expiry');
    expect(after['promote by recon-scan']).toBeGreaterThan(0);
    expect(after['promote by high-severity-alert']).toBe(5);
    expect(Object.keys(after).some((k) => k.startsWith('suppress'))).toBe(false);
  });

  it('opens one brute-force incident for the SSH attack, from the 20th failure on', () => {
    const ssh = week.decisions.filter((d) => scenarioOf.get(d.alertId) === 'ssh-bruteforce');
    expect(ssh.slice(0, 19).map((d) => d.decision)).toEqual(Array(19).fill('pass'));
    expect(ssh.slice(19, -1).every((d) => d.ruleId === 'auth-brute-force')).toBe(true);
    const [incident, ...others] = incidentsOf('ssh-bruteforce').filter((i) => i.ruleId === 'auth-brute-force');
    expect(others).toEqual([]);
    expect(incident).toMatchObject({ groupKey: { 'entities.src_ip': '203.0.113.66' }, alertCount: 301, title: 'Brute force or password spray from 203.0.113.66' });
  });

  it('catches the password spray by its distinct users, long before 20 failures per account', () => {
    expect(incidentsOf('password-spray').map((i) => [i.ruleId, i.groupKey])).toEqual([['auth-brute-force', { 'entities.src_ip': '192.0.2.150' }]]);
  });

  it('sees the multi-stage intrusion on web-02: multi-stage, exfiltration and high-severity incidents', () => {
    const rules = incidentsOf('intrusion').map((i) => i.ruleId).sort();
    expect(rules).toEqual(['exfil-volume', 'first-seen-signature', 'high-severity-alert', 'multi-signature-host']);
    expect(incidentsOf('intrusion').every((i) => i.groupKey['entities.host'] === 'web-02')).toBe(true);
    const exfil = week.incidents.find((i) => i.ruleId === 'exfil-volume')!;
    expect(exfil.title).toBe('Possible exfiltration from web-02');
  });

  it('promotes the heavy scan and the SQL injection burst, each into one incident', () => {
    expect(incidentsOf('portscan-heavy').map((i) => [i.ruleId, i.groupKey])).toEqual([['recon-scan', { 'entities.src_ip': '45.155.205.99' }]]);
    expect(incidentsOf('sqli-burst').map((i) => i.ruleId)).toEqual(['signature-burst']);
  });

  it('opens an incident for every true-positive scenario; the false positives that do are the known tuning targets', () => {
    const withIncidents = Object.keys(expected.scenarios).filter((s) => incidentsOf(s).length > 0);
    const truePositives = Object.entries(expected.scenarios).filter(([, s]) => s.truePositive).map(([name]) => name);
    expect(withIncidents).toEqual(expect.arrayContaining(truePositives));
    expect(withIncidents.filter((s) => !expected.scenarios[s]!.truePositive).sort()).toEqual(['edr-high-fp', 'first-seen-benign']);
  });

  it('never mixes scenarios in one incident', () => {
    for (const incident of week.incidents) {
      expect(new Set(incident.alertIds.map((id) => scenarioOf.get(id))).size, incident.title).toBe(1);
    }
  });
});

describe('alertgate replay of soc-week', () => {
  const replay = () => {
    const dir = tempDir('alertgate-replay-');
    const files = { decisions: join(dir, 'decisions.ndjson'), incidents: join(dir, 'incidents.ndjson'), deadLetters: join(dir, 'dead-letters.ndjson') };
    const r = spawnSync(
      process.execPath,
      [join(ROOT, 'bin/alertgate.js'), 'replay', '--rules', 'rules', '--input', 'fixtures/soc-week.ndjson', '--decisions', files.decisions, '--incidents', files.incidents, '--dead-letters', files.deadLetters, '--summary', 'json'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { durationMs, alertsPerSecond, ...summary } = JSON.parse(r.stdout) as Record<string, number>;
    expect(durationMs).toBeGreaterThanOrEqual(0);
    expect(alertsPerSecond).toBeGreaterThanOrEqual(0);
    return { summary, outputs: Object.values(files).map((f) => readFileSync(f)) };
  };

  it('writes byte-identical decisions, incidents and dead letters on every run', () => {
    const a = replay();
    const b = replay();
    expect(b.summary).toEqual(a.summary);
    a.outputs.forEach((bytes, i) => expect(b.outputs[i]!.equals(bytes)).toBe(true));
    expect(a.summary.alerts).toBe(expected.lines);
    expect(a.outputs[0]!.toString('utf8').trim().split('\n')).toHaveLength(a.summary.alerts! - a.summary.invalid!);
  });
});
