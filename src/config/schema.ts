import { pino } from 'pino';
import { z } from 'zod';

import { SOURCE_LABEL_PATTERN } from '../metrics/source-labels.js';
import { InputFormat } from '../normalize/index.js';
import { ReceiversConfig, RECEIVERS_DEFAULTS } from '../receivers/config.js';
import { Duration } from '../rules/schema.js';
import { ApiConfig } from './api.js';
import { EVENT_TIME_DEFAULTS, EventTimeConfig } from './event-time.js';
import { FeedbackConfig } from './feedback.js';
import { KafkaConfig } from './kafka.js';
import { LedgerConfig } from './ledger.js';
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
      })
      .strict()
      .default({}),
    /** How far one alert may move event time ahead of the others, and what happens beyond it (docs/rules.md). */
    eventTime: EventTimeConfig.default(EVENT_TIME_DEFAULTS),
    incidents: z
      .object({
        maxAlertIds: z.number().int().min(0).default(100),
        maxOpen: z.number().int().positive().default(100_000),
      })
      .strict()
      .default({ maxAlertIds: 100, maxOpen: 100_000 }),
    http: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9464),
      })
      .strict()
      .default({ enabled: true, host: '127.0.0.1', port: 9464 }),
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
    // Checking /metrics requests against no token would refuse every scrape; say so at start instead.
    if (config.metrics.requireToken && config.api.tokens.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'needs API tokens to check /metrics requests against: set api.tokens (or ALERTGATE_API_TOKENS)', path: ['metrics', 'requireToken'] });
    }
  });
export type Config = z.infer<typeof Config>;
