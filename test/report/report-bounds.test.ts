import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { hourBucketEndMs, hourBucketMs } from '../../src/ledger/records.js';
import { buildReport } from '../../src/report/build.js';
import { reportPeriod } from '../../src/report/period.js';
import { Report } from '../../src/report/report.js';
import { tempDir } from '../helpers.js';
import { incidentRecord } from '../ledger/fixtures.js';
import { DAY, HOUR } from './fixtures.js';

const BIN = join(import.meta.dirname, '../../bin/alertgate.js');
const INCIDENTS = 20_000;
const DAYS = 400;
/** The ledger's data: 400 days ending at the end of 2026-11-30 (UTC). */
const START = Date.UTC(2026, 10, 30) + DAY - DAYS * DAY;
const RULES = ['auth-brute-force', 'exfil-volume', 'recon-scan'];

/**
 * A ledger as a busy year leaves it: 20,000 incidents of three rules over 400 days, each with 20 alert
 * ids, its opening alert and a src_ip of its own, a verdict on every tenth, and decisions every hour.
 */
async function busyYear(file: string): Promise<{ newestMs: number }> {
  const ledger = await Ledger.open(parseLedgerLocation(file));
  const step = Math.floor((DAYS * DAY) / INCIDENTS);
  let newestMs = 0;
  for (let from = 0; from < INCIDENTS; from += 2_000) {
    const records = Array.from({ length: 2_000 }, (_, i) => {
      const n = from + i;
      const firstSeen = new Date(START + n * step).toISOString();
      const lastSeen = new Date(START + n * step + 10 * 60_000).toISOString();
      newestMs = Math.max(newestMs, Date.parse(lastSeen));
      return incidentRecord({ n, ruleId: RULES[n % 3]!, firstSeen, lastSeen, alertCount: 20, alertIds: Array.from({ length: 20 }, (_, k) => `alert-${n}-${k}`), groupKey: { 'entities.src_ip': `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}` } });
    });
    await ledger.writeBatch({
      incidents: records,
      openings: records.map((r, i) => ({ incidentId: r.id, alertId: r.alertIds[0]!, decisionJson: '{}', alert: { name: `ET SCAN ${(from + i) % 50}`, source: 'suricata', severity: 'high', entities: { src_ip: r.groupKey['entities.src_ip']!, host: `web-${i % 40}` } } })),
      counts: [],
      source: 'busy-year',
    });
    for (const r of records.filter((_, i) => (from + i) % 10 === 0)) {
      await ledger.addFeedback({ incidentId: r.id, verdict: 'false_positive', reason: 'noise', analyst: 'ana', at: r.lastSeen }, 'test');
    }
  }
  const counts = Array.from({ length: DAYS * 24 }, (_, h) => [...RULES, ''].map((ruleId) => ({ ruleId, decision: ruleId === '' ? ('pass' as const) : ('promote' as const), bucketMs: START + h * HOUR, count: 1 + (h % 7) }))).flat();
  for (let i = 0; i < counts.length; i += 5_000) await ledger.writeBatch({ incidents: [], openings: [], counts: counts.slice(i, i + 5_000), source: 'busy-year' });
  await ledger.close();
  return { newestMs };
}

/**
 * The longest the event loop waited while `task` ran. The histogram samples with a timer, which has to
 * have fired once before a block can show (hence the wait after enabling), and once after it.
 */
async function longestEventLoopDelay<T>(task: () => Promise<T>): Promise<{ result: T; longestMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  await sleep(30);
  const result = await task();
  await sleep(30);
  delay.disable();
  return { result, longestMs: delay.max / 1e6 };
}

describe('report bounds over a busy year (issue 9: one viewer request stalled and then killed the worker)', () => {
  const file = join(tempDir('alertgate-report-bounds-'), 'ledger.sqlite');
  let ledger: Ledger;
  let newestMs: number;

  beforeAll(async () => {
    ({ newestMs } = await busyYear(file));
    ledger = await Ledger.open(parseLedgerLocation(file));
  }, 120_000);
  afterAll(async () => ledger?.close());

  it('a 400-day report does not block the event loop: it reads in pages and yields between them (365000d blocked it for 7.6 s)', async () => {
    const { result: report, longestMs } = await longestEventLoopDelay(() => buildReport(ledger, { fromMs: START, toMs: newestMs, minutesPerIncident: 15, top: 5 }));
    expect(report.totals.incidents).toBe(INCIDENTS);
    expect(report.days).toHaveLength(DAYS);
    // One page of incidents is ~15 ms of CPU; the whole report in one go was 12 s on this ledger.
    // The bound leaves room for a machine shared many times over, and none for reading the period at once.
    expect(longestMs, `longest event-loop delay ${Math.round(longestMs)} ms`).toBeLessThan(1_000);
  }, 120_000);

  it('the period is clipped to the days the ledger has data on: 400d back from the newest decision, or back to year 1', async () => {
    // The default end is the end of the newest decision's hour (docs/report.md).
    const endMs = hourBucketEndMs(hourBucketMs(newestMs));
    expect(await reportPeriod(ledger, '400d', undefined)).toEqual({ fromMs: START, toMs: endMs });
    expect(await reportPeriod(ledger, '0001-01-01T00:00:00Z', undefined)).toEqual({ fromMs: START, toMs: endMs });
    // An end far in the future is clipped to the end of the last day of data...
    expect(await reportPeriod(ledger, '2000-01-01T00:00:00Z', Date.UTC(9999, 0, 1))).toEqual({ fromMs: START, toMs: Date.UTC(2026, 10, 30) + DAY - 1 });
    // ...and a period wholly outside the data stays as asked: its report is empty.
    expect(await reportPeriod(ledger, '7d', Date.UTC(9999, 0, 1))).toEqual({ fromMs: Date.UTC(9999, 0, 1) - 7 * DAY, toMs: Date.UTC(9999, 0, 1) });
    // What remains of a longer ask is still at most 400 days.
    await expect(reportPeriod(ledger, '2000-01-01T00:00:00Z', undefined)).resolves.toEqual({ fromMs: START, toMs: endMs });
  });

  it('alertgate report over the 400 days fits a 64 MB heap: one page of incidents at a time (--since 3650000d took 4.2 GB; all 20,000 at once do not fit)', async () => {
    const child = spawn(process.execPath, ['--max-old-space-size=64', BIN, 'report', '--db', file, '--since', '400d', '--format', 'json'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 100_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr.slice(0, 2_000)).toBe(0);
    const report = Report.parse(JSON.parse(stdout));
    expect(report.period).toMatchObject({ from: new Date(START).toISOString(), to: new Date(hourBucketEndMs(hourBucketMs(newestMs))).toISOString() });
    expect(report.days).toHaveLength(DAYS);
    expect(report.totals.incidents).toBe(INCIDENTS);
    expect(report.totals.falsePositive).toBe(INCIDENTS / 10);
  }, 120_000);
});
