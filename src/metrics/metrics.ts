import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import type { KafkaWorkerStats } from '../worker/kafka-worker.js';

/**
 * Prometheus metrics read from the pipeline's plain counters at scrape time, so the per-alert hot
 * path never touches prom-client. Labels are rule ids and enums only: never entity values or alert ids.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  private pipeline: Pipeline | undefined;
  private ruleset: CompiledRuleSet | undefined;
  private kafka: (() => KafkaWorkerStats) | undefined;
  private readonly reloads: Counter<'result'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'alertgate_process_' });
    const metrics = this;
    const counts = () => metrics.pipeline?.counts;
    // Kafka messages dead-lettered before the pipeline (no value, empty, not UTF-8) are input records too.
    const rejected = () => metrics.kafka?.().rejected ?? 0;
    const kafkaStat = (name: 'chunks' | 'replayedChunks' | 'recoveries' | 'checkpoints' | 'commitFailures' | 'sendRetries' | 'consumerRestarts') => metrics.kafka?.()[name];
    /** A counter that mirrors one of the worker's own counts at scrape time. */
    const counter = (name: string, help: string, read: () => number | undefined) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          syncCounter(this, read());
        },
      });

    this.reloads = new Counter({
      name: 'alertgate_rule_reloads_total',
      help: 'Rule reloads after the rule files changed, by result (applied, or rejected as invalid).',
      labelNames: ['result'] as const,
      registers: [this.registry],
    });

    const withRejected = (n: number | undefined) => (n === undefined ? undefined : n + rejected());
    counter('alertgate_alerts_received_total', 'Input records read (valid or not).', () => withRejected(counts()?.alerts));
    counter(
      'alertgate_dead_letters_total',
      'Input records that could not become alerts and were written as dead letters.',
      () => withRejected(counts()?.invalid),
    );
    new Counter({
      name: 'alertgate_decisions_total',
      help: 'Decisions made, by decision.',
      labelNames: ['decision'] as const,
      registers: [this.registry],
      collect() {
        const c = counts();
        syncCounter(this, c?.promoted, { decision: 'promote' });
        syncCounter(this, c?.suppressed, { decision: 'suppress' });
        syncCounter(this, c?.passed, { decision: 'pass' });
      },
    });
    new Counter({
      name: 'alertgate_rule_decisions_total',
      help: 'Decisions made by each rule, by decision.',
      labelNames: ['rule', 'decision'] as const,
      registers: [this.registry],
      collect() {
        for (const [rule, perRule] of counts()?.byRule ?? []) {
          syncCounter(this, perRule.promoted, { rule, decision: 'promote' });
          syncCounter(this, perRule.suppressed, { rule, decision: 'suppress' });
        }
      },
    });
    counter('alertgate_incidents_opened_total', 'Incidents opened.', () => counts()?.incidents);
    counter('alertgate_alerts_grouped_total', 'Promoted alerts that joined an already open incident.', () => counts()?.grouped);
    new Gauge({
      name: 'alertgate_rules_loaded',
      help: 'Enabled rules in the running rule set, by decision.',
      labelNames: ['decision'] as const,
      registers: [this.registry],
      collect() {
        this.set({ decision: 'promote' }, metrics.ruleset?.promoteRules.length ?? 0);
        this.set({ decision: 'suppress' }, metrics.ruleset?.suppressRules.length ?? 0);
      },
    });
    new Gauge({
      name: 'alertgate_window_keys',
      help: 'Group keys held in each windowed rule\'s state.',
      labelNames: ['rule'] as const,
      registers: [this.registry],
      collect() {
        for (const { ruleId, stats } of metrics.pipeline?.windowStats() ?? []) this.set({ rule: ruleId }, stats.keys);
      },
    });
    counter('alertgate_kafka_chunks_total', 'Chunks of merged Kafka input decided and sent.', () => kafkaStat('chunks'));
    counter('alertgate_kafka_replayed_chunks_total', 'Chunks decided again from the state topic, without sending, to rebuild windows and incidents after a takeover.', () => kafkaStat('replayedChunks'));
    counter('alertgate_kafka_recoveries_total', 'Times this worker took the input partitions over and restored the state.', () => kafkaStat('recoveries'));
    counter('alertgate_kafka_checkpoints_total', 'Checkpoints of the state written to the state topic.', () => kafkaStat('checkpoints'));
    counter('alertgate_kafka_commit_failures_total', 'Offset commits that failed (the next one carries the offsets).', () => kafkaStat('commitFailures'));
    counter('alertgate_kafka_send_retries_total', 'Sends of a batch\'s outputs that failed and were tried again.', () => kafkaStat('sendRetries'));
    counter('alertgate_kafka_consumer_restarts_total', 'Times the worker started its Kafka consumer again after a crash kafkajs did not recover from.', () => kafkaStat('consumerRestarts'));
  }

  /** Adds the Kafka worker's counters (and its pre-pipeline dead letters to the input and dead-letter totals). */
  attachKafka(stats: () => KafkaWorkerStats): void {
    this.kafka = stats;
  }

  /** Points the metrics at the running pipeline and rule set (again after a reload). */
  /** Counts a rules reload: applied (the new set runs) or rejected (invalid; the old set keeps running). */
  recordReload(result: 'applied' | 'rejected'): void {
    this.reloads.inc({ result });
  }

  attach(pipeline: Pipeline, ruleset: CompiledRuleSet): void {
    this.pipeline = pipeline;
    this.ruleset = ruleset;
  }
}

/** prom-client counters only go up: add what the source counter gained since the last scrape. */
function syncCounter<T extends string>(counter: Counter<T>, value: number | undefined, labels?: Partial<Record<T, string>>): void {
  if (value === undefined) return;
  const key = labels ? JSON.stringify(labels) : '';
  const last = reported.get(counter)?.get(key) ?? 0;
  if (value > last) {
    if (labels) counter.inc(labels, value - last);
    else counter.inc(value - last);
  }
  let perCounter = reported.get(counter);
  if (!perCounter) reported.set(counter, (perCounter = new Map()));
  perCounter.set(key, Math.max(value, last));
}
const reported = new WeakMap<object, Map<string, number>>();
