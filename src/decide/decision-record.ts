import { z } from 'zod';

/** Why an alert got its decision: the rule or exception, the facts and params it saw, the conditions' trace. */
export const Explanation = z.object({
  /** rule: a rule decided; exception: an exception silenced it; none: no rule decided (pass). */
  by: z.enum(['rule', 'exception', 'none']),
  exception: z.object({ id: z.string(), reason: z.string(), expires: z.string(), file: z.string() }).strict().optional(),
  rule: z.object({ id: z.string(), version: z.number(), priority: z.number(), file: z.string() }).strict().optional(),
  /** The rule's window group, `{field: value}`, and its aggregates as of this alert. */
  window: z.object({ group: z.record(z.string(), z.string()), late: z.boolean() }).strict().optional(),
  aggregates: z.record(z.string(), z.number()).optional(),
  params: z.record(z.string(), z.number()).optional(),
  /** The deciding conditions, leaf by leaf: fact, path, operator, the values compared and the result (ConditionTrace, docs/engine.md). */
  conditions: z.unknown().optional(),
  /** Other rules of the same decision that also fired on this alert (lower precedence). */
  alsoFired: z.array(z.string()).optional(),
  /** For pass: rules whose match held but whose conditions did not, with their aggregates. */
  nearMisses: z.array(z.object({ ruleId: z.string(), aggregates: z.record(z.string(), z.number()) }).strict()).optional(),
  /**
   * The alert's time was more than eventTime.maxFutureSkew ahead of the stream's event time, and it was
   * decided at `decidedAt` (the stream's event time) instead: windows counted it and incidents recorded
   * it there. The record's `time` is still the time the alert claimed.
   */
  clamped: z.object({ decidedAt: z.string(), maxFutureSkew: z.string() }).strict().optional(),
}).strict();
export type Explanation = z.infer<typeof Explanation>;

/** One per input alert. docs/outputs.md documents it. */
export const DecisionRecord = z.object({
  alertId: z.string(),
  time: z.string(),
  decision: z.enum(['promote', 'suppress', 'pass']),
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
