import { pino } from 'pino';
import { z } from 'zod';

import { SOURCE_LABEL_PATTERN } from '../metrics/source-labels.js';
import { InputFormat } from '../normalize/index.js';
import { ReceiversConfig, RECEIVERS_DEFAULTS } from '../receivers/config.js';
import { AlertFieldPath, Duration } from '../rules/schema.js';
import { DEFAULT_DEDUP_MAX_IDS, type DedupOptions } from '../dedup/seen-alerts.js';
import { parseDuration } from '../state/index.js';
import { ApiConfig } from './api.js';
import { EVENT_TIME_DEFAULTS, EventTimeConfig } from './event-time.js';
import { CASES_DEFAULTS, CasesConfig } from './cases.js';
import { EXPLANATION_FIELDS, FULL_EXPLANATIONS } from './explanations.js';
import { DELIVERY_DEFAULTS, DeliveryConfig, EscalationConfig } from './delivery.js';
import { ObligationsConfig, POSTMORTEMS_DEFAULTS, PostmortemsConfig } from './obligations.js';
import { FeedbackConfig } from './feedback.js';
import { KafkaConfig, TopicName } from './kafka.js';
import { LedgerConfig } from './ledger.js';
import { ShardingConfig } from './sharding.js';
import { TuningConfig } from './tuning.js';

/** How much of the decision stream goes to the audit log: off (default: a firehose), promoted alerts only, or all. */
export const AuditDecisions = z.enum(['off', 'promoted', 'all']);
export type AuditDecisions = z.infer<typeof AuditDecisions>;

/** A path pino's redaction (fast-redact) accepts: it is the judge of its own syntax. */
function isRedactPath(path: string): boolean {
  try {
    pino({ redact: [path] }, { write() {} });
    return true;
  } catch {
    return false;
  }
}

const DEDUP_DEFAULTS = { horizon: '10m', maxIds: DEFAULT_DEDUP_MAX_IDS };
const INGEST_HTTP_DEFAULTS = { enabled: false, bodyLimitBytes: 8 * 1024 * 1024, maxPendingBytes: 64 * 1024 * 1024, maxLag: 100_000, retryAfterSeconds: 2 };

const METRICS_DEFAULTS = { precisionHorizon: '30d', sources: [], maxFirstSeenSources: 20, requireToken: false };
const LOG_DEFAULTS = { level: 'info' as const, redact: [], audit: { decisions: 'off' as const } };

/**
 * The worker's configuration (`alertgate run --config file.yaml`), overridable by environment variables
 * (see ENV_VARS in ./load.ts). docs/configuration.md documents every field.
 */
