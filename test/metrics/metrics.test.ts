import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LedgerStats } from '../../src/metrics/ledger-stats.js';
import { WorkerMetrics } from '../../src/metrics/metrics.js';
import { PipelineStats, type StatsClock } from '../../src/metrics/pipeline-stats.js';
import { createNormalizer } from '../../src/normalize/index.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import { loadRulesOrThrow } from '../../src/rules/load.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import type { InputLine } from '../../src/source/index.js';
import type { KafkaWorkerStats } from '../../src/worker/kafka-worker.js';
import { alert, at, rule, ruleset } from '../helpers.js';
import { parseExposition, seriesOf, valueOf } from './exposition.js';
import { CASE_STATS, DRILL_STATS, OBLIGATION_STATS, TALLY } from './case-stats-stub.js';

const ROOT = join(import.meta.dirname, '../..');
const ignore = () => {};

function pipelineFor(set: CompiledRuleSet, stats?: PipelineStats, maxLineBytes?: number): Pipeline {
  return new Pipeline({
    ruleset: set,
    normalize: createNormalizer({ format: 'auto' }),
    sinks: { decision: ignore, incident: ignore, deadLetter: ignore },
    ...(stats ? { stats } : {}),
    ...(maxLineBytes ? { maxLineBytes } : {}),
  });
}

const lines = (records: readonly unknown[], from = 1): InputLine[] =>
  records.map((r, i) => ({ line: from + i, text: typeof r === 'string' ? r : JSON.stringify(r) }));

async function scrape(metrics: WorkerMetrics): Promise<string> {
  return metrics.registry.metrics();
}

/** A wall clock the test sets, and a monotonic one that moves `stepMs` each time it is read. */
function manualClock(wallMs: number, stepMs: number): StatsClock & { wall: number } {
  let mono = 0;
  const clock = { wall: wallMs, wallMs: () => clock.wall, monotonicMs: () => (mono += stepMs) };
  return clock;
}

/** The ledger as the metrics see it, in memory (issue #4 implements it over the database). */
class MemoryLedgerStats implements LedgerStats {
  failing = false;
  horizonsAsked: [number, number][] = [];
  constructor(private readonly incidents: { ruleId: string; openedMs: number; verdict: 'true_positive' | 'benign_positive' | 'false_positive' }[]) {}

