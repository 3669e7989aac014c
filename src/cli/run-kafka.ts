import { createAuditLog } from '../audit/audit-log.js';
import { caseMergeOptionsOf } from '../config/cases.js';
import { routerGroupId, type KafkaConfig } from '../config/kafka.js';
import { shardRefusalOf } from '../config/sharding.js';
import { dedupOptionsOf, type Config } from '../config/schema.js';
import { KafkaIngest } from '../ingest/kafka-ingest.js';
import { StateLossWarning } from '../metrics/state-loss-warning.js';
import { KafkaFeedbackConsumer } from '../feedback/kafka-feedback-consumer.js';
import { clientOptions } from '../kafka/client-options.js';
import { Kafka } from '../kafka/kafkajs.js';
import { WorkerMetrics } from '../metrics/metrics.js';
import { ABSENCE_CHECK_MS, FieldAbsenceWarner } from '../metrics/field-absence.js';
import { PipelineStats } from '../metrics/pipeline-stats.js';
import { parseDuration } from '../state/index.js';
import { KafkaWorker } from '../worker/kafka-worker.js';
import { EXIT, UserError } from './exit-codes.js';
import { createLogger } from './logger.js';
import { RuleReloader } from './rule-reload.js';
import { prepare } from './setup.js';
import { untilSignal } from './signals.js';
import { formatSummaryText, summarize } from './summary.js';
import { serveWorker } from './worker-http.js';
import { openWorkerLedger } from './worker-ledger.js';
import { WorkerWatermark, type WatermarkResetRequest } from './worker-watermark.js';

/**
 * `alertgate run` with a kafka section: consumes the input topics until SIGINT/SIGTERM, then sends what
 * is decided, checkpoints, commits, leaves the group and exits 0, or exits 2 if that takes longer than
 * kafka.shutdownTimeoutMs. With a ledger: records decisions and incidents, serves the API, consumes the
 * feedback topic and auto-tunes as configured, as the file worker does.
 */
