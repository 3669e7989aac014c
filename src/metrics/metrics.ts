import { Registry, collectDefaultMetrics } from 'prom-client';
import { DECISION_KINDS } from '../decide/decision-record.js';
import { FORMAT_NAMES } from '../normalize/index.js';
import { DEAD_LETTER_REASONS } from '../pipeline/dead-letter.js';
import type { PipelineView } from '../pipeline/pipeline.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { RETRY_LOOPS } from '../kafka/retry-status.js';
import type { KafkaWorkerStats } from '../worker/kafka-worker.js';
import { histogramSamples, registerFamily, type FamilySpec, type MetricType, type Sample } from './collected-metric.js';
import type { LedgerStats } from './ledger-stats.js';

/** One partition's consumer lag: the partition's high watermark minus the group's next offset. */
export interface KafkaPartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

/** One scrape's reads of the ledger. */
interface LedgerRows {
  feedback: Awaited<ReturnType<LedgerStats['feedbackCounts']>>;
  precision: Awaited<ReturnType<LedgerStats['precision']>>;
  tuning: Awaited<ReturnType<LedgerStats['tuningChangesApplied']>>;
  cases: Awaited<ReturnType<LedgerStats['caseStats']>>;
  notifications: Awaited<ReturnType<LedgerStats['notificationTally']>>;
  obligations: Awaited<ReturnType<LedgerStats['obligationStats']>>;
  drills: Awaited<ReturnType<LedgerStats['drillStats']>>;
}

export interface WorkerMetricsOptions {
  /** Wall clock (epoch ms) for the precision horizon; tests inject it. */
  readonly now?: () => number;
}