export const Config = z
  .object({
    /** Directory of rule files. */
    rules: z.string().min(1).default('rules'),
    /** Reload the rules when their files change (an invalid set is rejected and the running one kept). */
    watchRules: z.boolean().default(true),
    input: z
      .object({
        /** NDJSON file, or `-` for stdin. Used when no Kafka is configured. */
        path: z.string().min(1).default('-'),
        format: InputFormat.default('auto'),
        /** Mapping file for the generic format. */
        mapping: z.string().min(1).optional(),
        /** Lines (Kafka: message values) longer than this become dead letters. */
        maxLineBytes: z.number().int().positive().default(1024 * 1024),
        /** exit: stop when the input ends; serve: keep serving /metrics until SIGINT/SIGTERM. */
        onEnd: z.enum(['exit', 'serve']).default('exit'),
      })
      .strict()
      .default({ path: '-', format: 'auto', maxLineBytes: 1024 * 1024, onEnd: 'exit' }),
    outputs: z
      .object({
        /** NDJSON files (`-` for stdout); an output left out is not written. */
        decisions: z.string().min(1).optional(),
        incidents: z.string().min(1).optional(),
        deadLetters: z.string().min(1).optional(),
        ...EXPLANATION_FIELDS,
      })
      .strict()
      .default(FULL_EXPLANATIONS),
    /** How far one alert may move event time ahead of the others, and what happens beyond it (docs/rules.md). */
    eventTime: EventTimeConfig.default(EVENT_TIME_DEFAULTS),
    /** Deduplication of alerts by id over an event-time horizon (docs/outputs.md, "Duplicates"). */
    dedup: z
      .object({
        /** How far behind the newest event time an id is remembered; 0s turns deduplication off. */
        horizon: Duration.default(DEDUP_DEFAULTS.horizon),
        /** Ids remembered at most (~120 bytes each); the oldest is forgotten early beyond it (counted). */
        maxIds: z.number().int().positive().default(DEDUP_DEFAULTS.maxIds),
      })
      .strict()
      .default(DEDUP_DEFAULTS),
    /** Input over HTTP: POST /ingest (docs/api.md, "Ingest"). */
    ingest: z
      .object({
        http: z
          .object({
            enabled: z.boolean().default(INGEST_HTTP_DEFAULTS.enabled),
            /** Largest request body (413 beyond it). */
            bodyLimitBytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(INGEST_HTTP_DEFAULTS.bodyLimitBytes),
            /** File worker: 429 while the outputs hold more than this many bytes not yet written. */
            maxPendingBytes: z.number().int().positive().default(INGEST_HTTP_DEFAULTS.maxPendingBytes),
            /** Kafka worker: 429 while the input topics hold more than this many messages the group has not committed. */
            maxLag: z.number().int().nonnegative().default(INGEST_HTTP_DEFAULTS.maxLag),
            /** The Retry-After of a 429. */
            retryAfterSeconds: z.number().int().min(1).max(3600).default(INGEST_HTTP_DEFAULTS.retryAfterSeconds),
            /** Kafka worker: the topic the lines are produced to; default the first of kafka.topics.input. */
            topic: TopicName.optional(),
          })
          .strict()
          .default(INGEST_HTTP_DEFAULTS),
      })
      .strict()
      .default({ http: INGEST_HTTP_DEFAULTS }),
    incidents: z
      .object({
        maxAlertIds: z.number().int().min(0).default(100),
        maxOpen: z.number().int().positive().default(100_000),
      })
      .strict()
      .default({ maxAlertIds: 100, maxOpen: 100_000 }),
    /** One case per attack: which shared entities join incidents of different rules, and within how long. */
    cases: CasesConfig.default(CASES_DEFAULTS),
    /** Who is told about a case and when (docs/escalation.md). */
    escalation: EscalationConfig.default({}),
    /** How notifications leave the outbox: retries, rate limits, dead letters, the fallback receiver. */
    delivery: DeliveryConfig.default(DELIVERY_DEFAULTS),
    /** Notification deadlines cases start (docs/obligations.md). */
    obligations: ObligationsConfig.default({}),
    /** Which cases need a postmortem before they close (docs/postmortems.md). */
    postmortems: PostmortemsConfig.default(POSTMORTEMS_DEFAULTS),
    http: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9464),
      })
      .strict()
      .default({ enabled: true, host: '127.0.0.1', port: 9464 }),
    /** What the data guarantees about the shard key of sharded deciders (kafka.shardBy). */
    sharding: ShardingConfig.default({ tiedFields: {} }),
    /** With it, `run` consumes alerts from Kafka and produces its outputs to Kafka (input.path and outputs are not used). */
    kafka: KafkaConfig.optional(),
    metrics: z
      .object({
        /** How far back alertgate_rule_precision_ratio looks: incidents opened within it. */
        precisionHorizon: Duration.default('30d'),
        /** Alert sources that always get their own `source` label. */
        sources: z.array(z.string().regex(SOURCE_LABEL_PATTERN, 'expected a source name of 1 to 64 letters, digits or _ . : / -')).default([]),
        /** Other sources labelled in the order they are first seen; the rest share the label "other". */
        maxFirstSeenSources: z.number().int().min(0).max(1000).default(20),
        /** alertgate_tenant_decisions_total: decisions by the alert's tenant, the label's values bounded (docs/metrics.md). */
        tenantLabel: z
          .object({
            /** The alert field naming the tenant: `entities.tenant`. */
            field: AlertFieldPath,
            /** Tenants that always get their own label. */
            values: z.array(z.string().regex(SOURCE_LABEL_PATTERN, 'expected a tenant name of 1 to 64 letters, digits or _ . : / -')).default([]),
            /** Other tenants labelled in the order they are first seen; the rest share the label "other". */
            maxValues: z.number().int().min(0).max(1000).default(100),
          })
          .strict()
          .optional(),
        /** /metrics answers only requests with an API token of any role (api.tokens; docs/api.md). */
        requireToken: z.boolean().default(false),
      })
      .strict()
      .default(METRICS_DEFAULTS),
    /** Where decisions, incidents, feedback and tuning changes are recorded; off without a url. */
    ledger: LedgerConfig.default({ flushIntervalMs: 1000 }),
    /** Tokens and limits of the HTTP API. */
    api: ApiConfig.default({ tokens: [], bodyLimitBytes: 64 * 1024 }),
    tuning: TuningConfig.default(TuningConfig.parse({})),
    feedback: FeedbackConfig.default({}),
    /** Where cases are told: Slack, Teams, PagerDuty, Jira, email, webhooks (docs/receivers.md). */
    receivers: ReceiversConfig.default(RECEIVERS_DEFAULTS),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        /** Extra pino redaction paths, on top of the defaults (docs/logging.md). */
        redact: z
          .array(z.string().min(1).refine(isRedactPath, 'not a redaction path: write it as a.b, *.b or a["x-y"] (docs/logging.md)'))
          .default([]),
        audit: z
          .object({
            /** Decisions with their explanations in the audit log: off, promoted, all. */
            decisions: AuditDecisions.default('off'),
          })
          .strict()
          .default({ decisions: 'off' }),
      })
      .strict()
      .default(LOG_DEFAULTS),
  })
  .strict()
  .superRefine((config, ctx) => {
    const ingest = config.ingest.http;
    if (ingest.enabled && !config.kafka && config.input.onEnd !== 'serve') {
      ctx.addIssue({ code: 'custom', message: 'HTTP input is decided after the input file ends, so the worker must keep running then: set input.onEnd: serve (or --serve)', path: ['ingest', 'http', 'enabled'] });
    }
    if (ingest.enabled && !config.api.tokens.some((t) => t.role === 'ingest')) {
      ctx.addIssue({ code: 'custom', message: 'needs an API token with role ingest for POST /ingest: add one to api.tokens (or ALERTGATE_API_TOKENS, name:ingest:token)', path: ['ingest', 'http', 'enabled'] });
    }
    if (ingest.topic !== undefined && config.kafka && !config.kafka.topics.input.includes(ingest.topic)) {
      ctx.addIssue({ code: 'custom', message: `"${ingest.topic}" is not one of kafka.topics.input (${config.kafka.topics.input.join(', ')}): the worker would not read what it produces`, path: ['ingest', 'http', 'topic'] });
    }
    const named = Object.keys(config.receivers.named);
    const unknownReceiver = (name: string) => `no receiver named "${name}" in receivers.named (${named.sort().join(', ') || 'none configured'}; docs/receivers.md)`;
    if (config.delivery.fallback !== undefined && !named.includes(config.delivery.fallback)) {
      ctx.addIssue({ code: 'custom', message: unknownReceiver(config.delivery.fallback), path: ['delivery', 'fallback'] });
    }
    for (const name of Object.keys(config.delivery.rateLimits)) {
      if (!named.includes(name)) ctx.addIssue({ code: 'custom', message: unknownReceiver(name), path: ['delivery', 'rateLimits', name] });
    }
    // Checking /metrics requests against no token would refuse every scrape; say so at start instead.
    if (config.metrics.requireToken && config.api.tokens.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'needs API tokens to check /metrics requests against: set api.tokens (or ALERTGATE_API_TOKENS)', path: ['metrics', 'requireToken'] });
    }
  });
export type Config = z.infer<typeof Config>;

/** The dedup stage's options from the config's durations. */
export function dedupOptionsOf(config: Pick<Config, 'dedup'>): DedupOptions {
  return { horizonMs: parseDuration(config.dedup.horizon), maxIds: config.dedup.maxIds };
}
