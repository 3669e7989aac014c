import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuditDecisions } from '../config/schema.js';
import { Verdict } from '../feedback/feedback.js';
import { decisionKindOf } from '../pipeline/decision-json.js';

const RuleSetState = z.object({ fingerprint: z.string(), rules: z.array(z.string()) }).strict();

/**
 * The audit records (docs/logging.md): one JSON log line each, with `audit: true`, an `event` and the
 * `actor` who caused it. These schemas are what the lines carry besides pino's own fields.
 */
export const ReloadAudit = z
  .object({
    /** Who changed the rules: `rules-watcher` for a file change, or the API's user. */
    actor: z.string(),
    rulesDir: z.string(),
    result: z.enum(['applied', 'rejected']),
    before: RuleSetState,
    /** The set that runs now (applied only). */
    after: RuleSetState.optional(),
    /** Rule ids added, removed, or changed (same id, different definition) by an applied reload. */
    added: z.array(z.string()).optional(),
    removed: z.array(z.string()).optional(),
    changed: z.array(z.string()).optional(),
    windowsKept: z.array(z.string()).optional(),
    windowsReset: z.array(z.string()).optional(),
    /** Located problems of a rejected set. */
    problems: z.array(z.string()).optional(),
  })
  .strict();
export type ReloadAudit = z.infer<typeof ReloadAudit>;

export const FeedbackAudit = z
  .object({
    actor: z.string(),
    incidentId: z.string(),
    ruleId: z.string(),
    verdict: Verdict,
    /** The incident's verdict before this one (null: its first). */
    previousVerdict: Verdict.nullable(),
    note: z.string().optional(),
  })
  .strict();
export type FeedbackAudit = z.infer<typeof FeedbackAudit>;

export const TuningAudit = z
  .object({
    actor: z.string(),
    ruleId: z.string(),
    /** The ledger's id of the change. */
    changeId: z.string(),
    action: z.enum(['applied', 'reverted']),
    /** The rule's tunable params before and after. */
    before: z.record(z.string(), z.number()),
    after: z.record(z.string(), z.number()),
    reason: z.string().optional(),
  })
  .strict();
export type TuningAudit = z.infer<typeof TuningAudit>;

export const WatermarkAudit = z
  .object({
    /** The API token's name, or `cli` for `alertgate run --reset-watermark`. */
    actor: z.string(),
    /** What was asked: `recent` or a time. */
    requested: z.string(),
    /** The watermark before and after (ISO-8601). */
    from: z.string(),
    to: z.string(),
    windowEventsDropped: z.number().int().nonnegative(),
    /** Open incidents whose last alert was after `to`, closed by the reset. */
    incidentsClosed: z.array(z.string()),
  })
  .strict();
export type WatermarkAudit = z.infer<typeof WatermarkAudit>;


/** A change of a case (docs/cases.md, "Timeline"): who, what, from → to, and who was told because of it. */
export const CaseAudit = z
  .object({
    actor: z.string(),
    caseId: z.string(),
    /** The case event: opened, acknowledged, escalated, notification-dead, ... */
    change: z.string(),
    seq: z.number().int(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    note: z.string().nullable(),
    /** `receiver:kind` of each notification written with it. */
    notified: z.array(z.string()),
  })
  .strict();
export type CaseAudit = z.infer<typeof CaseAudit>;

export const AUDIT_EVENTS = ['rules.reload', 'decision', 'feedback', 'tuning', 'watermark.reset', 'case'] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

/**
 * The audit trail: who changed what, with before and after. Reloads come from the worker; feedback and
 * tuning changes from the ledger, feedback API and tuner, which call these methods; decisions with
 * their explanations only as far as `log.audit.decisions` asks (a decision stream is a firehose).
 */
export interface AuditLog {
  /** Which decisions decision() records: callers skip the call entirely when this is `off`. */
  readonly decisions: AuditDecisions;
  reload(event: ReloadAudit): void;
  /** One decision record as the pipeline wrote it (JSON). */
  decision(json: string): void;
  feedback(event: FeedbackAudit): void;
  tuningChange(event: TuningAudit): void;
  watermarkReset(event: WatermarkAudit): void;
  caseChange(event: CaseAudit): void;
}

/**
 * Audit records go through the worker's logger as a child with `audit: true`, always at `info`: they are
 * written even when `log.level` is `warn` or `error` (only `silent` stops them, with everything else).
 */
export function createAuditLog(log: Logger, options: { decisions?: AuditDecisions } = {}): AuditLog {
  const audit = log.child({ audit: true }, { level: log.level === 'silent' ? 'silent' : 'info' });
  const decisions = options.decisions ?? 'off';
  return {
    decisions,
    reload: (event) => audit.info({ event: 'rules.reload', ...event }, event.result === 'applied' ? 'audit: rules reloaded' : 'audit: rules reload rejected'),
    decision(json) {
      if (decisions === 'off' || (decisions === 'promoted' && decisionKindOf(json) !== 'promote')) return;
      audit.info({ event: 'decision', actor: 'alertgate', decision: JSON.parse(json) as unknown }, 'audit: decision');
    },
    feedback: (event) => audit.info({ event: 'feedback', ...event }, 'audit: feedback recorded'),
    tuningChange: (event) => audit.info({ event: 'tuning', ...event }, event.action === 'applied' ? 'audit: tuning change applied' : 'audit: tuning change reverted'),
    watermarkReset: (event) => audit.info({ event: 'watermark.reset', ...event }, 'audit: watermark reset'),
    caseChange: (event) => audit.info({ event: 'case', ...event }, 'audit: case changed'),
  };
}
