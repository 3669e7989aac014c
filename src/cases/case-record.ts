import { z } from 'zod';
import { Verdict } from '../feedback/feedback.js';
import { IncidentRecord, IncidentSeverity } from '../incidents/index.js';
import { ObligationStatus } from '../obligations/obligation-record.js';
import { CaseState } from '../receivers/receiver.js';
import { CASE_ID_PATTERN } from './case-id.js';

/** What happened to a case (its timeline, docs/cases.md "Timeline"). */
export const CASE_EVENTS = [
  /** Detection: the first incident was recorded. */
  'opened',
  /** Detection: another incident joined, or the severity rose. */
  'grew',
  /** Detection: every incident closed (no more alerts), or an incident opened again in a quiet case. */
  'quiet',
  'active',
  /** People: the lifecycle (docs/cases.md "Lifecycle"). */
  'acknowledged',
  'assigned',
  'classified',
  'contained',
  'resolved',
  'closed',
  'reopened',
  /** Escalation: a level was notified, a reminder sent, another policy matched, notifications held for quiet hours. */
  'escalated',
  'reminded',
  'policy',
  'deferred',
  /** Delivery: a notification was dead-lettered (its fallback receiver, if any, was told). */
  'notification-dead',
  /** People: a flag set or removed (`personal-data`, `material`): obligations may start on it. */
  'flagged',
  'unflagged',
  /** Obligations (docs/obligations.md): a clock started, a reminder sent, a deadline passed unmet, met or waived by a person. */
  'obligation-started',
  'obligation-reminded',
  'obligation-missed',
  'obligation-met',
  'obligation-waived',
  /** People: the postmortem was marked done (docs/postmortems.md). */
  'postmortem-done',
] as const;
export const CaseEventKind = z.enum(CASE_EVENTS);
export type CaseEventKind = z.infer<typeof CaseEventKind>;

export const CaseEvent = z
  .object({
    seq: z.number().int().min(1),
    /** When (wall clock, ISO-8601 UTC). */
    at: z.iso.datetime(),
    /** Who: `cli:<user>`, `api:<token name>`, `alertgate` (detection, escalation), `delivery`. */
    actor: z.string(),
    event: CaseEventKind,
    from: z.string().nullable(),
    to: z.string().nullable(),
    note: z.string().nullable(),
  })
  .strict();
export type CaseEvent = z.infer<typeof CaseEvent>;

const ms = z.iso.datetime().nullable();

/** One case as lists show it (`alertgate incidents list`, `GET /cases`). */
export const CaseSummary = z
  .object({
    id: z.string().regex(CASE_ID_PATTERN),
    title: z.string(),
    severity: IncidentSeverity,
    /** The opening incident's rule category. */
    category: z.string(),
    /** The incident-response classification an analyst gave it (null until then). */
    classification: z.string().nullable(),
    state: CaseState,
    assignee: z.string().nullable(),
    /** Flags analysts set (`personal-data`, `material`), sorted. */
    flags: z.array(z.string()),
    /**
     * From its incidents' current verdicts (the feedback table, never a copy): true_positive if any is,
     * else benign_positive if any is, else false_positive if any is; null while none is reviewed.
     */
    verdict: Verdict.nullable(),
    /** Detection, apart from what people did: active while an incident is open (alerts can join), then quiet. */
    detection: z.enum(['active', 'quiet']),
    firstSeen: z.iso.datetime(),
    lastSeen: z.iso.datetime(),
    alertCount: z.number().int(),
    incidentCount: z.number().int(),
    /** The rules that fired in it, most alerts first. */
    rules: z.array(z.object({ id: z.string(), alerts: z.number().int() }).strict()),
    entities: z.record(z.string(), z.array(z.string())),
    escalation: z
      .object({
        policy: z.string().nullable(),
        /** The last level notified (0: none yet). */
        level: z.number().int(),
        oncall: z.string().nullable(),
        /** When escalation acts next, if it will. */
        nextAt: ms,
      })
      .strict(),
    openedAt: z.iso.datetime(),
    acknowledgedAt: ms,
    resolvedAt: ms,
    closedAt: ms,
    updatedAt: z.iso.datetime(),
  })
  .strict();
export type CaseSummary = z.infer<typeof CaseSummary>;

/** A notification of the case, as the outbox holds it (never its receiver's secrets). */
export const NotificationStatus = z
  .object({
    id: z.string(),
    caseId: z.string(),
    receiver: z.string(),
    kind: z.string(),
    status: z.enum(['pending', 'delivered', 'dead']),
    attempts: z.number().int(),
    /** When it is tried next (pending), ISO. */
    nextAttemptAt: z.iso.datetime().nullable(),
    /** The last failure (secrets removed). */
    lastError: z.string().nullable(),
    createdAt: z.iso.datetime(),
    deliveredAt: ms,
    /** A fallback receiver's notification: the dead-lettered one it stands in for. */
    fallbackFor: z.string().nullable(),
    escalationLevel: z.number().int(),
    oncall: z.string().nullable(),
  })
  .strict();
export type NotificationStatus = z.infer<typeof NotificationStatus>;

/** One case with everything about it (`alertgate incidents show`, `GET /cases/:id`). */
export const CaseDetail = CaseSummary.extend({
  summary: z.string(),
  tags: z.array(z.string()),
  incidents: z.array(IncidentRecord.extend({ verdict: Verdict.nullable() })),
  timeline: z.array(CaseEvent),
  notifications: z.array(NotificationStatus),
  /** Its notification deadlines (docs/obligations.md). */
  obligations: z.array(ObligationStatus),
  /** Its postmortem: marked done when and by whom (docs/postmortems.md). */
  postmortem: z.object({ doneAt: z.iso.datetime().nullable(), doneBy: z.string().nullable() }).strict(),
}).strict();
export type CaseDetail = z.infer<typeof CaseDetail>;
