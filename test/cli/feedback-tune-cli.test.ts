import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import { tuningWeek } from '../../scripts/tuning-fixture.mjs';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** cpSync's filter: a rules directory without its scenario tests. */
const withoutTests = (source: string) => basename(source) !== 'tests';

interface Week {
  lines: string[];
  truth: { scenarios: Record<string, { label: string; reason: string; alertIds: string[] }> };
}

describe('alertgate feedback and tune on the command line', () => {
  const dir = tempDir('alertgate-feedback-cli-');
  const db = join(dir, 'ledger.sqlite');
  const rules = join(dir, 'rules');
  const input = join(dir, 'train.ndjson');
  let incidents: { id: string; alertIds: string[] }[];
  let feedbackFile: string;

  beforeAll(() => {
    cpSync(join(ROOT, 'rules'), rules, { recursive: true });
    const week = tuningWeek('train') as Week;
    writeFileSync(input, `${week.lines.join('\n')}\n`);
    const replay = cli(['replay', '--rules', rules, '--input', input, '--db', db, '--incidents', join(dir, 'incidents.ndjson')]);
    expect(replay.code, replay.stderr).toBe(0);
    cpSync(db, join(dir, 'unreviewed.sqlite'));
    expect(replay.stdout).toMatch(/^ledger {6}sqlite:.*: 51 incident records written$/m);
    incidents = readFileSync(join(dir, 'incidents.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const scenarioOf = new Map(Object.entries(week.truth.scenarios).flatMap(([name, s]) => s.alertIds.map((id) => [id, name] as const)));
    feedbackFile = join(dir, 'verdicts.ndjson');
    const short = { true_positive: 'tp', benign_positive: 'bp', false_positive: 'fp' } as Record<string, string>;
    writeFileSync(
      feedbackFile,
      incidents
        .map((i, n) => {
          const s = week.truth.scenarios[scenarioOf.get(i.alertIds[0]!)!]!;
          // Ticket exports abbreviate; both forms are read.
          return JSON.stringify({ incidentId: i.id, verdict: n % 2 === 0 ? short[s.label] : s.label, reason: s.reason, analyst: 'ticket-export', at: '2026-11-07T09:00:00Z' });
        })
        .join('\n') + '\n',
    );
  });

  it('feedback import: records every line once; importing the same file again records nothing new', () => {
    const first = cli(['feedback', 'import', feedbackFile, '--db', db]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(`imported 51 lines into sqlite:${db}: 51 recorded, 0 already recorded, 0 on unknown incidents; 0 of those recorded superseded an earlier verdict\n`);
    expect(cli(['feedback', 'import', feedbackFile, '--db', db]).stdout).toBe(
      `imported 51 lines into sqlite:${db}: 0 recorded, 51 already recorded, 0 on unknown incidents; 0 of those recorded superseded an earlier verdict\n`,
    );
  });

  it('feedback import: one summary line, not an audit line per verdict on stderr (51 lines for 51 verdicts); --audit-log keeps them in a file', () => {
    // A copy of the reviewed ledger: these verdicts must not change what the tune tests below see.
    const copy = join(dir, 'import-audit.sqlite');
    cpSync(db, copy);
    const fresh = join(dir, 'fresh.sqlite');
    cpSync(join(dir, 'unreviewed.sqlite'), fresh);
    const first = cli(['feedback', 'import', feedbackFile, '--db', fresh]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout.trim().split('\n')).toHaveLength(1);

    const second = join(dir, 'second-look.ndjson');
    writeFileSync(second, incidents.slice(0, 4).map((i) => JSON.stringify({ incidentId: i.id, verdict: 'tp', reason: 'second look', analyst: 'lead', at: '2026-11-08T09:00:00Z' })).join('\n') + '\n');
    const auditFile = join(dir, 'audit', 'feedback.log');
    const r = cli(['feedback', 'import', second, '--db', copy, '--audit-log', auditFile]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    // Each of the four had a verdict given the day before: the new one is later, so it becomes current.
    expect(r.stdout).toBe(`imported 4 lines into sqlite:${copy}: 4 recorded, 0 already recorded, 0 on unknown incidents; 4 of those recorded superseded an earlier verdict\n`);
    const audit = readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.map((l) => [l.audit, l.event, l.incidentId, l.verdict])).toEqual(incidents.slice(0, 4).map((i) => [true, 'feedback', i.id, 'true_positive']));
    expect(cli(['feedback', 'import', second, '--api', 'http://127.0.0.1:9', '--token', 'x'.repeat(16), '--audit-log', auditFile])).toMatchObject({ code: 1, stderr: expect.stringMatching(/--audit-log goes with --db/) });
  });

  it('feedback import: malformed lines stop it before anything is recorded, each named by line and field', () => {
    const bad = join(dir, 'bad.ndjson');
    writeFileSync(bad, [JSON.stringify({ incidentId: incidents[0]!.id, verdict: 'fp', reason: 'r', analyst: 'a', extra: 1 }), '{not json', JSON.stringify({ incidentId: incidents[1]!.id, verdict: 'nope', reason: 'r', analyst: 'a' }), ''].join('\n'));
    const r = cli(['feedback', 'import', bad, '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').slice(0, 3)).toEqual([
      `${bad}: line 1: /extra: unknown field`,
      expect.stringMatching(new RegExp(`^${bad}: line 2: invalid JSON`)),
      expect.stringMatching(new RegExp(`^${bad}: line 3: /verdict: `)),
    ]);
    expect(r.stderr).toContain('3 problems in');
  });

  it('feedback import: a wrong verdict is told every accepted spelling, the short ones included (they were left out)', () => {
    const wrong = join(dir, 'wrong-verdict.ndjson');
    writeFileSync(wrong, `${JSON.stringify({ incidentId: incidents[1]!.id, verdict: 'false-positive', reason: 'r', analyst: 'a' })}\n`);
    const r = cli(['feedback', 'import', wrong, '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`${wrong}: line 1: /verdict: expected one of true_positive, benign_positive, false_positive, tp, bp, fp, got "false-positive"`);
  });

  it('feedback import: unknown incidents are listed by line, the others recorded', () => {
    const mixed = join(dir, 'mixed.ndjson');
    writeFileSync(mixed, [JSON.stringify({ incidentId: 'inc-ffffffffffffffffffffffff', verdict: 'fp', reason: 'r', analyst: 'a' }), JSON.stringify({ incidentId: incidents[2]!.id, verdict: 'fp', reason: 'second look', analyst: 'b' })].join('\n'));
    const r = cli(['feedback', 'import', mixed, '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1 recorded, 0 already recorded, 1 on unknown incidents');
    expect(r.stderr).toContain('unknown incidents on lines 1');
  });

  it('feedback: one verdict, supersedes with the history kept; clear errors for an unknown incident, a bad verdict, no ledger', () => {
    const id = incidents[3]!.id;
    const r = cli(['feedback', id, '--verdict', 'bp', '--reason', 'pentest', '--analyst', 'ana', '--entity', 'src_ip=10.0.8.20', '--json', '--db', db]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'created', feedback: { verdict: 'benign_positive', entity: { kind: 'src_ip', value: '10.0.8.20' }, source: 'cli' }, superseded: {} });
    expect(cli(['feedback', 'inc-ffffffffffffffffffffffff', '--verdict', 'fp', '--reason', 'x', '--db', db])).toMatchObject({ code: 1, stderr: `alertgate: no incident inc-ffffffffffffffffffffffff in sqlite:${db}\n` });
    expect(cli(['feedback', id, '--verdict', 'wrong', '--reason', 'x', '--db', db]).stderr).toMatch(/--verdict: expected one of true_positive, benign_positive, false_positive, tp, bp, fp, got "wrong"/);
    expect(cli(['feedback', id, '--verdict', 'fp', '--reason', 'x', '--entity', 'host', '--db', db]).stderr).toMatch(/--entity: expected kind=value/);
    expect(cli(['feedback', id, '--verdict', 'fp', '--reason', 'x'], { ALERTGATE_LEDGER: '' })).toMatchObject({ code: 1, stderr: expect.stringMatching(/no ledger: give --db/) });
    expect(cli(['feedback', id, '--verdict', 'fp', '--reason', 'x', '--api', 'http://127.0.0.1:9'], { ALERTGATE_API_TOKEN: '' }).stderr).toMatch(/--api needs a token/);
  });

  it('tune --replay: the whole-pipeline check of each proposal agrees with the per-rule forecast here, and says what it found', () => {
    const facts = JSON.parse(cli(['tune', '--rules', rules, '--db', db, '--format', 'json']).stdout);
    const exact = cli(['tune', '--rules', rules, '--db', db, '--format', 'json', '--replay', input]);
    expect(exact.code, exact.stderr).toBe(0);
    const report = JSON.parse(exact.stdout);
    expect(report.mode).toBe('pipeline');
    expect(report.refused).toEqual([]);
    for (const p of report.proposals) {
      expect(p.pipeline.falsePositiveAfter).toBeLessThan(p.pipeline.falsePositiveBefore);
      expect(p.pipeline.truePositiveSurvived).toBe(p.pipeline.truePositiveTotal);
    }
    const key = (r: { proposals: { ruleId: string; param: string; to: number; truePositiveKept: number; truePositiveTotal: number }[] }) =>
      r.proposals.map((p) => `${p.ruleId}.${p.param}=${p.to} (${p.truePositiveKept}/${p.truePositiveTotal})`);
    expect(key(report)).toEqual(key(facts));
    expect(key(report)).toHaveLength(3);
  });

  it('tune on an empty ledger says there is nothing to tune and why (it printed an empty table and nothing else)', () => {
    const r = cli(['tune', '--rules', rules, '--db', join(tempDir(), 'empty.sqlite')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(1)).toEqual(['', 'nothing to tune: the ledger has no incidents (record some: alertgate replay --db, or a worker with ledger.url)', '']);
  });

  it('tune: text and markdown tables; usage errors exit 1', () => {
    const text = cli(['tune', '--rules', rules, '--db', db]);
    expect(text.stdout).toMatch(/^rule +param +old → new +FP incidents removed +TP kept +incidents\/day before → after +scope$/m);
    expect(text.stdout).toMatch(/^signature-burst +minCount +20 → 30 /m);
    expect(cli(['tune', '--rules', rules, '--db', db, '--format', 'md']).stdout).toContain('| signature-burst | minCount | 20 → 30 |');
    expect(cli(['tune', '--rules', rules, '--db', db, '--format', 'xml'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/--format: expected text, md, json or patch/) });
    expect(cli(['tune', '--rules', rules, '--db', db, '--max-step', '50'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/--max-step: expected a percentage/) });
    expect(cli(['tune', '--rules', rules, '--db', db, '--min-recall', '2'])).toMatchObject({ code: 1 });
    expect(cli(['tune', '--rules', rules, '--db', db, '--revert', 'tc-nope'])).toMatchObject({ code: 1, stderr: 'alertgate: no tuning change tc-nope in the ledger\n' });
    expect(cli(['tune', '--rules', rules], { ALERTGATE_LEDGER: '' })).toMatchObject({ code: 1, stderr: expect.stringMatching(/no ledger/) });
  });

  it('feedback and tune --apply / --revert straight into the ledger write the audit trail on stderr (who, what, before and after)', () => {
    const auditOf = (stderr: string) => stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.audit === true);
    const id = incidents[5]!.id;
    const given = cli(['feedback', id, '--verdict', 'fp', '--reason', 'noisy backup job', '--analyst', 'ana', '--db', db]);
    expect(given.code, given.stderr).toBe(0);
    expect(auditOf(given.stderr)).toEqual([expect.objectContaining({ event: 'feedback', incidentId: id, verdict: 'false_positive', actor: expect.stringMatching(/^cli:/), note: expect.stringContaining('ana: noisy backup job') })]);
    // The same verdict again changes nothing, and says nothing to the audit trail.
    expect(auditOf(cli(['feedback', id, '--verdict', 'fp', '--reason', 'noisy backup job', '--analyst', 'ana', '--db', db]).stderr)).toEqual([]);

    const tuned = join(dir, 'rules-audit');
    // Without the scenario tests, which pin the starter thresholds (the test below).
    cpSync(rules, tuned, { recursive: true, filter: withoutTests });
    const applied = cli(['tune', '--rules', tuned, '--db', db, '--apply', '--author', 'eve', '--format', 'json']);
    expect(applied.code, applied.stderr).toBe(0);
    const changes = auditOf(applied.stderr);
    expect(changes.length).toBeGreaterThan(0);
    for (const change of changes) expect(change).toMatchObject({ event: 'tuning', action: 'applied', actor: 'eve', before: expect.any(Object), after: expect.any(Object) });
    const first = changes[0] as { changeId: string; before: Record<string, number>; after: Record<string, number> };
    expect(first.before).not.toEqual(first.after);
    const reverted = cli(['tune', '--rules', tuned, '--db', db, '--revert', first.changeId, '--author', 'eve']);
    expect(reverted.code, reverted.stderr).toBe(0);
    expect(auditOf(reverted.stderr)).toEqual([expect.objectContaining({ event: 'tuning', action: 'reverted', changeId: first.changeId, before: first.after, after: first.before })]);
  });

  it('tune --replay --apply records the whole-pipeline evidence in the reason and the changelog', () => {
    const tuned = join(dir, 'rules-pipeline');
    cpSync(rules, tuned, { recursive: true, filter: withoutTests });
    const applied = cli(['tune', '--rules', tuned, '--db', db, '--replay', input, '--apply', '--author', 'eve', '--format', 'json']);
    expect(applied.code, applied.stderr).toBe(0);
    const { changes } = JSON.parse(applied.stdout) as { changes: { reason: string }[] };
    expect(changes.length).toBeGreaterThan(0);
    for (const change of changes) expect(change.reason).toMatch(/^false-positive incidents \d+ → \d+ across the pipeline, (\d+) of \1 confirmed true positives survive \(pipeline\)$/);
    const changelog = readFileSync(join(tuned, 'CHANGELOG.md'), 'utf8');
    expect(changelog.match(/^- across the whole pipeline: false-positive incidents \d+ → \d+, incidents \d+ → \d+, (\d+) of \1 confirmed true positives survive$/gm)).toHaveLength(changes.length);
  });

  it('tune --apply refuses the changes that make `alertgate test` fail, naming the scenario and the expectation; nothing is written (it applied them and the tests failed)', () => {
    const tuned = join(dir, 'rules-gated');
    cpSync(rules, tuned, { recursive: true });
    const files = ['auth-brute-force.yaml', 'exfil-volume.yaml', 'signature-burst.yaml'];
    const before = files.map((f) => readFileSync(join(tuned, f), 'utf8'));
    const applied = cli(['tune', '--rules', tuned, '--db', db, '--apply', '--author', 'eve', '--format', 'json']);
    expect(applied.code).toBe(1);
    const out = JSON.parse(applied.stdout) as { changes: unknown[]; refused: { ruleId: string; scenarios: { file: string; name: string }[] }[] };
    expect(out.changes).toEqual([]);
    expect(out.refused.map((r) => r.ruleId)).toEqual(['auth-brute-force', 'exfil-volume', 'signature-burst']);
    const scenarios = join(tuned, 'tests', 'signature-burst.yaml');
    expect(applied.stderr).toContain('signature-burst minCount 20 → 30 refused: it makes 4 passing scenario tests fail (alertgate test):');
    expect(applied.stderr).toContain(
      `  ${scenarios}: the 20th alert of one signature against one destination within 5 minutes is promoted: alert #20 (twentieth): expected promote by signature-burst, got pass (matched but did not fire: signature-burst hits=20)`,
    );
    expect(files.map((f) => readFileSync(join(tuned, f), 'utf8'))).toEqual(before);
    const test = cli(['test', tuned]);
    expect(test.code, test.stdout).toBe(0);
  });
});
