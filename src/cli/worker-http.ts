import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import { startHttpServer } from '../http/server.js';
import type { WorkerMetrics } from '../metrics/metrics.js';
import type { IngestTarget } from '../ingest/target.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import type { RuleReloader } from './rule-reload.js';
import type { WorkerLedger } from './worker-ledger.js';
import type { WorkerWatermark } from './worker-watermark.js';

/**
 * The worker's HTTP surface (health, readiness, metrics and, with a ledger, the API), the same for the
 * file and the Kafka worker. `reloader` is read when a request comes: it exists once the pipeline does.
 */
export async function serveWorker(options: {
  config: Config;
  metrics: WorkerMetrics;
  ready: () => boolean;
  log: Logger;
  audit: AuditLog;
  ledger: WorkerLedger | undefined;
  ruleset: CompiledRuleSet;
  reloader: () => RuleReloader | undefined;
  watermark: WorkerWatermark;
  /** Where POST /ingest's lines go, once the worker has it (ingest.http.enabled). */
  ingest: () => IngestTarget | undefined;
}) {
  const { config, metrics, ready, log, audit, ledger, ruleset, reloader, watermark } = options;
  if (!config.http.enabled) return undefined;
  const http = await startHttpServer({
    host: config.http.host,
    port: config.http.port,
    metrics,
    ready,
    log,
    api: {
      config: config.api,
      requireMetricsToken: config.metrics.requireToken,
      ingestBodyLimitBytes: config.ingest.http.bodyLimitBytes,
      context: {
        ledger: ledger?.ledger,
        rules: () => reloader()?.current ?? ruleset,
        reloadRules: async (actor) => reloader()?.reload(actor) ?? { applied: false, problems: ['the worker is still starting'] },
        tuning: ledger?.tuning,
        autoTune: ledger?.autoTune,
        audit,
        watermark,
        ingest: config.ingest.http.enabled ? options.ingest : undefined,
        onCaseChanges: ledger?.cases.onCaseChanges,
        escalation: () => ledger?.cases.escalation,
        postmortemRequiredFor: config.postmortems.requiredFor,
      },
    },
  });
  log.info({ url: http.url }, 'serving /healthz, /readyz, /metrics and the API');
  return http;
}
