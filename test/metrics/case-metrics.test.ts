import { spawnSync } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { WorkerMetrics } from '../../src/metrics/metrics.js';
import { deliveryRig } from '../delivery/harness.js';
import { describeLedger } from '../ledger/backends.js';
import { parseExposition } from './exposition.js';

const MIN = 60_000;
const hasPromtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const valueOf = (text: string, name: string, labels: Record<string, string> = {}) =>
  parseExposition(text)
    .get(name.replace(/_(bucket|sum|count)$/, ''))
    ?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describeLedger('case and notification metrics from the ledger', (fresh) => {
  it('exports cases by state, the oldest unacknowledged, escalations by level, MTTA and MTTR, notifications per receiver; promtool accepts them', async () => {
    const r = await deliveryRig(fresh, { fallback: 'fallback-pager' });
    cleanups.push(() => r.close());
    const [a, b, c] = await r.openCases(3);
    await r.settle();
    r.advance(4 * MIN);
    await r.ledger.cases.act(a!, 'acknowledge', { actor: 't' });
    r.advance(6 * MIN);
    await r.ledger.cases.act(b!, 'resolve', { actor: 't' });
    r.advance(10 * MIN);
    // Case c was never acknowledged: it escalated to level 2 at +15 min.
    await r.settle();
    const metrics = new WorkerMetrics({ now: r.now });
    metrics.attachLedger(r.ledger, { precisionHorizonMs: 30 * 86_400_000 });
    const text = await metrics.registry.metrics();
    expect(valueOf(text, 'alertgate_cases', { state: 'acknowledged', severity: 'critical' })).toBe(1);
    expect(valueOf(text, 'alertgate_cases', { state: 'resolved', severity: 'critical' })).toBe(1);
    expect(valueOf(text, 'alertgate_cases', { state: 'open', severity: 'critical' })).toBe(1);
    expect(valueOf(text, 'alertgate_case_oldest_unacknowledged_seconds', { severity: 'critical' })).toBe(20 * 60);
    expect(valueOf(text, 'alertgate_case_escalations_total', { level: '1' })).toBe(3);
    expect(valueOf(text, 'alertgate_case_escalations_total', { level: '2' })).toBe(1);
    // a acknowledged after 4 minutes; b resolved (and so acknowledged) after 10.
    expect(valueOf(text, 'alertgate_case_time_to_acknowledge_seconds_count')).toBe(2);
    expect(valueOf(text, 'alertgate_case_time_to_acknowledge_seconds_sum')).toBe(14 * 60);
    expect(valueOf(text, 'alertgate_case_time_to_acknowledge_seconds_bucket', { le: '300' })).toBe(1);
    expect(valueOf(text, 'alertgate_case_time_to_acknowledge_seconds_bucket', { le: '600' })).toBe(2);
    expect(valueOf(text, 'alertgate_case_time_to_resolve_seconds_count')).toBe(1);
    expect(valueOf(text, 'alertgate_case_time_to_resolve_seconds_bucket', { le: '900' })).toBe(1);
    expect(valueOf(text, 'alertgate_notifications_sent_total', { receiver: 'pager' })).toBe(5);
    expect(valueOf(text, 'alertgate_notifications_sent_total', { receiver: 'pager-secondary' })).toBe(1);
    expect(valueOf(text, 'alertgate_notifications_pending', { receiver: 'pager' })).toBe(0);
    expect(valueOf(text, 'alertgate_metrics_ledger_errors_total')).toBe(0);
    expect(c).toBeDefined();
    if (hasPromtool) {
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${check.stdout}${check.stderr}`).toBe('');
    }
  });
});
