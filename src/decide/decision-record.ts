import { z } from 'zod';
import { FIRST_DECISIONS } from '../dedup/seen-alerts.js';

/** Why an alert got its decision: the rule or exception, the facts and params it saw, the conditions' trace. */
export const Explanation = z.object({
  /** rule: a rule decided; exception: an exception silenced it; none: no rule decided (pass); duplicate: the alert came before. */
  by: z.enum(['rule', 'exception', 'none', 'duplicate']),
  exception: z.object({ id: z.string(), reason: z.string(), expires: z.string(), file: z.string() }).strict().optional(),
  rule: z.object({ id: z.string(), version: z.number(), priority: z.number(), file: z.string() }).strict().optional(),
  /**
   * The rule's window group, `{field: value}`, and its aggregates as of this alert. `lossy` (only
   * when true): the window had dropped state this alert's aggregates needed (maxKeys, maxEvents),
   * so they may read low.
   */
  window: z.object({ group: z.record(z.string(), z.string()), late: z.boolean(), lossy: z.literal(true).optional() }).strict().optional(),
  aggregates: z.record(z.string(), z.number()).optional(),
  params: z.record(z.string(), z.number()).optional(),
  /** The deciding conditions, leaf by leaf: fact, path, operator, the values compared and the result (ConditionTrace, docs/engine.md). */
  conditions: z.unknown().optional(),
  /** Other rules of the same decision that also fired on this alert (lower precedence). */
  alsoFired: z.array(z.string()).optional(),
  /** For pass: rules whose match held but whose conditions did not, with their aggregates. */
  nearMisses: z
    .array(z.object({ ruleId: z.string(), aggregates: z.record(z.string(), z.number()), lossy: z.literal(true).optional() }).strict())
    .optional(),
  /** For duplicate: how the first occurrence of this alert (same id and time) was decided. */
  duplicateOf: z
    .object({ decision: z.enum(FIRST_DECISIONS), ruleId: z.string().nullable(), incidentId: z.string().optional() })
    .strict()
    .optional(),
  /**
   * The alert's time was more than eventTime.maxFutureSkew ahead of the stream's event time, and it was
   * decided at `decidedAt` (the stream's event time) instead: windows counted it and incidents recorded
   * it there. The record's `time` is still the time the alert claimed.
   */
  clamped: z.object({ decidedAt: z.string(), maxFutureSkew: z.string() }).strict().optional(),
  /**
   * Only when true: the trace (window, aggregates, params, conditions, alsoFired, nearMisses) was left
   * out, as `outputs.explanations: compact` does for decisions other than promotions (docs/outputs.md).
   */
  compact: z.literal(true).optional(),
}).strict();
export type Explanation = z.infer<typeof Explanation>;

/** What a valid alert can be decided: `duplicate` when it came before (same id and event time, within the dedup horizon). */
export const DECISION_KINDS = ['promote', 'suppress', 'pass', 'duplicate'] as const;

/** One per input alert. docs/outputs.md documents it. */
export const DecisionRecord = z.object({
  alertId: z.string(),
  time: z.string(),
  decision: z.enum(DECISION_KINDS),
  ruleId: z.string().nullable(),
  ruleVersion: z.number().nullable(),
  incidentId: z.string().optional(),
  explanation: Explanation,
}).strict();
export type DecisionRecord = z.infer<typeof DecisionRecord>;

/** A decision as written by the pipeline (JSON), validated back into its record. */
export function parseDecision(json: string): DecisionRecord {
  return DecisionRecord.parse(JSON.parse(json));
}
export type DecisionKind = DecisionRecord['decision'];
