import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.js';
import { createLogger } from '../../src/cli/logger.js';
import { ApiConfig } from '../../src/config/api.js';
import { buildHttpServer } from '../../src/http/server.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { WorkerMetrics } from '../../src/metrics/metrics.js';
import type { CaseDetail, CaseSummary } from '../../src/cases/case-record.js';
import { ESCALATION_YAML, writeEscalation } from '../escalation/fixtures.js';
import { tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');
const SOC_WEEK = join(ROOT, 'fixtures/soc-week.ndjson');

function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ALERTGATE_LEDGER: '', ...env }, maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI on a port the test serves: spawned, not synchronous, so the in-process server can answer it. */
function cliAsync(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ALERTGATE_LEDGER: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('alertgate incidents on a replayed week (--db)', () => {
  const dir = tempDir('alertgate-incidents-cli-');
  const db = join(dir, 'ledger.sqlite');
  let cases: CaseSummary[];

  beforeAll(() => {
    const replay = cli(['replay', '--rules', join(ROOT, 'rules'), '--input', SOC_WEEK, '--db', db]);
    expect(replay.code, replay.stderr).toBe(0);
    const listed = cli(['incidents', 'list', '--db', db, '--json', '--limit', '1000']);
    expect(listed.code, listed.stderr).toBe(0);
    cases = JSON.parse(listed.stdout) as CaseSummary[];
  });

  it('lists cases (fewer than incidents: one case per attack), newest first, as a table or JSON', () => {
    expect(cases.length).toBeGreaterThan(0);
    const incidents = cases.reduce((n, c) => n + c.incidentCount, 0);
    expect(incidents).toBe(28);
    expect(cases.length).toBeLessThan(incidents);
    expect(cases.map((c) => c.firstSeen)).toEqual([...cases.map((c) => c.firstSeen)].sort().reverse());
    // Replay records cases and tells nobody.
    expect(cases.every((c) => c.state === 'open' && c.escalation.nextAt === null && c.escalation.level === 0)).toBe(true);
    const table = cli(['incidents', 'list', '--db', db]);
    expect(table.stdout.split('\n')[0]).toMatch(/^CASE +STATE +SEVERITY +CLASSIFICATION +ASSIGNEE +VERDICT +FIRST SEEN +ALERTS +RULES +TITLE$/);
    expect(table.stdout.trim().split('\n')).toHaveLength(Math.min(cases.length, 50) + 1);
  });

  it('filters by severity, rule, time; bad filter values are refused naming the option', () => {
    const ids = (args: string[]) => (JSON.parse(cli(['incidents', 'list', '--db', db, '--json', ...args]).stdout) as CaseSummary[]).map((c) => c.id);
    expect(ids(['--severity', 'critical'])).toEqual(cases.filter((c) => c.severity === 'critical').map((c) => c.id));
    expect(ids(['--rule', 'exfil-volume'])).toEqual(cases.filter((c) => c.rules.some((r) => r.id === 'exfil-volume')).map((c) => c.id));
    const middle = cases[Math.floor(cases.length / 2)]!.firstSeen;
    expect(ids(['--since', middle])).toEqual(cases.filter((c) => c.firstSeen >= middle).map((c) => c.id));
    expect(ids(['--until', middle])).toEqual(cases.filter((c) => c.firstSeen <= middle).map((c) => c.id));
    const bad = cli(['incidents', 'list', '--db', db, '--state', 'sleeping']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^alertgate: --state: Invalid option: expected one of "open"\|"acknowledged"/);
  });

  it('acts: ack, assign, classify, resolve with a verdict; refuses what the lifecycle does not allow (exit 1, saying what is possible)', () => {
    const target = cases.find((c) => c.rules.some((r) => r.id === 'exfil-volume'))!;
    const incidentId = (JSON.parse(cli(['incidents', 'show', target.id, '--db', db, '--json']).stdout) as CaseDetail).incidents[0]!.id;
    const ack = cli(['incidents', 'ack', incidentId, '--db', db, '--note', 'on it']);
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stdout).toMatch(new RegExp(`^${target.id} acknowledged \\(open → acknowledged\\) by cli:\\S+; now acknowledged\\n$`));
    // The audit trail (stderr, JSON).
    expect(ack.stderr).toContain('"event":"case"');
    const close = cli(['incidents', 'close', target.id, '--db', db]);
    expect(close.code).toBe(1);
    expect(close.stderr).toContain('cannot close a case that is acknowledged; from acknowledged a case can be: assign, classify, flag, unflag, contain, resolve');
    expect(cli(['incidents', 'assign', target.id, 'bob', '--db', db]).code).toBe(0);
    const badClass = cli(['incidents', 'classify', target.id, 'ransomware', '--db', db]);
    expect(badClass.code).toBe(1);
    expect(badClass.stderr).toMatch(/^alertgate: <classification>: /);
    expect(cli(['incidents', 'classify', target.id, 'data-breach', '--db', db]).code).toBe(0);
    expect(cli(['incidents', 'resolve', target.id, '--db', db, '--verdict', 'tp']).stderr).toContain('--note: a verdict needs a note');
    const resolved = cli(['incidents', 'resolve', target.id, '--db', db, '--verdict', 'tp', '--note', 'real exfiltration', '--json']);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ case: { state: 'resolved', verdict: 'true_positive', assignee: 'bob', classification: 'data-breach' } });
    const shown = cli(['incidents', 'show', target.id, '--db', db]);
    expect(shown.stdout).toContain('state resolved, assigned to bob; severity');
    expect(shown.stdout).toMatch(/timeline:\n(.+\n)*.+ acknowledged +open → acknowledged {2}\(on it\)/);
    expect(JSON.parse(cli(['incidents', 'list', '--db', db, '--json', '--assignee', 'bob']).stdout)).toHaveLength(1);
    expect(JSON.parse(cli(['incidents', 'list', '--db', db, '--json', '--classification', 'data-breach']).stdout)).toHaveLength(1);
    expect(cli(['incidents', 'show', 'case-000000000000000000000000', '--db', db]).stderr).toContain('no case case-000000000000000000000000');
  });
});

