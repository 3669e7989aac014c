import { z } from 'zod';
import { INCIDENT_SEVERITIES, type IncidentSeverity } from '../incidents/incident-record.js';
import { postJson, type Transport } from './http.js';
import { caseMessage, truncate } from './message.js';
import type { DeliveryResult, Notification, Receiver } from './receiver.js';
import { SecretRef } from './secrets.js';

/**
 * PagerDuty Events API v2 (POST /v2/enqueue), over plain fetch: the one official Node package,
 * @pagerduty/pdjs (2.2.4), is mainly a REST API client whose event() is a thin wrapper over
 * cross-fetch; for one JSON POST it would add two dependencies and no error handling we need.
 *
 * The dedup_key is the case id, so PagerDuty itself makes the page idempotent: a trigger sent again
 * after a crash joins the open alert instead of paging twice, and acknowledge and resolve reach the
 * same alert. A trigger after a resolve (a reopened case) opens a new incident, as it should.
 */

const PD_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
const PdSeverity = z.enum(PD_SEVERITIES);

const DEFAULT_SEVERITY_MAP: Record<IncidentSeverity, (typeof PD_SEVERITIES)[number]> = {
  critical: 'critical',
  high: 'error',
  medium: 'warning',
  low: 'info',
};

export const PagerDutyOptions = z
  .object({
    type: z.literal('pagerduty'),
    /** The integration key of an "Events API V2" integration on the service. */
    routingKey: SecretRef,
    url: z.url({ protocol: /^https?$/ }).default('https://events.pagerduty.com/v2/enqueue'),
    /** Case severity → PagerDuty severity. */
    severity: z
      .object(Object.fromEntries(INCIDENT_SEVERITIES.map((s) => [s, PdSeverity.default(DEFAULT_SEVERITY_MAP[s])])) as Record<IncidentSeverity, z.ZodDefault<typeof PdSeverity>>)
      .strict()
      .default(DEFAULT_SEVERITY_MAP),
    /** payload.source when the case names no host. */
    source: z.string().min(1).default('alertgate'),
  })
  .strict();
export type PagerDutyOptions = z.infer<typeof PagerDutyOptions>;

/** PagerDuty truncates a summary at 1024 characters; we do it where we can choose the cut. */
const SUMMARY_MAX = 1024;

export type PagerDutyAction = 'trigger' | 'acknowledge' | 'resolve';

/**
 * The event's action: resolve at the end, acknowledge while someone works the case (acknowledged or
 * contained), trigger otherwise (the first notice, growth, escalation, a reopened case).
 */
export function pagerDutyAction(notification: Notification): PagerDutyAction {
  if (notification.kind === 'resolve' || notification.notice.state === 'resolved' || notification.notice.state === 'closed') return 'resolve';
  if (notification.notice.state === 'acknowledged' || notification.notice.state === 'contained') return 'acknowledge';
  return 'trigger';
}

/** The event without its routing key (the transport adds it; the capture file never sees it). */
export function renderPagerDuty(notification: Notification, options: PagerDutyOptions): Record<string, unknown> {
  const { notice } = notification;
  const action = pagerDutyAction(notification);
  if (action !== 'trigger') return { event_action: action, dedup_key: notice.caseId };
  const message = caseMessage(notification);
  return {
    event_action: 'trigger',
    dedup_key: notice.caseId,
    payload: {
      summary: truncate(message.headline, SUMMARY_MAX),
      severity: options.severity[notice.severity],
      source: notice.entities.host?.[0] ?? options.source,
      timestamp: notice.lastSeen,
      component: notice.rules[0]?.id ?? 'alertgate',
      class: notice.classification ?? 'unclassified',
      custom_details: { ...Object.fromEntries(message.fields.map((f) => [f.label, f.value])), Summary: message.summary },
    },
    client: 'alertgate',
    ...(notice.link === null ? {} : { client_url: notice.link, links: [{ href: notice.link, text: 'The case in alertgate' }] }),
  };
}

export function createPagerDutyReceiver(name: string, options: PagerDutyOptions, transport: Transport): Receiver {
  const routingKey = options.routingKey.reveal();
  const enqueue = async (notification: Notification): Promise<DeliveryResult> => {
    const event = renderPagerDuty(notification, options);
    const result = await postJson(
      { what: `PagerDuty enqueue (${String(event.event_action)})`, url: options.url, body: JSON.stringify({ routing_key: routingKey, ...event }) },
      transport,
    );
    return result.outcome === 'delivered' ? { outcome: 'delivered', state: { dedupKey: notification.caseId } } : result;
  };
  return { name, type: 'pagerduty', send: enqueue, update: enqueue, resolve: enqueue };
}