export async function runKafkaWorker(config: Config, kafka: KafkaConfig, resetWatermark?: WatermarkResetRequest): Promise<void> {
  const log = createLogger(config.log.level, { redact: config.log.redact });
  log.debug({ config }, 'configuration');
  const audit = createAuditLog(log, { decisions: config.log.audit.decisions });
  const { ruleset, normalize } = await prepare({ rules: config.rules, format: config.input.format, mapping: config.input.mapping, explanations: config.outputs, explainRulesName: 'outputs.explainRules' });
  log.info({ rules: config.rules, fingerprint: ruleset.fingerprint, promoteRules: ruleset.promoteRules.length, suppressRules: ruleset.suppressRules.length }, 'rules loaded');
  // Before anything connects: a rule set that would decide differently per shard never starts deciding.
  const refuseSharded = shardRefusalOf(config);
  const refused = refuseSharded?.(ruleset) ?? [];
  if (refused.length > 0) throw new UserError(`the rules in ${config.rules} are ${refused.join('\n')}`);
  const ledger = await openWorkerLedger(config, { name: `kafka:${kafka.groupId}`, countEachAlertOnce: true }, log, audit);
  ledger?.recordRules(ruleset);

  const metrics = new WorkerMetrics();
  if (ledger) metrics.attachLedger(ledger.ledger, { precisionHorizonMs: parseDuration(config.metrics.precisionHorizon) });
  let worker: KafkaWorker | undefined;
  let reloader: RuleReloader | undefined;
  let ingest: KafkaIngest | undefined;
  let stopping = false;
  const watermark = new WorkerWatermark({
    pipeline: () => worker?.pipeline,
    apply: (change) => (worker ? worker.decider.changeState(change) : Promise.reject(new Error('the worker is still starting'))),
    deciding: () => worker?.decider.owner ?? false,
    audit,
    log,
  });
  const http = await serveWorker({ config, metrics, ready: () => !stopping && (worker?.ready() ?? false), log, audit, ledger, ruleset, reloader: () => reloader, watermark, ingest: () => ingest });

  // Listening before the worker starts, so a signal during startup stops it right after.
  const signal = untilSignal();
  const started = performance.now();
  let feedback: KafkaFeedbackConsumer | undefined;
  try {
    worker = await KafkaWorker.start({
      kafka,
      ruleset,
      normalize,
      maxLineBytes: config.input.maxLineBytes,
      maxAlertIdsPerIncident: config.incidents.maxAlertIds,
      maxOpenIncidents: config.incidents.maxOpen,
      eventTime: config.eventTime,
      onFutureDated: watermark.onFutureDated,
      cases: caseMergeOptionsOf(config.cases),
      log,
      stats: new PipelineStats({ sources: config.metrics.sources, maxFirstSeenSources: config.metrics.maxFirstSeenSources, tenantLabel: config.metrics.tenantLabel }),
      ...(audit.decisions === 'off' ? {} : { onDecision: (json: string) => audit.decision(json) }),
      recorder: ledger?.recorder,
      extraTopics: feedbackTopics(config),
      dedup: dedupOptionsOf(config),
      stateLoss: new StateLossWarning(log),
      explanations: config.outputs,
    });
    // After the worker: its topics exist (createTopics) by then. Until it is here, POST /ingest answers 429.
    const { enabled, topic, maxLag, retryAfterSeconds } = config.ingest.http;
    if (enabled) {
      ingest = await KafkaIngest.start({
        kafka: new Kafka(clientOptions(kafka, log)),
        topic: topic ?? kafka.topics.input[0]!,
        inputTopics: kafka.topics.input,
        // With shards the routers' group reads the input topics: its lag is the input's.
        groupId: kafka.shardBy ? routerGroupId(kafka) : kafka.groupId,
        normalize,
        maxLineBytes: config.input.maxLineBytes,
        maxLag,
        retryAfterSeconds,
        log,
      });
      log.info({ topic: topic ?? kafka.topics.input[0] }, 'taking HTTP input (POST /ingest)');
    }
    const verdicts = config.feedback.kafka;
    if (verdicts && ledger) {
      feedback = await KafkaFeedbackConsumer.start({
        kafka: new Kafka(clientOptions(kafka, log)),
        topic: verdicts.topic,
        groupId: verdicts.groupId,
        deadLetterTopic: verdicts.deadLetterTopic,
        ledger: ledger.ledger,
        log,
        audit,
        sessionTimeoutMs: kafka.consumer.sessionTimeoutMs,
      });
    } else if (verdicts) {
      log.warn({ topic: verdicts.topic }, 'feedback.kafka is set but there is no ledger (ledger.url): verdicts are not consumed');
    }
  } catch (err) {
    signal.dispose();
    await ingest?.stop();
    await worker?.stop().catch(() => undefined);
    await http?.server.close();
    await ledger?.close().catch(() => undefined);
    log.flush();
    throw err;
  }
  const running = worker;
  const stopAbsenceChecks = new FieldAbsenceWarner(running.pipeline.stats, log).every(ABSENCE_CHECK_MS);
  metrics.attach(running.pipeline, ruleset);
  metrics.attachKafka(() => running.stats());
  metrics.attachKafkaLag(() => running.decider.lag());
  reloader = new RuleReloader({
    dir: config.rules,
    pipeline: running.pipeline,
    reload: (rules) => running.decider.reload(rules),
    ...(refuseSharded ? { refuse: refuseSharded } : {}),
    metrics,
    log,
    audit,
    onApplied: (applied) => ledger?.recordRules(applied),
  });
  const stopWatching = config.watchRules ? reloader.watch() : () => {};
  if (resetWatermark) {
    log.info({ to: resetWatermark.to }, '--reset-watermark: moving the watermark back once the state is restored');
    // A refusal (nothing to move back, no stream time yet) is logged; the worker decides on either way.
    watermark.reset(resetWatermark, 'cli', { atStart: true }).catch((err: unknown) => log.error({ err: (err as Error).message }, '--reset-watermark was not applied'));
  }
  const stopAutoTune = ledger?.startAutoTune((actor) => void reloader?.reload(actor)) ?? (() => {});

  const received = await signal.promise;
  stopping = true;
  stopAbsenceChecks();
  stopWatching();
  stopAutoTune();
  log.info({ signal: received, shutdownTimeoutMs: kafka.shutdownTimeoutMs }, 'stopping: sending what is decided, checkpointing, then leaving the group');
  const deadline = setTimeout(() => {
    log.error({ shutdownTimeoutMs: kafka.shutdownTimeoutMs }, 'shutdown took longer than kafka.shutdownTimeoutMs; exiting now (what is not committed is decided again by the next decider)');
    log.flush();
    // A shutdown that outlasts kafka.shutdownTimeoutMs is a runtime failure.
    process.exit(EXIT.failure);
  }, kafka.shutdownTimeoutMs);
  try {
    await ingest?.stop();
    await feedback?.stop();
    await running.stop();
    await ledger?.close();
  } finally {
    clearTimeout(deadline);
  }
  await http?.server.close();

  const stats = running.stats();
  const counts = running.pipeline.counts;
  // Messages rejected before the pipeline are input records and dead letters all the same.
  const summary = summarize({ ...counts, alerts: counts.alerts + stats.rejected, invalid: counts.invalid + stats.rejected }, performance.now() - started, running.pipeline.stats);
  log.info({ summary, kafka: stats }, 'stopped');
  process.stdout.write(`${formatSummaryText(summary)}\n`);
  log.flush();
  // kafkajs can leave a timer behind after disconnecting; it must not hold the exit.
  setTimeout(() => process.exit(), 2_000).unref();
}

/** The feedback topics the worker checks (and creates, with createTopics) at start. */
function feedbackTopics(config: Config): string[] {
  const verdicts = config.feedback.kafka;
  return verdicts ? [verdicts.topic, ...(verdicts.deadLetterTopic ? [verdicts.deadLetterTopic] : [])] : [];
}
