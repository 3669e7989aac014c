import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAuditLog, WatermarkAudit } from '../../src/audit/audit-log.js';
import { createLogger } from '../../src/cli/logger.js';
import { FUTURE_DATED_LOG_INTERVAL_MS, RECENT_FUTURE_DATED, WorkerWatermark } from '../../src/cli/worker-watermark.js';
import { callApi, tempDir } from '../helpers.js';

const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/alertgate.js');
const WEEK = readFileSync(join(ROOT, 'fixtures/soc-week.ndjson'), 'utf8').trim().split('\n');
const TOKENS = { viewer: 'viewer-secret-5a0e2b9c41', engineer: 'engineer-secret-0f3c8d7e62' };

describe('alertgate run (file input): repairing a poisoned watermark through the API', () => {
  it('an alert dated 9999 as the very first line poisons the watermark (nothing to compare it with); POST /watermark/reset moves it back between two batches, audited, and the rest of the input counts again', async () => {
    const dir = tempDir('alertgate-watermark-');
    const env = {
      ...process.env,
      ALERTGATE_API_TOKENS: Object.entries(TOKENS).map(([role, token]) => `${role}-bot:${role}:${token}`).join(','),
      ALERTGATE_WATCH_RULES: 'false',
    };
    const child = spawn(process.execPath, [BIN, 'run', '--rules', join(ROOT, 'rules'), '--input', '-', '--port', '0', '--exit-on-end'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const match = /"url":"(http:\/\/[^"]+)"/.exec(stderr);
        if (match) resolve(match[1]!);
      });
      void exited.then((code) => reject(new Error(`worker exited ${code}: ${stderr}`)));
    });
    const api = (method: string, path: string, role: keyof typeof TOKENS, body?: unknown) => callApi(url, TOKENS[role], method, path, body);
    const received = async () => Number(/^alertgate_alerts_received_total (\d+)$/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
    const until = async (done: () => Promise<boolean>) => {
      for (let i = 0; i < 600 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
    };

    const first = JSON.parse(WEEK[0]!) as object;
    const head = [JSON.stringify({ ...first, id: 'future-9999', time: '9999-12-31T23:59:59.000Z' }), ...WEEK.slice(0, 2000)];
    child.stdin.write(`${head.join('\n')}\n`);
    await until(async () => (await received()) === head.length);

    const poisoned = await api('GET', '/watermark', 'engineer');
    expect(poisoned.status).toBe(200);
    expect(poisoned.body).toMatchObject({ deciding: true, watermark: '9999-12-31T23:59:59.000Z', poisoned: true, eventTime: { maxFutureSkew: '6h', onFutureDated: 'clamp' } });
    expect(poisoned.body.streamTime).toMatch(/^2026-11-1/);
    expect((await api('GET', '/watermark', 'viewer')).status).toBe(403);

    const reset = await api('POST', '/watermark/reset', 'engineer', { to: 'recent' });
    expect(reset).toMatchObject({ status: 200, body: { applied: true, from: '9999-12-31T23:59:59.000Z', to: poisoned.body.streamTime } });
    expect((await api('POST', '/watermark/reset', 'engineer', { to: 'recent' })).status).toBe(409);
    expect((await api('POST', '/watermark/reset', 'engineer', { to: 'yesterday' })).body.error).toMatchObject({ status: 400, field: '/to' });
    const repaired = await api('GET', '/watermark', 'engineer');
    expect(repaired.body).toMatchObject({ watermark: poisoned.body.streamTime, poisoned: false });
    expect(repaired.body.history.at(-1)).toMatchObject({ from: '9999-12-31T23:59:59.000Z', to: poisoned.body.streamTime, cause: 'reset' });

    child.stdin.end(`${WEEK.slice(2000).join('\n')}\n`);
    expect(await exited).toBe(0);
    // Late only before the reset: as many as the poisoned first 2001 lines alone give (replayed), none after.
    const headFile = join(dir, 'head.ndjson');
    writeFileSync(headFile, `${head.join('\n')}\n`);
    const replayed = spawnSync(process.execPath, [BIN, 'replay', '--rules', join(ROOT, 'rules'), '--input', headFile, '--summary', 'json'], { encoding: 'utf8' });
    const lateBefore = (JSON.parse(replayed.stdout) as { late: number }).late;
    expect(lateBefore).toBeGreaterThan(1000);
    expect(Number(/^late\s+(\d+)$/m.exec(stdout)?.[1])).toBe(lateBefore);
    const audit = stderr.split('\n').filter((l) => l.includes('"event":"watermark.reset"')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toHaveLength(1);
    const { level: _l, time: _t, service: _s, msg: _m, audit: _a, event: _e, ...fields } = audit[0]!;
    expect(WatermarkAudit.parse(fields)).toEqual({ actor: 'engineer-bot', requested: 'recent', from: '9999-12-31T23:59:59.000Z', to: poisoned.body.streamTime, windowEventsDropped: 1, incidentsClosed: [] });
  }, 60_000);
});

describe('WorkerWatermark', () => {
  it('logs future-dated alerts at a bounded rate: the first at once, then at most one line per interval with the count since; lists the newest', () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('info', { destination: new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }) });
    let now = 1_000_000;
    const watermark = new WorkerWatermark({ pipeline: () => undefined, apply: () => Promise.reject(new Error('unused')), deciding: () => true, audit: createAuditLog(log), log, now: () => now });
    const event = (n: number) => ({ alertId: `a${n}`, timeMs: Date.UTC(9999, 0, 1), referenceMs: Date.UTC(2026, 10, 20), action: 'clamp' as const });
    for (let n = 0; n <= 1000; n++) {
      watermark.onFutureDated(event(n));
      now += 10;
    }
    // 1001 alerts, one every 10 ms: the first line at once, the second once the interval has passed, counting the 1000 since.
    const logged = lines.filter((l) => String(l.msg).startsWith('future-dated alerts'));
    expect(logged.map((l) => [l.futureDated, l.alertId])).toEqual([
      [1, 'a0'],
      [FUTURE_DATED_LOG_INTERVAL_MS / 10, `a${FUTURE_DATED_LOG_INTERVAL_MS / 10}`],
    ]);
    expect(logged[0]).toMatchObject({ level: 40, streamTime: '2026-11-20T00:00:00.000Z', action: 'clamp' });
    expect(watermark.view().recentFutureDated.map((e) => e.alertId)).toEqual(Array.from({ length: RECENT_FUTURE_DATED }, (_, i) => `a${1001 - RECENT_FUTURE_DATED + i}`));
  });
});
