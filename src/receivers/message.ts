import type { CaseNotice, Notification, NotificationKind } from './receiver.js';

/**
 * What every message about a case says, built once from the notice: each receiver only lays these
 * parts out in its own format (Slack blocks, an Adaptive Card, an email, a Jira description, a
 * PagerDuty event), so the six of them cannot drift apart.
 */

export interface MessageField {
  readonly label: string;
  readonly value: string;
}

export interface CaseMessage {
  readonly kind: NotificationKind;
  /** "[CRITICAL] Brute force against web-1", prefixed "RESOLVED:" or "DRILL:" where it applies. */
  readonly headline: string;
  /** What happened, in a few words: "New case", "Escalated to level 2", "Resolved". */
  readonly status: string;
  readonly fields: readonly MessageField[];
  readonly summary: string;
  readonly link: string | null;
  /** Everything above as plain text lines (email text part, chat fallbacks). */
  readonly text: string;
  /** The severity's color class, for the formats that color messages. */
  readonly tone: 'danger' | 'warning' | 'good' | 'neutral';
  /** A drill's message: formats that show the status without the headline (a Jira comment) mark it themselves. */
  readonly drill: boolean;
}

/** Rules listed in a message; the rest are counted ("+2 more"). */
const MAX_RULES = 5;
/** Values listed per entity kind. */
const MAX_ENTITY_VALUES = 5;

export function caseMessage(notification: Notification): CaseMessage {
  const { notice, kind } = notification;
  const resolved = kind === 'resolve';
  const prefix = `${notice.drill ? 'DRILL: ' : ''}${resolved ? 'RESOLVED: ' : ''}`;
  const headline = `${prefix}[${notice.severity.toUpperCase()}] ${notice.title}`;
  const fields: MessageField[] = [
    { label: 'Severity', value: notice.severity },
    { label: 'State', value: notice.state },
    { label: 'Classification', value: notice.classification ?? 'not classified' },
    { label: 'Assignee', value: notice.assignee ?? 'unassigned' },
    ...(notice.oncall === null ? [] : [{ label: 'On call', value: notice.oncall }]),
    { label: 'Entities', value: entitiesText(notice.entities) },
    { label: 'First seen', value: timeText(notice.firstSeen) },
    { label: 'Last seen', value: timeText(notice.lastSeen) },
    { label: 'Alerts', value: String(notice.alertCount) },
    { label: 'Top rules', value: rulesText(notice.rules) },
    { label: 'Escalation level', value: String(notice.escalationLevel) },
    { label: 'Case', value: notice.caseId },
  ];
  const status = statusText(kind, notice);
  const text = [
    headline,
    status,
    '',
    ...fields.map((f) => `${f.label}: ${f.value}`),
    '',
    notice.summary,
    ...(notice.link === null ? [] : ['', notice.link]),
  ].join('\n');
  return { kind, headline, status, fields, summary: notice.summary, link: notice.link, text, tone: toneOf(notice, resolved), drill: notice.drill === true };
}

function statusText(kind: NotificationKind, notice: CaseNotice): string {
  switch (kind) {
    case 'open':
      return notice.drill ? 'New case (drill: an exercise, no action needed on real systems)' : 'New case';
    case 'update':
      return `Case updated: ${notice.state}, ${notice.alertCount} alerts`;
    case 'escalate':
      return `Escalated to level ${notice.escalationLevel}: not acknowledged yet`;
    case 'reminder':
      return `Reminder: still ${notice.state}`;
    case 'resolve':
      return `Resolved${notice.assignee === null ? '' : ` by ${notice.assignee}`}`;
  }
}

function toneOf(notice: CaseNotice, resolved: boolean): CaseMessage['tone'] {
  if (resolved) return 'good';
  if (notice.severity === 'critical' || notice.severity === 'high') return 'danger';
  return notice.severity === 'medium' ? 'warning' : 'neutral';
}

/** `host: web-1, web-2; user: alice` in key order, so the same notice always reads the same. */
export function entitiesText(entities: CaseNotice['entities']): string {
  const kinds = Object.keys(entities).sort();
  if (kinds.length === 0) return 'none';
  return kinds
    .map((kind) => {
      const values = entities[kind]!;
      const shown = values.slice(0, MAX_ENTITY_VALUES).join(', ');
      return `${kind}: ${shown}${values.length > MAX_ENTITY_VALUES ? ` (+${values.length - MAX_ENTITY_VALUES} more)` : ''}`;
    })
    .join('; ');
}

/** `auth-brute-force (12), recon-scan (3)`, in the notice's order (most alerts first). */
export function rulesText(rules: CaseNotice['rules']): string {
  if (rules.length === 0) return 'none';
  const shown = rules.slice(0, MAX_RULES).map((r) => `${r.id} (${r.alerts})`);
  return `${shown.join(', ')}${rules.length > MAX_RULES ? ` (+${rules.length - MAX_RULES} more)` : ''}`;
}

/** `2026-11-07 10:00:00 UTC`: one unambiguous zone for everyone reading the message. */
export function timeText(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Cuts text to `max` characters, marking the cut with an ellipsis (vendors refuse longer fields). */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  // Never leave half of a surrogate pair (an emoji) at the cut.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
