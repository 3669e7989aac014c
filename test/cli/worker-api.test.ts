import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import { tuningWeek } from '../../scripts/tuning-fixture.mjs';
import { stringify } from 'yaml';
import { callApi, tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');
const TOKENS = { viewer: 'viewer-secret-7c1e9a04d2', analyst: 'analyst-secret-4b8f0e61aa', engineer: 'engineer-secret-93d2c7f015' };

/** cpSync's filter: the starter rules without their scenario tests, which pin the thresholds tuning moves here. */
const withoutTests = (source: string) => basename(source) !== 'tests';

interface Week {
  lines: string[];
  truth: { scenarios: Record<string, { label: string; reason: string; alertIds: string[] }> };
}

describe('alertgate run: the loop through the worker API', () => {
  it('records the run, takes verdicts over HTTP (and from the CLI via --api), applies the tuner, reloads, reverts; no token in its logs', async () => {
    const dir = tempDir('alertgate-worker-api-');
    const rules = join(dir, 'rules');
    cpSync(join(ROOT, 'rules'), rules, { recursive: true, filter: withoutTests });
    const week = tuningWeek('train') as Week;
    writeFileSync(join(dir, 'train.ndjson'), `${week.lines.join('\n')}\n`);
    const env = {
      ...process.env,
      ALERTGATE_LEDGER: join(dir, 'ledger.sqlite'),
      ALERTGATE_API_TOKENS: Object.entries(TOKENS).map(([role, token]) => `${role}-bot:${role}:${token}`).join(','),
      ALERTGATE_LOG_LEVEL: 'trace',
    };
    const child = spawn(process.execPath, [BIN, 'run', '--rules', rules, '--input', join(dir, 'train.ndjson'), '--port', '0', '--serve'], { env });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const serving = new Promise<string>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const match = /serving (http:\/\/\S+)\/metrics and the API/.exec(stdout);
        if (match) resolve(match[1]!);
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const url = await Promise.race([serving, exited.then((code) => Promise.reject(new Error(`worker exited ${code}: ${stderr}`)))]);

    const api = (method: string, path: string, role: keyof typeof TOKENS, body?: unknown) => callApi(url, TOKENS[role], method, path, body);

    // Analysts: every incident of the week, from the ground truth.
    const scenarioOf = new Map(Object.entries(week.truth.scenarios).flatMap(([name, s]) => s.alertIds.map((id) => [id, name] as const)));
    const { body: listed } = await api('GET', '/incidents?limit=1000', 'viewer');
    expect(listed.incidents.length).toBe(51);
    const [first, ...rest] = listed.incidents as { id: string; alertIds: string[] }[];
    const verdictOf = (i: { alertIds: string[] }) => week.truth.scenarios[scenarioOf.get(i.alertIds[0]!)!]!;
    // One verdict from the CLI, against the running worker's API.
    const cli = spawnSync(process.execPath, [BIN, 'feedback', first!.id, '--verdict', verdictOf(first!).label, '--reason', verdictOf(first!).reason, '--analyst', 'cli-analyst', '--api', url], {
      env: { ...process.env, ALERTGATE_API_TOKEN: TOKENS.analyst },
      encoding: 'utf8',
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`^recorded fb-[0-9a-f]{24} on ${first!.id}: ${verdictOf(first!).label}`));
    for (const incident of rest) {
      const { status } = await api('POST', `/incidents/${incident.id}/feedback`, 'analyst', { verdict: verdictOf(incident).label, reason: verdictOf(incident).reason, analyst: 'soc-analyst' });
      expect(status).toBe(201);
    }

    // An engineer applies the tuner; the worker reloads the rules it wrote.
    const before = readFileSync(join(rules, 'signature-burst.yaml'), 'utf8');
    const applied = await api('POST', '/tuning/apply', 'engineer', { reason: 'noise from the week' });
    expect(applied.status).toBe(200);
    expect(applied.body.changes.map((c: { ruleId: string }) => c.ruleId).sort()).toEqual(['auth-brute-force', 'exfil-volume', 'signature-burst']);
    expect(applied.body.reload).toMatchObject({ applied: true });
    const { body: running } = await api('GET', '/rules', 'viewer');
    expect(running.rules.find((r: { id: string }) => r.id === 'signature-burst')).toMatchObject({ version: 2, params: { minCount: { value: 30 } } });
    const stats = await api('GET', '/rules/signature-burst/stats', 'viewer');
    expect(stats.body).toMatchObject({ falsePositive: 19, truePositive: 1, tuningChanges: [expect.objectContaining({ to: 30, author: 'engineer-bot' })] });

    // The metrics read the same ledger at scrape time.
    const scraped = await (await fetch(`${url}/metrics`)).text();
    expect(scraped).toMatch(/^alertgate_feedback_incidents\{rule="signature-burst",verdict="false_positive"\} 19$/m);
    expect(scraped).toMatch(/^alertgate_tuning_changes_applied\{rule="signature-burst"\} 1$/m);
    // (Precision is over a wall-clock horizon: the fixture's incidents may be older than it, so it is not checked here.)
    expect(scraped).toMatch(/^alertgate_rule_precision_horizon_seconds 2592000$/m);

    const change = applied.body.changes.find((c: { ruleId: string }) => c.ruleId === 'signature-burst');
    expect((await api('POST', `/tuning/changes/${change.id}/revert`, 'engineer', { reason: 'check' })).status).toBe(200);
    expect(readFileSync(join(rules, 'signature-burst.yaml'), 'utf8')).toBe(before);
    expect(readFileSync(join(rules, 'CHANGELOG.md'), 'utf8')).toContain(`${change.id} reverted`);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('"msg":"API request"');
    for (const token of Object.values(TOKENS)) expect(stderr + stdout, 'a token in the output').not.toContain(token);
  });

  it('auto-tune: with tuning.auto on, the worker applies the proposals itself, as its author, and reloads them', async () => {
    const dir = tempDir('alertgate-auto-tune-');
    const rules = join(dir, 'rules');
    cpSync(join(ROOT, 'rules'), rules, { recursive: true, filter: withoutTests });
    const week = tuningWeek('train') as Week;
    const input = join(dir, 'train.ndjson');
    writeFileSync(input, `${week.lines.join('\n')}\n`);
    const db = join(dir, 'ledger.sqlite');
    const cli = (...args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    cli('replay', '--rules', rules, '--input', input, '--db', db, '--incidents', join(dir, 'incidents.ndjson'));
    const scenarioOf = new Map(Object.entries(week.truth.scenarios).flatMap(([name, s]) => s.alertIds.map((id) => [id, name] as const)));
    const verdicts = readFileSync(join(dir, 'incidents.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; alertIds: string[] })
      .map((i) => {
        const s = week.truth.scenarios[scenarioOf.get(i.alertIds[0]!)!]!;
        return JSON.stringify({ incidentId: i.id, verdict: s.label, reason: s.reason, analyst: 'a' });
      });
    writeFileSync(join(dir, 'verdicts.ndjson'), `${verdicts.join('\n')}\n`);
    cli('feedback', 'import', join(dir, 'verdicts.ndjson'), '--db', db);

    const config = join(dir, 'alertgate.yaml');
    writeFileSync(config, stringify({ rules, input: { path: input, onEnd: 'serve' }, ledger: { url: db }, http: { port: 0 }, tuning: { auto: { enabled: true, every: '200ms', mode: 'apply' } } }));
    const child = spawn(process.execPath, [BIN, 'run', '--config', config]) as ChildProcessWithoutNullStreams;
    let stderr = '';
    const applied = new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if ((stderr.match(/"msg":"auto-tune applied a change"/g) ?? []).length >= 3 && /"msg":"rules reloaded"/.test(stderr)) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await Promise.race([applied, exited.then((code) => Promise.reject(new Error(`worker exited ${code}: ${stderr}`)))]);
    expect(readFileSync(join(rules, 'signature-burst.yaml'), 'utf8')).toMatch(/^version: 2$/m);
    expect(readFileSync(join(rules, 'CHANGELOG.md'), 'utf8')).toMatch(/signature-burst minCount 20 → 30 \(version 1 → 2\)\n\n- by alertgate-auto-tune: /);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
