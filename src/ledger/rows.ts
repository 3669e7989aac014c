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
  /** The case it belongs to (null only while a ledger from before cases migrates). */
  case_id: z.string().nullable(),
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

/** An alert whose decision a source counted (sources that count each alert once). */
export const CountedAlertRow = z.object({
  source: z.string(),
  alert_id: z.string(),
  recorded_at_ms: ms,
});
export type CountedAlertRow = z.infer<typeof CountedAlertRow>;

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

const nullableText = z.string().nullable();

export const CaseRow = z.object({
  id: z.string(),
  /** The opening incident's title. */
  title: z.string(),
  /** The highest severity of its incidents. */
  severity: z.string(),
  /** The opening incident's rule category. */
  category: z.string(),
  /** One or two sentences from the opening decision's explanation. */
  summary: z.string(),
  /** Detection facts, derived from its incidents on every write (event time). */
  first_seen_ms: ms,
  last_seen_ms: ms,
  alert_count: z.coerce.number(),
  incident_count: z.coerce.number(),
  /** Incidents still open (alerts may still join): 0 means detection has gone quiet, not that anyone resolved it. */
  open_incidents: z.coerce.number(),
  /** `[{id, alerts}]`, most alerts first (JSON). */
  rules: z.string(),
  /** `{kind: [values]}` of its incidents' groups and opening alerts (JSON). */
  entities: z.string(),
  /** The opening alerts' tags (JSON). */
  tags: z.string(),
  /** What people did: open, acknowledged, contained, resolved, closed, reopened. */
  state: z.string(),
  assignee: nullableText,
  classification: nullableText,
  /** The escalation policy it follows (its name), once one matched. */
  policy: nullableText,
  /** Who the policy picked at the last level reached. */
  oncall: nullableText,
  /** The last escalation level notified (0: none yet). */
  escalation_level: z.coerce.number(),
  /** Reminders sent after the last level. */
  reminders: z.coerce.number(),
  /** When escalation acts next (wall clock); null: it does not (acknowledged, or nothing to escalate). */
  next_escalation_at_ms: nullableMs,
  /** 1: severity or classification changed; the escalation policy is matched again. */
  rematch: z.coerce.number(),
  /** Wall clock: when alertgate opened it, and when people first acknowledged, last resolved, closed it. */
  opened_at_ms: ms,
  acknowledged_at_ms: nullableMs,
  resolved_at_ms: nullableMs,
  closed_at_ms: nullableMs,
  updated_at_ms: ms,
  /** The seq of its last case event. */
  last_seq: z.coerce.number(),
  /** Flags analysts set (`personal-data`, `material`), sorted (JSON). */
  flags: z.string(),
  /** The last case event the obligations clock has read (it starts obligations from the timeline). */
  obligations_seq: z.coerce.number(),
  /** When and by whom its postmortem was marked done (docs/postmortems.md). */
  postmortem_done_at_ms: nullableMs,
  postmortem_done_by: nullableText,
});
export type CaseRow = z.infer<typeof CaseRow>;

export const CaseEventRow = z.object({
  case_id: z.string(),
  /** Order within the case (1, 2, ...). */
  seq: z.coerce.number(),
  /** Wall clock. */
  at_ms: ms,
  /** Who: a person (`cli:<user>`, `api:<token name>`), `alertgate` (detection, escalation) or `delivery`. */
  actor: z.string(),
  event: z.string(),
  from_value: nullableText,
  to_value: nullableText,
  note: nullableText,
});
export type CaseEventRow = z.infer<typeof CaseEventRow>;

export const NotificationRow = z.object({
  /** Deterministic per (case, receiver, cause). */
  id: z.string(),
  case_id: z.string(),
  /** The case event that caused it: orders a case's notifications to one receiver. */
  case_seq: z.coerce.number(),
  receiver: z.string(),
  kind: z.string(),
  /** The CaseNotice as of the cause (JSON). */
  notice: z.string(),
  /** pending (to send or retry), delivered, dead (dead-lettered). */
  status: z.enum(['pending', 'delivered', 'dead']),
  attempts: z.coerce.number(),
  next_attempt_at_ms: ms,
  /** The last failure, secrets removed. */
  last_error: nullableText,
  created_at_ms: ms,
  delivered_at_ms: nullableMs,
  /** Set on a fallback receiver's notification: the dead-lettered notification it stands in for. */
  fallback_for: nullableText,
});
export type NotificationRow = z.infer<typeof NotificationRow>;

export const ReceiverStateRow = z.object({
  receiver: z.string(),
  case_id: z.string(),
  /** The receiver's own memory of the case (a Slack ts, a Jira key; JSON). */
  state: z.string(),
  updated_at_ms: ms,
});
export type ReceiverStateRow = z.infer<typeof ReceiverStateRow>;

export const LeaseRow = z.object({
  name: z.string(),
  holder: z.string(),
  /** Raised by every new holder: a fencing token. */
  token: z.coerce.number(),
  expires_at_ms: ms,
});
export type LeaseRow = z.infer<typeof LeaseRow>;

export const ObligationRow = z.object({
  case_id: z.string(),
  /** The obligation's name in the obligations file. */
  name: z.string(),
  /** Copied from the file when the clock started: what is owed, what started it, who is told. */
  title: z.string(),
  trigger: z.string(),
  /** Receiver names (JSON). */
  notify: z.string(),
  started_at_ms: ms,
  due_at_ms: ms,
  /** Reminder lead times before the due time, ms, longest first (JSON). */
  remind: z.string(),
  reminders_sent: z.coerce.number(),
  /** When the clock acts next: a reminder, or the due time (running only). */
  next_at_ms: nullableMs,
  /** running, met, missed, waived. */
  status: z.enum(['running', 'met', 'missed', 'waived']),
  /** When it passed its due time unmet (kept when it is met late). */
  missed_at_ms: nullableMs,
  /** met or waived: when, by whom, why. */
  done_at_ms: nullableMs,
  done_by: nullableText,
  note: nullableText,
});
export type ObligationRow = z.infer<typeof ObligationRow>;

export const DrillRunRow = z.object({
  id: z.string(),
  name: z.string(),
  file: z.string(),
  run_at_ms: ms,
  /** 1 when every expectation held. */
  passed: z.coerce.number(),
  failures: z.coerce.number(),
  gaps: z.coerce.number(),
  /** The drill report (JSON). */
  report: z.string(),
});
export type DrillRunRow = z.infer<typeof DrillRunRow>;

export const AutoTuneRunRow = z.object({
  id: z.string(),
  run_at_ms: ms,
  seq: ms,
  /** The run (JSON), as GET /tuning/auto/last answers it. */
  run: z.string(),
});
export type AutoTuneRunRow = z.infer<typeof AutoTuneRunRow>;

/** The ledger's tables, for Kysely's query builder. */
export interface LedgerTables {
  incidents: IncidentRow;
  incident_openings: IncidentOpeningRow;
  decision_counts: DecisionCountRow;
  counted_alerts: CountedAlertRow;
  feedback: FeedbackRow;
  rule_versions: RuleVersionRow;
  tuning_changes: TuningChangeRow;
  cases: CaseRow;
  case_events: CaseEventRow;
  notifications: NotificationRow;
  receiver_states: ReceiverStateRow;
  leases: LeaseRow;
  case_obligations: ObligationRow;
  drill_runs: DrillRunRow;
  auto_tune_runs: AutoTuneRunRow;
}
