import { z } from 'zod';
import { IncidentSeverity } from '../incidents/incident-record.js';

/**
 * The one interface every receiver (Slack, Teams, PagerDuty, Jira, email, webhook, capture) implements.
 * A receiver decides only what bytes to send and whether a failure is worth a retry; the delivery stage
 * (outbox, retries with backoff, rate limits, dead letters, metrics) is the same for all of them.
 */

export const CASE_STATES = ['open', 'acknowledged', 'contained', 'resolved', 'closed', 'reopened'] as const;
export const CaseState = z.enum(CASE_STATES);
export type CaseState = z.infer<typeof CaseState>;

/** What a message says about a case, taken when the notification was written (stored in the outbox as JSON). */
export const CaseNotice = z
  .object({
    caseId: z.string().min(1),
    title: z.string(),
    severity: IncidentSeverity,
    /** The incident-response classification (data-breach, malware, ...), null until an analyst sets it. */
    classification: z.string().nullable(),
    state: CaseState,
    assignee: z.string().nullable(),
    /** Entity kind → values, e.g. `{ host: ["web-1"], user: ["alice"] }`. */
    entities: z.record(z.string(), z.array(z.string())),
    /** Event times (ISO-8601 UTC) of the case's first and last alert. */
    firstSeen: z.iso.datetime(),
    lastSeen: z.iso.datetime(),
    alertCount: z.number().int().min(0),
    /** The rules that fired in this case, most alerts first. */
    rules: z.array(z.object({ id: z.string(), alerts: z.number().int().min(0) }).strict()),
    /** One or two sentences from the opening decision's explanation. */
    summary: z.string(),
    /** Rendered from the receivers' link template, null without one. */
    link: z.string().nullable(),
    /** The escalation level that caused this notice (1 = first). */
    escalationLevel: z.number().int().min(1),
    /** Who the escalation policy picked (an on-call handle), when it picked someone. */
    oncall: z.string().nullable(),
    /** Set for notices of a drill: a receiver may mark the message as an exercise. */
    drill: z.boolean(),
  })
  .strict();
export type CaseNotice = z.infer<typeof CaseNotice>;

/** Why a notification was written: the first notice, a change (growth, state, escalation, reminder), or the end. */
export const NotificationKind = z.enum(['open', 'update', 'escalate', 'reminder', 'resolve']);
export type NotificationKind = z.infer<typeof NotificationKind>;

export const Notification = z
  .object({
    /** Deterministic per (case, receiver, cause): the outbox's idempotency key. */
    id: z.string().min(1),
    caseId: z.string().min(1),
    /** The configured receiver's name. */
    receiver: z.string().min(1),
    kind: NotificationKind,
    notice: CaseNotice,
  })
  .strict();
export type Notification = z.infer<typeof Notification>;

/**
 * What a receiver remembers of a case between notifications (a Slack message ts and channel, a Jira
 * issue key, a PagerDuty dedup_key), kept by the outbox per (receiver, case).
 */
export type ReceiverState = Readonly<Record<string, string>>;

export type DeliveryResult =
  | { readonly outcome: 'delivered'; readonly state?: ReceiverState }
  /** Worth trying again (network error, 5xx, 429); retryAfterMs when the vendor said how long to wait. */
  | { readonly outcome: 'retry'; readonly error: string; readonly retryAfterMs?: number }
  /** Trying again cannot help (400, 401, 403, 404 on a configured channel...): dead-lettered at once. */
  | { readonly outcome: 'failed'; readonly error: string };

export interface Receiver {
  /** The configured name (several receivers may share a type). */
  readonly name: string;
  readonly type: string;
  /**
   * The first notice of a case to this receiver (page, post, create a ticket). Must be idempotent for a
   * case: called again after a crash between the send and its record, it finds what it made before
   * (PagerDuty dedup_key, a Jira issue with the case's label, a Slack message with the case's metadata).
   */
  send(notification: Notification, state: ReceiverState): Promise<DeliveryResult>;
  /** A change of the case (growth, state, escalation, reminder): update the message, comment on the ticket. */
  update(notification: Notification, state: ReceiverState): Promise<DeliveryResult>;
  /** The case is resolved: resolve the page, transition the ticket, mark the message. */
  resolve(notification: Notification, state: ReceiverState): Promise<DeliveryResult>;
  /** Releases clients and sockets. */
  close?(): Promise<void>;
  /**
   * Optional: the secrets it was configured with (tokens, webhook URLs, passwords), resolved. The
   * delivery stage removes every one of them from the errors it stores, logs and serves.
   */
  readonly secrets?: readonly string[];
  /**
   * Optional: what its rate limit is kept per for this notification (a Slack channel, a Teams webhook):
   * one token bucket per (receiver, key). Without it, one bucket for the receiver.
   */
  rateKey?(notification: Notification): string;
}
