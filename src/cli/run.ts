import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createAuditLog } from '../audit/audit-log.js';
import { caseMergeOptionsOf } from '../config/cases.js';
import { loadConfig, type ConfigOverride } from '../config/load.js';
import { dedupOptionsOf, type Config } from '../config/schema.js';
import type { IncidentRecord } from '../incidents/index.js';
import { WorkerMetrics } from '../metrics/metrics.js';
import { ABSENCE_CHECK_MS, FieldAbsenceWarner } from '../metrics/field-absence.js';
import { PipelineStats } from '../metrics/pipeline-stats.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { runStream } from '../pipeline/run-stream.js';
import { FileIngest } from '../ingest/file-ingest.js';
import { StateLossWarning } from '../metrics/state-loss-warning.js';
import { parseDuration } from '../state/index.js';
import { createLogger } from './logger.js';
import { runKafkaWorker } from './run-kafka.js';
import { RuleReloader } from './rule-reload.js';
import { openUserInput, prepare, reportUserError, UserError } from './setup.js';
import { untilSignal } from './signals.js';
import { formatWhoWasTold } from './case-text.js';
import { formatSummaryText, summarize } from './summary.js';
import { serveWorker } from './worker-http.js';
import { openWorkerLedger } from './worker-ledger.js';
import { WatermarkResetRequest, WorkerWatermark } from './worker-watermark.js';

interface RunOptions {
  config?: string;
  input?: string;
  rules?: string;
  port?: string;
  exitOnEnd?: boolean;
  serve?: boolean;
  resetWatermark?: string;
  /** true for the flag alone, the file when one is given. */
  dryRun?: boolean | string;
}

/** Where `run --dry-run` writes when neither the flag nor receivers.capture names a file. */
const DEFAULT_CAPTURE = 'out/notifications.ndjson';

export function registerRun(program: Command, setExit: (code: number) => void): void {
  program
    .command('run')
    .description(
      'Run the worker. With a kafka section in the config it consumes alerts from Kafka and produces decisions, ' +
        'incidents and dead letters to Kafka until SIGINT/SIGTERM; with no Kafka configured it reads NDJSON from the ' +
        'configured input (file or stdin) and writes the configured outputs. Both serve /healthz, /readyz and /metrics; ' +
        'with a ledger (ledger.url) the file worker records into it and serves the API (incidents, feedback, rules, tuning: docs/api.md).',
    )
    .option('--config <file>', 'config file (YAML or JSON); ALERTGATE_* environment variables override it')
    .option('--rules <dir>', 'rules directory (overrides the config)')
    .option('--input <file>', 'NDJSON input, or - for stdin (overrides the config)')
    .option('--port <port>', 'HTTP port for /healthz, /readyz and /metrics; 0 picks a free one')
    .option('--exit-on-end', 'stop when the input ends (input.onEnd: exit)')
    .option('--serve', 'keep serving /metrics after the input ends, until SIGINT/SIGTERM (input.onEnd: serve)')
    .option(
      '--reset-watermark <to>',
      "Kafka: once the state is restored, move a poisoned watermark back before deciding anything new: to `recent` (the stream's event time) or an ISO-8601 time (docs/rules.md, \"Repairing a poisoned watermark\")",
    )
    .option('--dry-run [file]', `send no notification: every configured receiver writes what it would send to this NDJSON file (receivers.capture; default the config's, else ${DEFAULT_CAPTURE}), and no receiver secret is read`)
    .action(async (opts: RunOptions) => {
      try {
        const config = await loadConfig(opts.config, process.env, flagOverrides(opts));
        if (config.kafka && (opts.input !== undefined || opts.serve || opts.exitOnEnd)) {
          throw new UserError('--input, --serve and --exit-on-end are for NDJSON input; with a kafka section the worker reads its input topics until SIGINT/SIGTERM');
        }
        if (opts.resetWatermark !== undefined && !config.kafka) {
          throw new UserError('--reset-watermark is for a Kafka worker, whose state (and watermark) is restored from its state topic; a file worker starts with none (on a running one: POST /watermark/reset)');
        }
        const resetWatermark = opts.resetWatermark === undefined ? undefined : WatermarkResetRequest.safeParse({ to: opts.resetWatermark });
        if (resetWatermark && !resetWatermark.success) throw new UserError(`--reset-watermark: expected recent or an ISO-8601 date-time with offset (2026-11-18T10:00:00Z), got "${opts.resetWatermark}"`);
        if (config.kafka) await runKafkaWorker(config, config.kafka, resetWatermark?.data);
        else await runWorker(config);
      } catch (err) {
        reportUserError(err, setExit);
      }
    });
}

