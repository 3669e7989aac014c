import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CaseSummary } from '../../src/cases/case-record.js';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ALERTGATE_LEDGER: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('alertgate obligations, postmortem and drill on a drill\'s ledger', () => {
  const keep = tempDir('alertgate-obligations-cli-');
  const db = join(keep, 'ddos-public-site', 'ledger.sqlite');
  let caseId: string;

  beforeAll(() => {
    const drill = cli(['drill', join(ROOT, 'drills/ddos-public-site.yaml'), '--keep', keep]);
    expect(drill.code, drill.stderr).toBe(0);
    expect(drill.stdout).toMatch(/^drill ddos-public-site: PASSED/);
    caseId = (JSON.parse(cli(['incidents', 'list', '--db', db, '--json']).stdout) as CaseSummary[])[0]!.id;
  });

  it('check: what the file holds, or one located line per problem and exit 1', () => {
    const good = cli(['obligations', 'check', join(ROOT, 'obligations.yaml')]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout.split('\n')[0]).toBe(`${join(ROOT, 'obligations.yaml')}: ok — 9 obligations; receivers named: ciso-email, dpo-email, legal-email, soc-slack`);
    const bad = join(tempDir(), 'obligations.yaml');
    writeFileSync(bad, 'obligations:\n  - { name: a, title: A, when: { flag: [x] }, within: { hours: 4, days: 1 }, notify: [r] }\n');
    const r = cli(['obligations', 'check', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${bad}: /obligations/0/within: give exactly one of hours, days, months or businessDays (got hours, days) (line 2)\n`);
    expect(r.stderr).toBe(`alertgate: 1 problem in ${bad}\n`);
  });

  it('list, waive (a reason required), met; a name the case does not have is named', () => {
    const running = cli(['obligations', 'list', '--db', db, '--status', 'running']);
    expect(running.code, running.stderr).toBe(0);
    expect(running.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).slice(0, 2))).toEqual([
      [caseId, 'nis2-early-warning'],
      [caseId, 'nis2-incident-notification'],
      [caseId, 'nis2-final-report'],
    ]);
    expect(cli(['obligations', 'waive', caseId, 'nis2-final-report', '--db', db]).stderr).toBe('alertgate: --reason: say why the obligation does not apply\n');
    const waived = cli(['obligations', 'waive', caseId, 'nis2-final-report', '--db', db, '--reason', 'the drill ends here']);
    expect(waived.code, waived.stderr).toBe(0);
    expect(waived.stdout).toMatch(new RegExp(`^${caseId} nis2-final-report waived by cli:\\S+; it was due 2027-01-10T13:15:00.000Z\\n$`));
    const met = cli(['obligations', 'met', caseId, 'nis2-early-warning', '--db', db, '--note', 'CSIRT told', '--json']);
    expect(JSON.parse(met.stdout)).toMatchObject({ obligation: { status: 'met', late: false, note: 'CSIRT told' }, event: { event: 'obligation-met' } });
    const unknown = cli(['obligations', 'met', caseId, 'gdpr', '--db', db]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`case ${caseId} has no obligation gdpr (its obligations: nis2-early-warning, nis2-final-report, nis2-incident-notification)`);
    expect(cli(['obligations', 'list', '--db', db, '--status', 'later']).stderr).toBe('alertgate: --status: expected running, met, missed, waived, got "later"\n');
  });

  it('postmortem: the draft from the ledger, then done once', () => {
    const draft = cli(['postmortem', caseId, '--db', db]);
    expect(draft.code, draft.stderr).toBe(0);
    expect(draft.stdout).toMatch(/^# Postmortem: High-severity alerts on web-01\n/);
    expect(draft.stdout).toContain('| flagged - → nis2-significant by drill |');
    expect(cli(['postmortem', caseId, '--db', db, '--note', 'x']).stderr).toBe('alertgate: --note goes with --done\n');
    const done = cli(['postmortem', caseId, '--db', db, '--done', '--note', 'wiki/PM-7']);
    expect(done.code, done.stderr).toBe(0);
    expect(cli(['postmortem', caseId, '--db', db, '--done']).code).toBe(1);
  });

  it('drill: a failing drill exits 1; a bad option or file is named', () => {
    const failing = join(tempDir(), 'failing.yaml');
    writeFileSync(failing, `name: failing\nconfig: ${join(ROOT, 'alertgate.config.yaml')}\nrunFor: 10m\nstream:\n  start: 2026-12-01T10:00:00Z\n  alerts:\n    - { source: wazuh, name: x, severity: high, category: malware, entities: { host: h1 } }\nexpect:\n  cases: []\n`);
    const r = cli(['drill', failing]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('  ✗ 0 cases open: 1 opened');
    expect(cli(['drill', failing, '--format', 'xml']).stderr).toBe('alertgate: --format: expected text, md, json, got "xml"\n');
    expect(cli(['drill', join(tempDir(), 'nope.yaml')]).code).toBe(1);
  });
});