/**
 * The worker's Prometheus metrics (docs/metrics.md lists every family). Every value is read at scrape
 * time from plain counts the pipeline, the windows, the Kafka worker and the ledger keep, so the
 * per-alert path never touches prom-client. Labels are rule ids and enums only (bounded sources too):
 * never entity values or alert ids.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private pipeline: PipelineView | undefined;
  private ruleset: CompiledRuleSet | undefined;
  private kafka: (() => KafkaWorkerStats) | undefined;
  private kafkaLag: (() => readonly KafkaPartitionLag[]) | undefined;
  private ledger: { stats: LedgerStats; precisionHorizonMs: number } | undefined;
  private readonly reloads = { applied: 0, rejected: 0 };
  private lastReloadApplied = true;
  private ledgerErrors = 0;
  private ledgerRead: Promise<Partial<LedgerRows>> | undefined;
  private readonly now: () => number;

  constructor(options: WorkerMetricsOptions = {}) {
    this.now = options.now ?? Date.now;
    registerDefaultMetrics(this.registry);
    for (const family of this.families()) registerFamily(this.registry, family);
  }

  /** Points the metrics at the running pipeline and rule set (again after a reload). */
  attach(pipeline: PipelineView, ruleset: CompiledRuleSet): void {
    this.pipeline = pipeline;
    this.ruleset = ruleset;
  }

  /** Adds the Kafka worker's counters (and its pre-pipeline dead letters to the input and dead-letter totals). */
  attachKafka(stats: () => KafkaWorkerStats): void {
    this.kafka = stats;
  }

  /** Exports `alertgate_kafka_consumer_lag_messages{topic,partition}` from the worker's latest lag per assigned partition. */
  attachKafkaLag(read: () => readonly KafkaPartitionLag[]): void {
    this.kafkaLag = read;
  }

  /** Exports feedback, per-rule precision over the last `precisionHorizonMs`, and tuning changes from the ledger. */
  attachLedger(stats: LedgerStats, options: { precisionHorizonMs: number }): void {
    this.ledger = { stats, precisionHorizonMs: options.precisionHorizonMs };
  }

  /** Counts a rules reload: applied (the new set runs) or rejected (invalid; the old set keeps running). */
  recordReload(result: 'applied' | 'rejected'): void {
    this.reloads[result]++;
    this.lastReloadApplied = result === 'applied';
  }

  private families(): FamilySpec[] {
    const counts = () => this.pipeline?.counts;
    const stats = () => this.pipeline?.stats;
    // Kafka messages dead-lettered before the pipeline (no value, empty, not UTF-8) are input records too.
    const rejected = () => this.kafka?.().rejected ?? 0;
    const histogram = (name: string, help: string, which: 'evaluationSeconds' | 'decisionLatencySeconds') =>
      family(name, 'histogram', help, () => {
        const s = stats();
        return s ? histogramSamples(s[which]) : [];
      });
    const kafkaCounter = (name: string, help: string, stat: 'chunks' | 'replayedChunks' | 'recoveries' | 'checkpoints' | 'commitFailures' | 'sendRetries' | 'consumerRestarts') =>
      family(name, 'counter', help, () => [{ value: this.kafka?.()[stat] ?? 0 }]);

    return [
      family('alertgate_alerts_received_total', 'counter', 'Alerts read, valid or not: one per input record (Kafka: message), one per element of a multi-alert record (Alertmanager payload).', () => [
        { value: (counts()?.alerts ?? 0) + rejected() },
      ]),
      family(
        'alertgate_alerts_accepted_total',
        'counter',
        'Valid alerts (normalized into canonical alerts), by input format and source; sources beyond the configured and first-seen ones are "other".',
        () => {
          const s = stats();
          if (!s) return [];
          const samples: Sample[] = [];
          s.sources.labels.forEach((source, slot) =>
            FORMAT_NAMES.forEach((format, f) => {
              const value = s.accepted[slot * FORMAT_NAMES.length + f]!;
              if (value > 0) samples.push({ labels: { format, source }, value });
            }),
          );
          return samples;
        },
        ['format', 'source'],
      ),
      family(
        'alertgate_mapping_field_absent_total',
        'counter',
        "Valid alerts of a mapping-based format (generic and the built-in formats) whose input had none of a mapped field's paths, by format and canonical field (entities.process, category, ...).",
        () =>
          (stats()?.fieldAbsences() ?? []).map(({ format, field, absent }) => ({ labels: { format, field }, value: absent })),
        ['format', 'field'],
      ),
      family('alertgate_dead_letters_total', 'counter', 'Input records (or elements of a multi-alert record) that could not become alerts and were written as dead letters.', () => [
        { value: (counts()?.invalid ?? 0) + rejected() },
      ]),
      family(
        'alertgate_invalid_records_total',
        'counter',
        'Dead letters by reason class (invalid_json, schema, bad_timestamp, oversized, ...): docs/metrics.md.',
        () => {
          const s = stats();
          return s ? DEAD_LETTER_REASONS.flatMap((reason, i) => (s.deadLetters[i]! > 0 ? [{ labels: { reason }, value: s.deadLetters[i]! }] : [])) : [];
        },
        ['reason'],
      ),
      family(
        'alertgate_decisions_total',
        'counter',
        'Decisions made, by decision (promote, suppress, pass, duplicate): with the dead letters, every input record once.',
        () => {
          const c = counts();
          return c
            ? [
                { labels: { decision: 'promote' }, value: c.promoted },
                { labels: { decision: 'suppress' }, value: c.suppressed },
                { labels: { decision: 'pass' }, value: c.passed },
                { labels: { decision: 'duplicate' }, value: c.duplicate },
              ]
            : [];
        },
        ['decision'],
      ),
      family(
        'alertgate_rule_decisions_total',
        'counter',
        'Decisions made by each rule, by decision.',
        () =>
          [...(counts()?.byRule ?? [])].flatMap(([rule, perRule]) => [
            { labels: { rule, decision: 'promote' }, value: perRule.promoted },
            { labels: { rule, decision: 'suppress' }, value: perRule.suppressed },
          ]),
        ['rule', 'decision'],
      ),
      family(
        'alertgate_tenant_decisions_total',
        'counter',
        'Decisions by the alert\'s tenant (metrics.tenantLabel) and decision; tenants beyond the configured and first-seen ones, and alerts without one, are "other".',
        () => {
          const tenants = stats()?.tenants;
          if (!tenants) return [];
          return tenants.labels.labels.flatMap((tenant, slot) =>
            DECISION_KINDS.flatMap((decision, d) => {
              const value = tenants.counts[slot * DECISION_KINDS.length + d]!;
              return value > 0 ? [{ labels: { tenant, decision }, value }] : [];
            }),
          );
        },
        ['tenant', 'decision'],
      ),
      family(
        'alertgate_exception_suppressions_total',
        'counter',
        'Alerts suppressed by each unexpired exception, by exception id.',
        () => [...(stats()?.exceptions ?? [])].map(([exception, value]) => ({ labels: { exception }, value })),
        ['exception'],
      ),
      family(
        'alertgate_alerts_future_dated_total',
        'counter',
        "Alerts whose event time was more than eventTime.maxFutureSkew ahead of the stream's, by eventTime.onFutureDated: clamp (decided at the stream's event time) or dead-letter.",
        () => {
          const c = counts();
          return c
            ? [
                { labels: { action: 'clamp' }, value: c.clamped },
                { labels: { action: 'dead-letter' }, value: c.futureDated - c.clamped },
              ]
            : [];
        },
        ['action'],
      ),
      family(
        'alertgate_watermark_lead_seconds',
        'gauge',
        "How far the watermark (newest event time decided) is ahead of the stream's event time (its recent alerts'); above eventTime.maxFutureSkew it is poisoned: docs/rules.md, \"Repairing a poisoned watermark\".",
        () => {
          const p = this.pipeline;
          const lead = p ? p.watermark - p.eventTime.streamTime() : Number.NaN;
          return Number.isFinite(lead) ? [{ value: lead / 1000 }] : [];
        },
      ),
      family('alertgate_event_time_max_future_skew_seconds', 'gauge', 'The configured eventTime.maxFutureSkew.', () =>
        this.pipeline ? [{ value: this.pipeline.eventTime.maxFutureSkewMs / 1000 }] : [],
      ),
      family('alertgate_alerts_late_total', 'counter', "Alerts that arrived later than some rule's allowed lateness (decided, not counted in that window).", () => [
        { value: counts()?.late ?? 0 },
      ]),
      family(
        'alertgate_incidents_opened_total',
        'counter',
        'Incidents opened, by rule, severity and category.',
        () => this.incidentSamples('opened'),
        ['rule', 'severity', 'category'],
      ),
      family(
        'alertgate_alerts_grouped_total',
        'counter',
        'Promoted alerts that joined an already open incident, by rule, severity and category.',
        () => this.incidentSamples('grouped'),
        ['rule', 'severity', 'category'],
      ),
      family('alertgate_incidents_open', 'gauge', 'Incidents open now.', () => (this.pipeline ? [{ value: this.pipeline.openIncidents() }] : [])),
      family('alertgate_alert_to_incident_ratio', 'gauge', 'Valid alerts (duplicates left out) per incident opened since the counts began (absent before the first incident).', () => {
        const c = counts();
        return c && c.incidents > 0 ? [{ value: (c.alerts - c.invalid - c.duplicate) / c.incidents }] : [];
      }),
      family('alertgate_alerts_lossy_total', 'counter', "Decided alerts whose aggregates read a window that had lost state at its memory bounds (maxKeys, maxEvents): they may read low.", () => [
        { value: counts()?.lossy ?? 0 },
      ]),
      family('alertgate_dedup_ids', 'gauge', 'Alert ids the dedup stage remembers now (at most dedup.maxIds).', () => {
        const d = this.pipeline?.dedupStats();
        return d ? [{ value: d.ids }] : [];
      }),
      family(
        'alertgate_dedup_ids_evicted_total',
        'counter',
        'Alert ids forgotten before the dedup horizon to stay within dedup.maxIds (a duplicate of one is decided again): size maxIds up when this grows.',
        () => {
          const d = this.pipeline?.dedupStats();
          return d ? [{ value: d.evicted }] : [];
        },
      ),
      family('alertgate_dedup_ids_reused_total', 'counter', 'Alerts whose id was remembered with another event time: decided as new alerts, not duplicates.', () => {
        const d = this.pipeline?.dedupStats();
        return d ? [{ value: d.reused }] : [];
      }),
      histogram(
        'alertgate_alert_evaluation_seconds',
        'Time the pipeline spends on one input record (normalize, rules, grouping, handing outputs to the sinks), measured per input batch and spread over its records.',
        'evaluationSeconds',
      ),
      histogram(
        'alertgate_alert_decision_latency_seconds',
        "Wall-clock time of the decision minus the alert's event time (large when replaying old data; event times ahead of the clock count as 0).",
        'decisionLatencySeconds',
      ),
      family(
        'alertgate_rules_loaded',
        'gauge',
        'Enabled rules in the running rule set, by decision.',
        () => [
          { labels: { decision: 'promote' }, value: this.ruleset?.promoteRules.length ?? 0 },
          { labels: { decision: 'suppress' }, value: this.ruleset?.suppressRules.length ?? 0 },
        ],
        ['decision'],
      ),
      family(
        'alertgate_rule_set_info',
        'gauge',
        "The running rule set's fingerprint (always 1).",
        () => (this.ruleset ? [{ labels: { fingerprint: this.ruleset.fingerprint }, value: 1 }] : []),
        ['fingerprint'],
      ),
      family(
        'alertgate_rule_reloads_total',
        'counter',
        'Rule reloads after the rule files changed, by result (applied, or rejected as invalid).',
        () => [
          { labels: { result: 'applied' }, value: this.reloads.applied },
          { labels: { result: 'rejected' }, value: this.reloads.rejected },
        ],
        ['result'],
      ),
      family('alertgate_rules_last_reload_successful', 'gauge', 'Whether the last rule reload was applied (1; also before any reload) or rejected (0).', () => [
        { value: this.lastReloadApplied ? 1 : 0 },
      ]),
      family(
        'alertgate_window_keys',
        'gauge',
        "Group keys held in each windowed rule's state.",
        () => (this.pipeline?.windowStats() ?? []).map(({ ruleId, stats: w }) => ({ labels: { rule: ruleId }, value: w.keys })),
        ['rule'],
      ),
      family(
        'alertgate_window_keys_evicted_total',
        'counter',
        "Group keys dropped from each windowed rule's state, by reason: idle (nothing left that can count) or overflow (maxKeys or maxEvents reached; counts may read low after one).",
        () =>
          (this.pipeline?.windowStats() ?? []).flatMap(({ ruleId, stats: w }) => [
            { labels: { rule: ruleId, reason: 'idle' }, value: w.idleEvictions },
            { labels: { rule: ruleId, reason: 'overflow' }, value: w.overflowEvictions },
          ]),
        ['rule', 'reason'],
      ),
      family(
        'alertgate_window_events',
        'gauge',
        "Events held in each windowed rule's state (at most window.maxEvents).",
        () => (this.pipeline?.windowStats() ?? []).map(({ ruleId, stats: w }) => ({ labels: { rule: ruleId }, value: w.events })),
        ['rule'],
      ),
      family(
        'alertgate_window_events_dropped_total',
        'counter',
        "Events a windowed rule's keys let go before their time to stay within window.maxEvents or maxEventsPerKey (counts may read low after one).",
        () => (this.pipeline?.windowStats() ?? []).map(({ ruleId, stats: w }) => ({ labels: { rule: ruleId }, value: w.droppedEvents })),
        ['rule'],
      ),
      family(
        'alertgate_window_lossy_observations_total',
        'counter',
        "Alerts whose aggregates in each windowed rule read a window that had lost state (evicted keys, dropped events): `lossy` in their explanation.",
        () => (this.pipeline?.windowStats() ?? []).map(({ ruleId, stats: w }) => ({ labels: { rule: ruleId }, value: w.lossyObservations })),
        ['rule'],
      ),
      family(
        'alertgate_window_late_events_total',
        'counter',
        "Alerts each windowed rule did not count because they were later than its allowed lateness.",
        () => (this.pipeline?.windowStats() ?? []).map(({ ruleId, stats: w }) => ({ labels: { rule: ruleId }, value: w.lateEvents })),
        ['rule'],
      ),
      kafkaCounter('alertgate_kafka_chunks_total', 'Chunks of merged Kafka input decided and sent.', 'chunks'),
      kafkaCounter('alertgate_kafka_replayed_chunks_total', 'Chunks decided again from the state topic, without sending, to rebuild windows and incidents after a takeover.', 'replayedChunks'),
      kafkaCounter('alertgate_kafka_recoveries_total', 'Times this worker took the input partitions over and restored the state.', 'recoveries'),
      kafkaCounter('alertgate_kafka_checkpoints_total', 'Checkpoints of the state written to the state topic.', 'checkpoints'),
      kafkaCounter('alertgate_kafka_commit_failures_total', 'Offset commits that failed (the next one carries the offsets).', 'commitFailures'),
      kafkaCounter('alertgate_kafka_send_retries_total', "Sends of a batch's outputs that failed and were tried again.", 'sendRetries'),
      kafkaCounter('alertgate_kafka_consumer_restarts_total', 'Times the worker started its Kafka consumer again after a crash kafkajs did not recover from.', 'consumerRestarts'),
      family(
        'alertgate_kafka_retries_total',
        'counter',
        'Attempts of a Kafka retry loop that failed and were tried again after a backoff, by loop (commit, produce, takeover, transaction, consumer_restart).',
        () => {
          const retries = this.kafka?.().retries;
          return RETRY_LOOPS.map((loop) => ({ labels: { loop }, value: retries?.[loop] ?? 0 }));
        },
        ['loop'],
      ),
      family(
        'alertgate_kafka_retry_failing',
        'gauge',
        "1 while a Kafka retry loop's last attempt failed (the worker is not ready meanwhile), else 0, by loop.",
        () => {
          const failing = new Set(this.kafka?.().failing ?? []);
          return RETRY_LOOPS.map((loop) => ({ labels: { loop }, value: failing.has(loop) ? 1 : 0 }));
        },
        ['loop'],
      ),
      family(
        'alertgate_kafka_consumer_lag_messages',
        'gauge',
        "Messages in each assigned input partition that the consumer group has not consumed yet (high watermark minus the group's position).",
        () => (this.kafkaLag?.() ?? []).map(({ topic, partition, lag }) => ({ labels: { topic, partition: String(partition) }, value: lag })),
        ['topic', 'partition'],
      ),
      ...this.ledgerFamilies(),
    ];
  }

  private ledgerFamilies(): FamilySpec[] {
    type ListKey = 'feedback' | 'precision' | 'tuning' | 'notifications';
    const rows = async <K extends ListKey>(key: K, sample: (row: LedgerRows[K][number]) => Sample): Promise<Sample[]> =>
      ((await this.readLedger())?.[key] ?? []).map(sample as (row: unknown) => Sample);
    const cases = async <T>(read: (stats: LedgerRows['cases']) => T[]): Promise<T[]> => {
      const stats = (await this.readLedger())?.cases;
      return stats ? read(stats) : [];
    };
    const stats = async <K extends 'obligations' | 'drills', T>(key: K, read: (stats: LedgerRows[K]) => T[]): Promise<T[]> => {
      const found = (await this.readLedger())?.[key];
      return found ? read(found) : [];
    };
    const perReceiver = (name: string, type: MetricType, help: string, stat: 'delivered' | 'dead' | 'pending' | 'failedAttempts') =>
      family(name, type, help, () => rows('notifications', (t) => ({ labels: { receiver: t.receiver }, value: t[stat] })), ['receiver']);
    return [
      perReceiver('alertgate_notifications_sent_total', 'counter', 'Notifications a receiver took (delivered), by receiver; from the ledger\'s outbox, the same on every worker.', 'delivered'),
      perReceiver('alertgate_notification_failures_total', 'counter', 'Attempts to send a notification that failed (retried or dead-lettered), by receiver.', 'failedAttempts'),
      perReceiver('alertgate_notifications_dead_lettered_total', 'counter', 'Notifications given up on (after delivery.maxAttempts, or a failure retrying cannot fix), by receiver; the fallback receiver is told.', 'dead'),
      perReceiver('alertgate_notifications_pending', 'gauge', 'Notifications waiting to be sent or retried, by receiver.', 'pending'),
      family(
        'alertgate_cases',
        'gauge',
        'Cases not closed, by state (open, acknowledged, contained, resolved, reopened) and severity.',
        () => cases((s) => s.cases.map((c) => ({ labels: { state: c.state, severity: c.severity }, value: c.count }))),
        ['state', 'severity'],
      ),
      family(
        'alertgate_case_oldest_unacknowledged_seconds',
        'gauge',
        'Per severity: how long the oldest case nobody has acknowledged (open or reopened) has been open; absent when there is none.',
        () => cases((s) => s.oldestUnacknowledged.map((c) => ({ labels: { severity: c.severity }, value: c.seconds }))),
        ['severity'],
      ),
      family(
        'alertgate_case_escalations_total',
        'counter',
        'Escalation steps taken, by the level reached (1: the first notice).',
        () => cases((s) => s.escalations.map((e) => ({ labels: { level: e.level }, value: e.count }))),
        ['level'],
      ),
      family('alertgate_case_time_to_acknowledge_seconds', 'histogram', 'Seconds from a case opening to its first acknowledgement (or containment, or resolution): MTTA.', () =>
        cases((s) => histogramSamples(s.acknowledge)),
      ),
      family('alertgate_case_time_to_resolve_seconds', 'histogram', 'Seconds from a case opening to its resolution (the latest, if reopened): MTTR.', () =>
        cases((s) => histogramSamples(s.resolve)),
      ),
      family(
        'alertgate_obligation_due_seconds',
        'gauge',
        'Per obligation (a notification deadline, docs/obligations.md): seconds until the soonest-due running one is due, negative once past; absent when none is running.',
        () => stats('obligations', (s) => s.running.map((r) => ({ labels: { obligation: r.obligation }, value: r.seconds }))),
        ['obligation'],
      ),
      family(
        'alertgate_obligations_missed_total',
        'counter',
        'Obligations whose due time passed before they were met or waived (missed, or met late), by obligation.',
        () => stats('obligations', (s) => s.missed.map((m) => ({ labels: { obligation: m.obligation }, value: m.count }))),
        ['obligation'],
      ),
      family(
        'alertgate_obligations',
        'gauge',
        'Obligations started, by obligation and status (running, met, missed, waived).',
        () => stats('obligations', (s) => s.byStatus.map((b) => ({ labels: { obligation: b.obligation, status: b.status }, value: b.count }))),
        ['obligation', 'status'],
      ),
      family(
        'alertgate_drill_last_run_timestamp_seconds',
        'gauge',
        "Per drill (docs/drills.md): when it last passed (result passed: every expectation held) and when it last failed (result failed), as recorded in the ledger.",
        () => stats('drills', (s) => s.last.map((d) => ({ labels: { drill: d.drill, result: d.passed ? 'passed' : 'failed' }, value: d.atMs / 1000 }))),
        ['drill', 'result'],
      ),
      family(
        'alertgate_feedback_incidents',
        'gauge',
        "Incidents with analyst feedback, by rule and current verdict (each incident's latest verdict).",
        () => rows('feedback', ({ ruleId, verdict, count }) => ({ labels: { rule: ruleId, verdict }, value: count })),
        ['rule', 'verdict'],
      ),
      family(
        'alertgate_rule_precision_ratio',
        'gauge',
        'Per rule: true positives / (true positives + false positives) among incidents opened within the precision horizon (alertgate_rule_precision_horizon_seconds); rules with neither verdict are absent.',
        () => rows('precision', ({ ruleId, precision }) => ({ labels: { rule: ruleId }, value: precision })),
        ['rule'],
      ),
      family('alertgate_rule_precision_horizon_seconds', 'gauge', 'How far back alertgate_rule_precision_ratio looks (metrics.precisionHorizon).', () =>
        this.ledger ? [{ value: this.ledger.precisionHorizonMs / 1000 }] : [],
      ),
      family(
        'alertgate_tuning_changes_applied',
        'gauge',
        'Tuning changes applied to each rule and not reverted.',
        () => rows('tuning', ({ ruleId, count }) => ({ labels: { rule: ruleId }, value: count })),
        ['rule'],
      ),
      family('alertgate_metrics_ledger_errors_total', 'counter', 'Ledger reads that failed during a scrape (what they would have exported was left out of that scrape).', async () => {
        await this.readLedger();
        return [{ value: this.ledgerErrors }];
      }),
    ];
  }

  /**
   * The ledger's reads, once per scrape: prom-client collects every family at once, so the first
   * family to ask starts them and the others (the error counter too) wait for the same reads. A read
   * that fails (database down) leaves its families empty for that scrape and is counted.
   */
  private readLedger(): Promise<Partial<LedgerRows> | undefined> {
    const ledger = this.ledger;
    if (!ledger) return Promise.resolve(undefined);
    this.ledgerRead ??= (async () => {
      const [feedback, precision, tuning, cases, notifications, obligations, drills] = await Promise.allSettled([
        ledger.stats.feedbackCounts(),
        ledger.stats.precision(ledger.precisionHorizonMs, this.now()),
        ledger.stats.tuningChangesApplied(),
        ledger.stats.caseStats(this.now()),
        ledger.stats.notificationTally(),
        ledger.stats.obligationStats(this.now()),
        ledger.stats.drillStats(),
      ]);
      const value = <T>(result: PromiseSettledResult<T>): T | undefined => {
        if (result.status === 'fulfilled') return result.value;
        this.ledgerErrors++;
        return undefined;
      };
      return {
        feedback: value(feedback),
        precision: value(precision),
        tuning: value(tuning),
        cases: value(cases),
        notifications: value(notifications),
        obligations: value(obligations),
        drills: value(drills),
      };
    })().finally(() => {
      this.ledgerRead = undefined;
    });
    return this.ledgerRead;
  }

  private incidentSamples(which: 'opened' | 'grouped'): Sample[] {
    return [...(this.pipeline?.stats.incidents.values() ?? [])].map((c) => ({
      labels: { rule: c.ruleId, severity: c.severity, category: c.category },
      value: c[which],
    }));
  }
}

/**
 * Three of prom-client's gauges are named like counters; `promtool check metrics` rejects them, and
 * their per-type versions (nodejs_active_handles{type}, ...) carry the same numbers.
 */
const MISNAMED_DEFAULT_METRICS = new Set(['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']);

/**
 * prom-client's default process and Node.js metrics, unprefixed as every Prometheus client names them
 * (process_cpu_seconds_total, process_resident_memory_bytes, nodejs_heap_size_used_bytes, ...).
 */
function registerDefaultMetrics(registry: Registry): void {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  for (const { name } of defaults.getMetricsAsArray()) {
    const metric = defaults.getSingleMetric(name);
    if (metric && !MISNAMED_DEFAULT_METRICS.has(name)) registry.registerMetric(metric);
  }
}

function family(name: string, type: MetricType, help: string, collect: FamilySpec['collect'], labelNames: readonly string[] = []): FamilySpec {
  return { name, type, help, collect, labelNames };
}