/** The flags that set config fields, validated with the rest of the config (an invalid --port is named). */
function flagOverrides(opts: RunOptions): ConfigOverride[] {
  const overrides: ConfigOverride[] = [];
  if (opts.rules !== undefined) overrides.push({ flag: '--rules', path: ['rules'], value: opts.rules });
  if (opts.input !== undefined) overrides.push({ flag: '--input', path: ['input', 'path'], value: opts.input });
  if (opts.serve) overrides.push({ flag: '--serve', path: ['input', 'onEnd'], value: 'serve' });
  else if (opts.exitOnEnd) overrides.push({ flag: '--exit-on-end', path: ['input', 'onEnd'], value: 'exit' });
  if (opts.port !== undefined) overrides.push({ flag: '--port', path: ['http', 'port'], value: Number(opts.port) });
  if (typeof opts.dryRun === 'string') overrides.push({ flag: '--dry-run', path: ['receivers', 'capture'], value: opts.dryRun });
  else if (opts.dryRun) overrides.push({ flag: '--dry-run', path: ['receivers', 'capture'], value: DEFAULT_CAPTURE, ifUnset: true });
  return overrides;
}

async function runWorker(config: Config): Promise<void> {
  const log = createLogger(config.log.level, { redact: config.log.redact });
  log.debug({ config }, 'configuration');
  const audit = createAuditLog(log, { decisions: config.log.audit.decisions });
  const { ruleset, normalize } = await prepare({ rules: config.rules, format: config.input.format, mapping: config.input.mapping, explanations: config.outputs, explainRulesName: 'outputs.explainRules' });
  log.info({ rules: config.rules, fingerprint: ruleset.fingerprint, promoteRules: ruleset.promoteRules.length, suppressRules: ruleset.suppressRules.length }, 'rules loaded');
  // A file's decision counts replace those of an earlier run of the same file; stdin runs add up.
  const fromFile = config.input.path !== '-';
  const worker = await openWorkerLedger(config, { name: fromFile ? `run:${resolve(config.input.path)}` : `run:stdin:${new Date().toISOString()}` }, log, audit);
  if (worker && fromFile) await worker.ledger.resetDecisionCounts(worker.recorder.source);
  worker?.recordRules(ruleset);
  const metrics = new WorkerMetrics();
  if (worker) metrics.attachLedger(worker.ledger, { precisionHorizonMs: parseDuration(config.metrics.precisionHorizon) });
  let reading = false;
  let reloader: RuleReloader | undefined;
  let pipeline: Pipeline | undefined;
  let ingest: FileIngest | undefined;
  // Requests are served between two batches (processBatch is synchronous): a reset applies at once.
  const watermark = new WorkerWatermark({ pipeline: () => pipeline, apply: async (change) => change(pipeline!), deciding: () => pipeline !== undefined, audit, log });
  const http = await serveWorker({ config, metrics, ready: () => reading, log, audit, ledger: worker, ruleset, reloader: () => reloader, watermark, ingest: () => ingest });

  const incidents: IncidentRecord[] = [];
  const caseIds = new Set<string>();
  const started = performance.now();
  const stats = new PipelineStats({ sources: config.metrics.sources, maxFirstSeenSources: config.metrics.maxFirstSeenSources, tenantLabel: config.metrics.tenantLabel });
  const absences = new FieldAbsenceWarner(stats, log);
  const stopAbsenceChecks = absences.every(ABSENCE_CHECK_MS);
  const stateLoss = new StateLossWarning(log);
  const httpInput = config.ingest.http.enabled;
  const run = runStream(openUserInput(config.input.path), {
    ruleset,
    normalize,
    maxLineBytes: config.input.maxLineBytes,
    maxAlertIdsPerIncident: config.incidents.maxAlertIds,
    maxOpenIncidents: config.incidents.maxOpen,
    eventTime: config.eventTime,
    onFutureDated: watermark.onFutureDated,
    dedup: dedupOptionsOf(config),
    outputs: config.outputs,
    explanations: config.outputs,
    holdOpen: httpInput,
    onBatch: (pipeline) => stateLoss.check(pipeline.windowStats()),
    cases: caseMergeOptionsOf(config.cases),
    onIncident: (incident) => {
      incidents.push(incident);
      if (incident.caseId !== undefined) caseIds.add(incident.caseId);
    },
    ...(audit.decisions === 'off' ? {} : { onDecision: (json: string) => audit.decision(json) }),
    stats,
    recorder: worker?.recorder,
  });
  pipeline = run.pipeline;
  metrics.attach(run.pipeline, ruleset);
  if (httpInput) {
    const { maxPendingBytes, retryAfterSeconds } = config.ingest.http;
    ingest = new FileIngest(run, { maxLineBytes: config.input.maxLineBytes, maxPendingBytes, retryAfterSeconds, log });
  }
  reloader = new RuleReloader({ dir: config.rules, pipeline: run.pipeline, metrics, log, audit, onApplied: (applied) => worker?.recordRules(applied) });
  const stopWatching = config.watchRules ? reloader.watch() : () => {};
  const stopAutoTune = worker?.startAutoTune((actor) => void reloader?.reload(actor)) ?? (() => {});
  reading = true;
  const stopped = untilSignal();
  await Promise.race([run.done, stopped.promise]);
  if (ingest && stopped.fired === undefined) {
    // The input file is decided: from here on HTTP bodies are, one request at a time, until a signal.
    log.info({ url: `${http?.url}/ingest`, alerts: run.pipeline.counts.alerts }, 'input ended; taking HTTP input until SIGINT/SIGTERM');
    await stopped.promise;
    await ingest.stop();
    await run.close();
  }
  reading = false;
  // Stopped by a signal mid-input: what was decided so far still reaches the ledger.
  await worker?.recorder.flush();
  stopAbsenceChecks();
  absences.check(1);
  const summary = summarize(run.pipeline.counts, performance.now() - started, stats);
  log.info({ summary }, 'input ended');
  process.stdout.write(`${formatSummaryText(summary)}\n${formatIncidents(incidents)}\n`);
  if (worker) {
    // The cases of this input, once escalation has told their first level.
    await worker.cases.settle();
    const cases = (await Promise.all([...caseIds].map((id) => worker.ledger.cases.get(id)))).filter((c) => c !== undefined);
    process.stdout.write(`${formatWhoWasTold(cases, config.receivers.capture)}\n`);
  }
  if (config.input.onEnd === 'serve' && http && stopped.fired === undefined && !ingest) {
    process.stdout.write(`serving ${http.url}/metrics${worker ? ' and the API' : ''} until Ctrl-C\n`);
    await stopped.promise;
  }
  stopWatching();
  stopAutoTune();
  stopped.dispose();
  await http?.server.close();
  await worker?.close();
  log.flush();
}

/** The busiest incidents first, for the end-of-input summary. */
function formatIncidents(incidents: readonly IncidentRecord[], top = 10): string {
  if (incidents.length === 0) return 'no incidents';
  const busiest = [...incidents].sort((a, b) => b.alertCount - a.alertCount || (a.id < b.id ? -1 : 1)).slice(0, top);
  const lines = busiest.map((i) => `  ${i.severity.padEnd(8)} ${String(i.alertCount).padStart(6)} alerts  ${i.title}  (${i.ruleId}, ${i.id})`);
  return [`incidents: ${incidents.length}${incidents.length > top ? ` (top ${top} by alerts)` : ''}`, ...lines].join('\n');
}