describe('alertgate incidents --api', () => {
  const token = 'analyst-token-0123456789';
  let server: Awaited<ReturnType<typeof buildHttpServer>>;
  let ledger: Ledger;
  let url: string;
  const dir = tempDir('alertgate-incidents-api-');

  beforeAll(async () => {
    const db = join(dir, 'ledger.sqlite');
    expect(cli(['replay', '--rules', join(ROOT, 'rules'), '--input', SOC_WEEK, '--db', db]).code).toBe(0);
    ledger = await Ledger.open(parseLedgerLocation(db));
    const log = createLogger('silent', { destination: new Writable({ write: (_c, _e, done) => done() }) });
    server = await buildHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics: new WorkerMetrics(),
      ready: () => true,
      log,
      api: { config: ApiConfig.parse({ tokens: [{ name: 'ana', role: 'analyst', token }] }), context: { ledger, rules: () => { throw new Error('unused'); }, audit: createAuditLog(log) } },
    });
    url = await server.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server.close();
    await ledger.close();
  });

  it('lists, shows and acts through a worker\'s API as the token\'s holder; refusals are exit 1 with the API\'s message', async () => {
    const env = { ALERTGATE_API_TOKEN: token };
    const listed = await cliAsync(['incidents', 'list', '--api', url, '--severity', 'critical', '--json'], env);
    expect(listed.code, listed.stderr).toBe(0);
    const [first] = JSON.parse(listed.stdout) as CaseSummary[];
    expect(first!.severity).toBe('critical');
    const ack = await cliAsync(['incidents', 'ack', first!.id, '--api', url], env);
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stdout).toContain('acknowledged (open → acknowledged) by api:ana');
    const again = await cliAsync(['incidents', 'ack', first!.id, '--api', url], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${url}: cannot acknowledge a case that is acknowledged (it is already acknowledged)`);
    const shown = await cliAsync(['incidents', 'show', first!.id, '--api', url, '--json'], env);
    expect((JSON.parse(shown.stdout) as CaseDetail).timeline.map((e) => e.event)).toEqual(['opened', 'acknowledged']);
    expect((await cliAsync(['incidents', 'list', '--api', url], {})).stderr).toContain('--api needs a token');
  });
});

describe('alertgate escalation', () => {
  it('check: ok with a summary; a broken file is one located line per problem and exit 1', () => {
    const good = cli(['escalation', 'check', writeEscalation()]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/: ok — 3 policies \(critical-security, office-hours, default\), 2 rotations \(primary, secondary\); receivers named: ciso-email, pager-primary, pager-secondary, soc-slack\n$/);
    const file = writeEscalation(ESCALATION_YAML.replace('after: 15m', 'after: soon'));
    const bad = cli(['escalation', 'check', file]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe(`${file}: /policies/0/levels/1/after: expected a duration such as 30s, 10m, 1h or 7d (line 19)\n`);
  });

  it('explain: who is told, when, for a severity and category at a time', () => {
    const r = cli(['escalation', 'explain', writeEscalation(), '--severity', 'critical', '--category', 'malware', '--at', '2026-11-20T10:00:00Z']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').slice(0, 5)).toEqual([
      'critical malware opened at 2026-11-20T10:00:00Z (Fri 11:00 Europe/Berlin), within business hours',
      `policy critical-security (${r.stdout.match(/\((\/.*escalation\.yaml)\)/)![1]})`,
      '  +0m     2026-11-20T10:00:00Z (Fri 11:00 Europe/Berlin)  level 1     soc-slack, pager-primary  on call: alice',
      '  +15m    2026-11-20T10:15:00Z (Fri 11:15 Europe/Berlin)  level 2     pager-secondary  on call: dave',
      '  +45m    2026-11-20T10:45:00Z (Fri 11:45 Europe/Berlin)  level 3     ciso-email  on call: dave',
    ]);
    const config = join(tempDir(), 'alertgate.yaml');
    writeFileSync(config, `escalation:\n  file: ${writeEscalation()}\n`);
    const viaConfig = cli(['escalation', 'explain', '--config', config, '--severity', 'low', '--category', 'dos', '--json', '--at', '2026-11-20T10:00:00Z']);
    expect(JSON.parse(viaConfig.stdout)).toMatchObject({ policy: 'default', facts: { category: 'denial-of-service' } });
    expect(cli(['escalation', 'explain', writeEscalation(), '--severity', 'urgent', '--category', 'x']).stderr).toContain('--severity: expected one of low, medium, high, critical, got "urgent"');
  });
});
