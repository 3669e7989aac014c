import type { KafkaConfig } from '../config/kafka.js';
import type { Config } from '../config/schema.js';
import { startHttpServer } from '../http/server.js';
import { createAuditLog } from '../audit/audit-log.js';
import { PipelineStats } from '../metrics/pipeline-stats.js';
import { WorkerMetrics } from '../metrics/metrics.js';
import { KafkaWorker } from '../worker/kafka-worker.js';
import { createLogger } from './logger.js';
import { reloadRulesOnChange } from './rule-reload.js';
import { prepare } from './setup.js';
import { untilSignal } from './signals.js';
import { formatSummaryText, summarize } from './summary.js';

/** Exit code when shutdown outlasts kafka.shutdownTimeoutMs (a runtime error, as elsewhere in the CLI). */
const SHUTDOWN_TIMED_OUT = 2;

/**
 * `alertgate run` with a kafka section: consumes the input topics until SIGINT/SIGTERM, then sends what
 * is decided, checkpoints, commits, leaves the group and exits 0, or exits 2 if that takes longer than
 * kafka.shutdownTimeoutMs.
 */
export async function runKafkaWorker(config: Config, kafka: KafkaConfig): Promise<void> {
  const log = createLogger(config.log.level, { redact: config.log.redact });
  log.debug({ config }, 'configuration');
  const audit = createAuditLog(log, { decisions: config.log.audit.decisions });
  const { ruleset, normalize } = await prepare({ rules: config.rules, format: config.input.format, mapping: config.input.mapping });
  log.info({ rules: config.rules, fingerprint: ruleset.fingerprint, promoteRules: ruleset.promoteRules.length, suppressRules: ruleset.suppressRules.length }, 'rules loaded');

  const metrics = new WorkerMetrics();
  let worker: KafkaWorker | undefined;
  let stopping = false;
  const http = config.http.enabled
    ? await startHttpServer({ host: config.http.host, port: config.http.port, metrics, ready: () => !stopping && (worker?.ready() ?? false) })
    : undefined;
  if (http) log.info({ url: http.url }, 'serving /healthz, /readyz and /metrics');

  // Listening before the worker starts, so a signal during startup stops it right after.
  const signal = untilSignal();
  const started = performance.now();
  try {
    worker = await KafkaWorker.start({
      kafka,
      ruleset,
      normalize,
      maxLineBytes: config.input.maxLineBytes,
      maxAlertIdsPerIncident: config.incidents.maxAlertIds,
      maxOpenIncidents: config.incidents.maxOpen,
      log,
      stats: new PipelineStats({ sources: config.metrics.sources, maxFirstSeenSources: config.metrics.maxFirstSeenSources }),
      ...(audit.decisions === 'off' ? {} : { onDecision: (json: string) => audit.decision(json) }),
    });
  } catch (err) {
    signal.dispose();
    await http?.server.close();
    log.flush();
    throw err;
  }
  const running = worker;
  metrics.attach(running.processor.pipeline, ruleset);
  metrics.attachKafka(() => running.stats());
  metrics.attachKafkaLag(() => running.decider.lag());
  const stopWatching = config.watchRules
    ? reloadRulesOnChange({ dir: config.rules, pipeline: running.processor.pipeline, reload: (ruleset) => running.decider.reload(ruleset), metrics, log, audit })
    : () => {};

  const received = await signal.promise;
  stopping = true;
  stopWatching();
  log.info({ signal: received, shutdownTimeoutMs: kafka.shutdownTimeoutMs }, 'stopping: sending what is decided, checkpointing, then leaving the group');
  const deadline = setTimeout(() => {
    log.error({ shutdownTimeoutMs: kafka.shutdownTimeoutMs }, 'shutdown took longer than kafka.shutdownTimeoutMs; exiting now (what is not committed is decided again by the next decider)');
    log.flush();
    process.exit(SHUTDOWN_TIMED_OUT);
  }, kafka.shutdownTimeoutMs);
  try {
    await running.stop();
  } finally {
    clearTimeout(deadline);
  }
  await http?.server.close();

  const stats = running.stats();
  const counts = running.processor.pipeline.counts;
  // Messages rejected before the pipeline are input records and dead letters all the same.
  const summary = summarize({ ...counts, alerts: counts.alerts + stats.rejected, invalid: counts.invalid + stats.rejected }, performance.now() - started);
  log.info({ summary, kafka: stats }, 'stopped');
  process.stdout.write(`${formatSummaryText(summary)}\n`);
  log.flush();
  // kafkajs can leave a timer behind after disconnecting; it must not hold the exit.
  setTimeout(() => process.exit(), 2_000).unref();
}
