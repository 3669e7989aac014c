import { createHash } from 'node:crypto';
import { INCIDENT_SEVERITIES, type IncidentSeverity } from '../incidents/index.js';
import { CaseNotice, type Notification, type NotificationKind } from '../receivers/receiver.js';

/** What a notice says about a case: the case's facts as stored (src/ledger/case-store.ts reads them). */
export interface NoticeFacts {
  readonly id: string;
  readonly title: string;
  readonly severity: string;
  readonly classification: string | null;
  readonly state: string;
  readonly assignee: string | null;
  readonly entities: Readonly<Record<string, readonly string[]>>;
  readonly firstSeenMs: number;
  readonly lastSeenMs: number;
  readonly alertCount: number;
  readonly rules: readonly { readonly id: string; readonly alerts: number }[];
  readonly summary: string;
  readonly escalationLevel: number;
  readonly oncall: string | null;
}

/**
 * The notice a notification carries, taken when the notification is written (the outbox stores it), so
 * a retry an hour later sends what was true at the cause. `link` is filled in at delivery from the link
 * template; `drill` is true only in a drill's ledger (docs/drills.md).
 */
export function noticeOf(facts: NoticeFacts, drill = false): CaseNotice {
  return CaseNotice.parse({
    caseId: facts.id,
    title: facts.title,
    severity: facts.severity,
    classification: facts.classification,
    state: facts.state,
    assignee: facts.assignee,
    entities: Object.fromEntries(Object.entries(facts.entities).map(([k, v]) => [k, [...v]])),
    firstSeen: new Date(facts.firstSeenMs).toISOString(),
    lastSeen: new Date(facts.lastSeenMs).toISOString(),
    alertCount: facts.alertCount,
    rules: facts.rules.map((r) => ({ id: r.id, alerts: r.alerts })),
    summary: facts.summary,
    link: null,
    escalationLevel: Math.max(1, facts.escalationLevel),
    oncall: facts.oncall,
    drill,
  });
}

/** `ntf-` + a hash of (case, receiver, the case event that caused it, kind): a notification written twice is one row. */
export function notificationId(caseId: string, receiver: string, caseSeq: number, kind: NotificationKind): string {
  return `ntf-${createHash('sha256').update(JSON.stringify([caseId, receiver, caseSeq, kind])).digest('hex').slice(0, 24)}`;
}

/** The notification as a receiver is given it. */
export function notificationOf(id: string, receiver: string, kind: NotificationKind, notice: CaseNotice): Notification {
  return { id, caseId: notice.caseId, receiver, kind, notice };
}

/** Severities from lowest; a case takes the highest of its incidents'. */
export function severityRank(severity: string): number {
  return INCIDENT_SEVERITIES.indexOf(severity as IncidentSeverity);
}