  async feedbackCounts() {
    if (this.failing) throw new Error('database is down');
    const counts = new Map<string, { ruleId: string; verdict: 'true_positive' | 'benign_positive' | 'false_positive'; count: number }>();
    for (const { ruleId, verdict } of this.incidents) {
      const key = `${ruleId}/${verdict}`;
      const entry = counts.get(key) ?? { ruleId, verdict, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }

  async precision(horizonMs: number, nowMs: number) {
    this.horizonsAsked.push([horizonMs, nowMs]);
    const byRule = new Map<string, { tp: number; fp: number }>();
    for (const i of this.incidents) {
      if (i.openedMs < nowMs - horizonMs || i.verdict === 'benign_positive') continue;
      const entry = byRule.get(i.ruleId) ?? { tp: 0, fp: 0 };
      if (i.verdict === 'true_positive') entry.tp++;
      else entry.fp++;
      byRule.set(i.ruleId, entry);
    }
    return [...byRule].map(([ruleId, { tp, fp }]) => ({ ruleId, precision: tp / (tp + fp) }));
  }

  async tuningChangesApplied() {
    return [{ ruleId: 'recon-scan', count: 2 }];
  }

  async obligationStats() {
    return OBLIGATION_STATS;
  }

  async drillStats() {
    return DRILL_STATS;
  }

  async caseStats() {
    return CASE_STATS;
  }

  async notificationTally() {
    return TALLY;
  }
}

const burst = rule({
  id: 'burst',
  severity: 'medium',
  category: 'recon',
  params: { minCount: { value: 2, min: 1, max: 100, step: 1 } },
  match: { all: [{ fact: 'name', operator: 'equal', value: 'ET SCAN test' }] },
  window: { groupBy: ['entities.src_ip'], size: '5m', allowedLateness: '1m', maxKeys: 3 },
  aggregates: { hits: { kind: 'count' } },
  conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minCount' } }] },
  incident: { groupBy: ['entities.src_ip'], window: '30m', title: 'Burst from {{entities.src_ip}}' },
});

describe('WorkerMetrics', () => {
  it('names every family by the Prometheus conventions, with HELP and TYPE, and only declared, bounded label names', async () => {
    const set = await loadRulesOrThrow(join(ROOT, 'rules'));
    const pipeline = pipelineFor(set);
    pipeline.processBatch(lines(readFileSync(join(ROOT, 'fixtures/soc-week.ndjson'), 'utf8').trim().split('\n')));
    const metrics = new WorkerMetrics();
    metrics.attach(pipeline, set);
    metrics.attachKafkaLag(() => [{ topic: 'alerts', partition: 0, lag: 1 }]);
    metrics.attachLedger(new MemoryLedgerStats([{ ruleId: 'recon-scan', openedMs: Date.now(), verdict: 'true_positive' }]), { precisionHorizonMs: 86_400_000 });
    const families = [...parseExposition(await scrape(metrics)).values()].filter((f) => f.name.startsWith('alertgate_'));
    // The list: received by source/format, invalid by reason, decisions by rule, incidents and grouped alerts,
    // feedback, precision, alert-to-incident ratio, both latencies, Kafka lag, window keys held and evicted, rules and reloads, tuning.
    expect(families.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        'alertgate_alerts_received_total',
        'alertgate_alerts_accepted_total',
        'alertgate_invalid_records_total',
        'alertgate_rule_decisions_total',
        'alertgate_incidents_opened_total',
        'alertgate_alerts_grouped_total',
        'alertgate_feedback_incidents',
        'alertgate_rule_precision_ratio',
        'alertgate_alert_to_incident_ratio',
        'alertgate_alert_evaluation_seconds',
        'alertgate_alert_decision_latency_seconds',
        'alertgate_kafka_consumer_lag_messages',
        'alertgate_window_keys',
        'alertgate_window_keys_evicted_total',
        'alertgate_rules_loaded',
        'alertgate_rule_reloads_total',
        'alertgate_tuning_changes_applied',
      ]),
    );
    const allowedLabels = new Set(['rule', 'decision', 'severity', 'category', 'verdict', 'reason', 'format', 'source', 'result', 'exception', 'topic', 'partition', 'fingerprint', 'action', 'le', 'receiver', 'state', 'level', 'obligation', 'status', 'drill', 'loop']);
    for (const f of families) {
      expect(f.help, f.name).toMatch(/\S/);
      expect(['counter', 'gauge', 'histogram'], f.name).toContain(f.type);
      if (f.type === 'counter') expect(f.name).toMatch(/_total$/);
      else expect(f.name).not.toMatch(/_total$/);
      if (f.type === 'histogram') expect(f.name).toMatch(/_seconds$/);
      for (const s of f.samples) for (const label of Object.keys(s.labels)) expect(allowedLabels, `${f.name}{${label}}`).toContain(label);
    }
  });

  it('keeps the series count flat over 100k alerts with distinct entities, ids and sources', async () => {
    const set = await loadRulesOrThrow(join(ROOT, 'rules'));
    const pipeline = pipelineFor(set);
    const metrics = new WorkerMetrics();
    metrics.attach(pipeline, set);
    const templates = [
      { name: 'ET SCAN probe', severity: 'medium', category: 'recon' },
      { name: 'sshd: authentication failed', severity: 'low', category: 'unauthorized-access' },
      { name: 'ET EXPLOIT Apache Struts RCE attempt', severity: 'high', category: 'unauthorized-access' },
      { name: 'ET POLICY curl user agent', severity: 'low', category: 'policy' },
    ];
    const start = Date.UTC(2026, 10, 20);
    const batch = (from: number, n: number) =>
      lines(
        Array.from({ length: n }, (_, k) => {
          const i = from + k;
          const t = templates[i % templates.length]!;
          return alert({
            id: `alert-${i}`,
            time: new Date(start + i * 100).toISOString(),
            // Every alert names its own detector: only the first 20 get a label.
            source: `detector-${i}`,
            ...t,
            entities: { src_ip: `ip-${i}`, host: `host-${i}`, user: `user-${i}` },
          });
        }),
        from + 1,
      );
    pipeline.processBatch(batch(0, 2_000));
    const warm = await scrape(metrics);
    for (let from = 2_000; from < 102_000; from += 10_000) pipeline.processBatch(batch(from, 10_000));
    const after = await scrape(metrics);

    const alertgateSeries = (text: string) => seriesOf(text).filter((s) => s.startsWith('alertgate_'));
    expect(alertgateSeries(after)).toEqual(alertgateSeries(warm));
    expect(valueOf(after, 'alertgate_alerts_received_total')).toBe(102_000);
    const sources = parseExposition(after).get('alertgate_alerts_accepted_total')!.samples.map((s) => s.labels.source);
    expect(sources).toHaveLength(21);
    expect(sources).toContain('other');
    // No entity value or alert id ever becomes a label value.
    expect(after).not.toMatch(/ip-\d|host-\d|user-\d|alert-\d/);
  });

  it('breaks valid alerts down by format and bounded source, and dead letters by reason class', async () => {
    const set = await ruleset({ 'r.yaml': rule({ id: 'never', conditions: { all: [{ fact: 'name', operator: 'equal', value: 'nope' }] } }) });
    const stats = new PipelineStats({ sources: ['suricata'], maxFirstSeenSources: 1 });
    const pipeline = pipelineFor(set, stats, 200);
    pipeline.processBatch(
      lines([
        alert({ source: 'suricata', time: at(0) }),
        alert({ source: 'zeek', time: at(1) }),
        alert({ source: 'wazuh', time: at(2) }),
        alert({ source: 'host name with spaces', time: at(3) }),
        'not json',
        '[1, 2]',
        { hello: 'world' },
        alert({ time: 'yesterday' }),
        alert({ severity: 'apocalyptic' }),
        alert({ entities: { host: ['a', 'b'] } }),
      ]).concat([{ line: 11, oversized: true, bytes: 5000, head: '{"time"' }]),
    );
    const metrics = new WorkerMetrics();
    metrics.attach(pipeline, set);
    const text = await scrape(metrics);
    expect(valueOf(text, 'alertgate_alerts_accepted_total', { format: 'canonical', source: 'suricata' })).toBe(1);
    expect(valueOf(text, 'alertgate_alerts_accepted_total', { format: 'canonical', source: 'zeek' })).toBe(1);
    expect(valueOf(text, 'alertgate_alerts_accepted_total', { format: 'canonical', source: 'other' })).toBe(2);
    const reasons = Object.fromEntries(parseExposition(text).get('alertgate_invalid_records_total')!.samples.map((s) => [s.labels.reason, s.value]));
    expect(reasons).toEqual({ invalid_json: 1, not_object: 1, unknown_format: 1, bad_timestamp: 1, bad_severity: 1, schema: 1, oversized: 1 });
    expect(valueOf(text, 'alertgate_dead_letters_total')).toBe(7);
    expect(valueOf(text, 'alertgate_alerts_received_total')).toBe(11);
  });

  it('counts incidents opened and alerts grouped by rule, severity and category, window evictions by reason, and the alert-to-incident ratio', async () => {
    const set = await ruleset({ 'burst.yaml': burst });
    const pipeline = pipelineFor(set);
    const ip = (n: number) => ({ src_ip: `198.51.100.${n}`, host: 'h' });
    pipeline.processBatch(
      lines([
        // Three alerts of one address: an incident at the second, the third joins it.
        ...[0, 1, 2].map((m) => alert({ time: at(m), entities: ip(1) })),
        // Four more addresses while maxKeys is 3: live keys are evicted (overflow).
        ...[2, 3, 4, 5].map((n) => alert({ time: at(2), entities: ip(n) })),
        // An hour later the three keys held are idle.
        alert({ time: at(70), entities: ip(9) }),
      ]),
    );
    const metrics = new WorkerMetrics();
    metrics.attach(pipeline, set);
    const text = await scrape(metrics);
    const labels = { rule: 'burst', severity: 'medium', category: 'recon' };
    expect(valueOf(text, 'alertgate_incidents_opened_total', labels)).toBe(1);
    expect(valueOf(text, 'alertgate_alerts_grouped_total', labels)).toBe(1);
    expect(valueOf(text, 'alertgate_window_keys_evicted_total', { rule: 'burst', reason: 'overflow' })).toBe(2);
    expect(valueOf(text, 'alertgate_window_keys_evicted_total', { rule: 'burst', reason: 'idle' })).toBe(3);
    expect(valueOf(text, 'alertgate_window_keys', { rule: 'burst' })).toBe(1);
    expect(valueOf(text, 'alertgate_alert_to_incident_ratio')).toBe(8);
    expect(valueOf(text, 'alertgate_rule_decisions_total', { rule: 'burst', decision: 'promote' })).toBe(2);
  });

  it('times evaluation per batch and event time to decision with the injected clock', async () => {
    const set = await ruleset({ 'r.yaml': rule({ id: 'all' }) });
    const eventMs = Date.parse(at(0));
    // Each batch takes 4 ms (the clock moves 4 ms between its two reads): 1 ms for each of 4 alerts.
    const clock = manualClock(eventMs + 42_000, 4);
    const pipeline = pipelineFor(set, new PipelineStats({ clock }));
    pipeline.processBatch(lines([0, 0, 0, 0].map((m, i) => alert({ id: `a${i}`, time: at(m) }))));
    const metrics = new WorkerMetrics();
    metrics.attach(pipeline, set);
    const text = await scrape(metrics);
    expect(valueOf(text, 'alertgate_alert_evaluation_seconds_count')).toBe(4);
    expect(valueOf(text, 'alertgate_alert_evaluation_seconds_sum')).toBeCloseTo(0.004, 9);
    expect(valueOf(text, 'alertgate_alert_evaluation_seconds_bucket', { le: '0.0005' })).toBe(0);
    expect(valueOf(text, 'alertgate_alert_evaluation_seconds_bucket', { le: '0.001' })).toBe(4);
    expect(valueOf(text, 'alertgate_alert_decision_latency_seconds_count')).toBe(4);
    expect(valueOf(text, 'alertgate_alert_decision_latency_seconds_sum')).toBe(168);
    expect(valueOf(text, 'alertgate_alert_decision_latency_seconds_bucket', { le: '30' })).toBe(0);
    expect(valueOf(text, 'alertgate_alert_decision_latency_seconds_bucket', { le: '60' })).toBe(4);
    // Alerts decided again to rebuild state (a replay) are not counted twice.
    pipeline.stats.recording = false;
    pipeline.processBatch(lines([alert({ id: 'again', time: at(0) })], 5));
    pipeline.stats.recording = true;
    expect(valueOf(await scrape(metrics), 'alertgate_alert_decision_latency_seconds_count')).toBe(4);
    expect(valueOf(await scrape(metrics), 'alertgate_alerts_accepted_total', { format: 'canonical', source: 'suricata' })).toBe(4);
    // An alert from the future (clock skew) counts as decided at once, not as negative time.
    clock.wall = eventMs - 10_000;
    pipeline.processBatch(lines([alert({ id: 'future', time: at(0) })], 6));
    const later = await scrape(metrics);
    expect(valueOf(later, 'alertgate_alert_decision_latency_seconds_sum')).toBe(168);
    expect(valueOf(later, 'alertgate_alert_decision_latency_seconds_bucket', { le: '0.01' })).toBe(1);
  });

  it('exports the Kafka consumer lag per partition from the attached provider, and the worker counters', async () => {
    const metrics = new WorkerMetrics();
    expect(parseExposition(await scrape(metrics)).get('alertgate_kafka_consumer_lag_messages')!.samples).toEqual([]);
    let lag = [
      { topic: 'alerts', partition: 0, lag: 12 },
      { topic: 'alerts', partition: 1, lag: 0 },
    ];
    metrics.attachKafkaLag(() => lag);
    const stats: KafkaWorkerStats = {
      chunks: 7,
      replayedChunks: 1,
      recoveries: 1,
      checkpoints: 2,
      lastCheckpointBytes: 100,
      commits: 7,
      commitFailures: 0,
      transactionsAborted: 0,
      rejected: 2,
      produceRequests: 3,
      sendRetries: 4,
      consumerRestarts: 5,
      retries: { commit: 3, produce: 4, takeover: 0, transaction: 0, consumer_restart: 1 },
      failing: ['commit'],
      owner: true,
    };
    metrics.attachKafka(() => stats);
    let text = await scrape(metrics);
    expect(valueOf(text, 'alertgate_kafka_consumer_lag_messages', { topic: 'alerts', partition: '0' })).toBe(12);
    expect(valueOf(text, 'alertgate_kafka_consumer_lag_messages', { topic: 'alerts', partition: '1' })).toBe(0);
    expect(valueOf(text, 'alertgate_kafka_chunks_total')).toBe(7);
    expect(valueOf(text, 'alertgate_kafka_checkpoints_total')).toBe(2);
    expect(valueOf(text, 'alertgate_kafka_send_retries_total')).toBe(4);
    expect(valueOf(text, 'alertgate_kafka_retries_total', { loop: 'commit' })).toBe(3);
    expect(valueOf(text, 'alertgate_kafka_retries_total', { loop: 'consumer_restart' })).toBe(1);
    expect(valueOf(text, 'alertgate_kafka_retry_failing', { loop: 'commit' })).toBe(1);
    expect(valueOf(text, 'alertgate_kafka_retry_failing', { loop: 'produce' })).toBe(0);
    expect(valueOf(text, 'alertgate_alerts_received_total')).toBe(2);
    expect(valueOf(text, 'alertgate_dead_letters_total')).toBe(2);
    // A rebalance takes partition 1 away: its series goes with it.
    lag = [{ topic: 'alerts', partition: 0, lag: 30 }];
    text = await scrape(metrics);
    expect(parseExposition(text).get('alertgate_kafka_consumer_lag_messages')!.samples).toEqual([
      { name: 'alertgate_kafka_consumer_lag_messages', labels: { topic: 'alerts', partition: '0' }, value: 30 },
    ]);
  });

  it('exports feedback, precision over the configured horizon and tuning changes from the ledger, and survives a failing ledger', async () => {
    const now = Date.UTC(2026, 11, 1);
    const day = 86_400_000;
    const ledger = new MemoryLedgerStats([
      { ruleId: 'recon-scan', openedMs: now - 1 * day, verdict: 'true_positive' },
      { ruleId: 'recon-scan', openedMs: now - 2 * day, verdict: 'false_positive' },
      { ruleId: 'recon-scan', openedMs: now - 3 * day, verdict: 'false_positive' },
      { ruleId: 'recon-scan', openedMs: now - 40 * day, verdict: 'true_positive' },
      { ruleId: 'auth-brute-force', openedMs: now - 1 * day, verdict: 'benign_positive' },
    ]);
    const metrics = new WorkerMetrics({ now: () => now });
    metrics.attachLedger(ledger, { precisionHorizonMs: 30 * day });
    let text = await scrape(metrics);
    expect(valueOf(text, 'alertgate_feedback_incidents', { rule: 'recon-scan', verdict: 'false_positive' })).toBe(2);
    expect(valueOf(text, 'alertgate_feedback_incidents', { rule: 'recon-scan', verdict: 'true_positive' })).toBe(2);
    expect(valueOf(text, 'alertgate_feedback_incidents', { rule: 'auth-brute-force', verdict: 'benign_positive' })).toBe(1);
    // 1 TP and 2 FP within 30 days (the 40-day-old TP is outside the horizon); benign positives do not count.
    expect(valueOf(text, 'alertgate_rule_precision_ratio', { rule: 'recon-scan' })).toBeCloseTo(1 / 3, 12);
    expect(valueOf(text, 'alertgate_rule_precision_ratio', { rule: 'auth-brute-force' })).toBeUndefined();
    expect(ledger.horizonsAsked).toEqual([[30 * day, now]]);
    expect(valueOf(text, 'alertgate_rule_precision_horizon_seconds')).toBe(30 * 86_400);
    expect(valueOf(text, 'alertgate_tuning_changes_applied', { rule: 'recon-scan' })).toBe(2);
    expect(valueOf(text, 'alertgate_metrics_ledger_errors_total')).toBe(0);

    ledger.failing = true;
    text = await scrape(metrics);
    expect(parseExposition(text).get('alertgate_feedback_incidents')!.samples).toEqual([]);
    expect(valueOf(text, 'alertgate_rule_precision_ratio', { rule: 'recon-scan' })).toBeCloseTo(1 / 3, 12);
    expect(valueOf(text, 'alertgate_metrics_ledger_errors_total')).toBe(1);
  });

  it('counts reloads by result and tells whether the last one applied', async () => {
    const set = await ruleset({ 'r.yaml': rule({ id: 'r1' }) });
    const metrics = new WorkerMetrics();
    metrics.attach(pipelineFor(set), set);
    let text = await scrape(metrics);
    expect(valueOf(text, 'alertgate_rule_reloads_total', { result: 'rejected' })).toBe(0);
    expect(valueOf(text, 'alertgate_rules_last_reload_successful')).toBe(1);
    expect(valueOf(text, 'alertgate_rule_set_info', { fingerprint: set.fingerprint })).toBe(1);
    metrics.recordReload('rejected');
    text = await scrape(metrics);
    expect(valueOf(text, 'alertgate_rule_reloads_total', { result: 'rejected' })).toBe(1);
    expect(valueOf(text, 'alertgate_rules_last_reload_successful')).toBe(0);
    metrics.recordReload('applied');
    text = await scrape(metrics);
    expect(valueOf(text, 'alertgate_rule_reloads_total', { result: 'applied' })).toBe(1);
    expect(valueOf(text, 'alertgate_rules_last_reload_successful')).toBe(1);
  });
});
