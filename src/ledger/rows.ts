import { z } from 'zod';
import { DECISION_KINDS } from '../decide/decision-record.js';
import { Verdict } from '../feedback/feedback.js';

/**
 * The ledger's tables as rows. Every row read back goes through these schemas: PostgreSQL returns
 * 64-bit integers as strings and SQLite has no booleans, so numbers are coerced here, once.
 * docs/ledger.md describes each table.
 */

const ms = z.coerce.number();
const nullableMs = z.union([z.null(), z.coerce.number()]);

export const IncidentRow = z.object({
  id: z.string(),
  rule_id: z.string(),
  rule_version: z.coerce.number(),
  status: z.enum(['open', 'closed']),
  severity: z.string(),
  first_seen_ms: ms,
  last_seen_ms: ms,
  alert_count: z.coerce.number(),
  /** The IncidentRecord as the pipeline wrote it (JSON). */
  record: z.string(),
  /** The current verdict (the latest feedback by its time), denormalized for filtering. */
  verdict: Verdict.nullable(),
  feedback_id: z.string().nullable(),
  updated_at_ms: ms,
});
export type IncidentRow = z.infer<typeof IncidentRow>;

export const IncidentOpeningRow = z.object({
  incident_id: z.string(),
  alert_id: z.string(),
  /** The decision record of the alert that opened the incident (JSON), explanation included. */
  decision: z.string(),
  /** That alert's name, source, severity and entities (JSON). */
  alert: z.string(),
});
export type IncidentOpeningRow = z.infer<typeof IncidentOpeningRow>;

export const DecisionCountRow = z.object({
  /** Which run wrote the counts (`replay:<input>`, `run:<input>`, `kafka:<group>`): a replay replaces its own. */
  source: z.string(),
  /** The deciding rule or exception id; '' for pass and duplicate. */
  rule_id: z.string(),
  decision: z.enum(DECISION_KINDS),
  /** Start of the event-time hour (epoch ms). */
  bucket_ms: ms,
  count: z.coerce.number(),
});
export type DecisionCountRow = z.infer<typeof DecisionCountRow>;

export const FeedbackRow = z.object({
  id: z.string(),
  incident_id: z.string(),
  /** Order of arrival per incident (1, 2, ...): breaks ties between verdicts given at the same time. */
  seq: z.coerce.number(),
  verdict: Verdict,
  reason: z.string(),
  analyst: z.string(),
  entity_kind: z.string().nullable(),
  entity_value: z.string().nullable(),
  at_ms: ms,
  source: z.string(),
  recorded_at_ms: ms,
});
export type FeedbackRow = z.infer<typeof FeedbackRow>;

export const RuleVersionRow = z.object({
  rule_id: z.string(),
  version: z.coerce.number(),
  /** Hash of the rule's definition: two different definitions under one version number are both kept. */
  fingerprint: z.string(),
  file: z.string(),
  /** The rule as loaded (JSON). */
  definition: z.string(),
  first_seen_ms: ms,
});
export type RuleVersionRow = z.infer<typeof RuleVersionRow>;

export const TuningChangeRow = z.object({
  id: z.string(),
  rule_id: z.string(),
  /** The rule file, relative to the rules directory. */
  file: z.string(),
  param: z.string(),
  from_value: z.coerce.number(),
  to_value: z.coerce.number(),
  version_before: z.coerce.number(),
  version_after: z.coerce.number(),
  /** The whole file before and after: a revert writes `before_text` back byte for byte. */
  before_text: z.string(),
  after_text: z.string(),
  author: z.string(),
  reason: z.string(),
  /** The tuner's evaluation behind the change (JSON): counts, incident ids, mode. */
  evidence: z.string(),
  applied_at_ms: ms,
  reverted_at_ms: nullableMs,
  reverted_by: z.string().nullable(),
  revert_reason: z.string().nullable(),
});
export type TuningChangeRow = z.infer<typeof TuningChangeRow>;

/** The ledger's tables, for Kysely's query builder. */
export interface LedgerTables {
  incidents: IncidentRow;
  incident_openings: IncidentOpeningRow;
  decision_counts: DecisionCountRow;
  feedback: FeedbackRow;
  rule_versions: RuleVersionRow;
  tuning_changes: TuningChangeRow;
}
