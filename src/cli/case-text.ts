import type { CaseDetail, CaseSummary, NotificationStatus } from '../cases/case-record.js';
import { severityRank } from '../cases/notice.js';
import { formatSpan } from '../obligations/clock.js';
import type { ObligationStatus } from '../obligations/obligation-record.js';
import { table } from '../tune/format.js';

/** `2026-11-20 10:04Z`: minutes are what a person reads a case timeline in. */
function when(iso: string | null): string {
  return iso === null ? '-' : `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

const rulesOf = (c: CaseSummary) => (c.rules.length <= 2 ? c.rules.map((r) => r.id).join(', ') : `${c.rules[0]!.id}, ${c.rules[1]!.id} +${c.rules.length - 2}`);

/** `alertgate incidents list`: one case per line. */
export function formatCaseTable(cases: readonly CaseSummary[]): string {
  if (cases.length === 0) return 'no cases match';
  return table(
    'text',
    ['CASE', 'STATE', 'SEVERITY', 'CLASSIFICATION', 'ASSIGNEE', 'VERDICT', 'FIRST SEEN', 'ALERTS', 'RULES', 'TITLE'],
    cases.map((c) => [
      c.id,
      c.state + (c.detection === 'active' ? '*' : ''),
      c.severity,
      c.classification ?? '-',
      c.assignee ?? '-',
      c.verdict?.replace('_positive', '') ?? '-',
      when(c.firstSeen),
      String(c.alertCount),
      rulesOf(c),
      clip(c.title, 60),
    ]),
  );
}

function notificationLine(n: NotificationStatus): string {
  const status = n.status === 'pending' ? `pending, attempt ${n.attempts + 1} at ${when(n.nextAttemptAt)}` : n.status === 'dead' ? `DEAD after ${n.attempts} attempts` : `delivered ${when(n.deliveredAt)}`;
  return `  ${when(n.createdAt)}  ${n.kind.padEnd(8)} → ${n.receiver}${n.fallbackFor ? ' (fallback)' : ''}  level ${n.escalationLevel}${n.oncall ? `, on call ${n.oncall}` : ''}: ${status}${n.lastError ? ` — ${clip(n.lastError, 120)}` : ''}`;
}

/**
 * Obligations, one per line: status, due time, and how long until (or since) it is due for running and
 * missed ones; who marked it met or waived, and why. `withCase`: the case id first (lists across cases).
 */
export function formatObligations(obligations: readonly ObligationStatus[], nowMs: number, withCase = false): string {
  return obligations
    .map((o) => {
      const left = Date.parse(o.dueAt) - nowMs;
      const status =
        o.status === 'running'
          ? `RUNNING, ${left >= 0 ? `${formatSpan(left)} left` : `${formatSpan(left)} overdue`}`
          : o.status === 'missed'
            ? 'MISSED'
            : `${o.status}${o.late ? ' late' : ''} by ${o.doneBy} ${when(o.doneAt)}${o.note ? ` (${clip(o.note, 80)})` : ''}`;
      return `  ${withCase ? `${o.caseId}  ` : ''}${o.name.padEnd(34)} started ${when(o.startedAt)}  due ${when(o.dueAt)}  ${status}  → ${o.notify.join(', ')}`;
    })
    .join('\n');
}

/** `alertgate incidents show`: the case, its incidents, its timeline and its notifications. */
export function formatCaseDetail(c: CaseDetail, nowMs: number = Date.now()): string {
  const lines = [
    `${c.id}  ${c.title}`,
    `  state ${c.state}${c.assignee ? `, assigned to ${c.assignee}` : ''}; severity ${c.severity}; classification ${c.classification ?? '(none)'} (rule category ${c.category}); verdict ${c.verdict ?? 'unreviewed'}`,
    `  detection ${c.detection === 'active' ? 'active (incidents still open: alerts can join)' : 'quiet (every incident closed)'}; first seen ${when(c.firstSeen)}, last seen ${when(c.lastSeen)}; ${c.alertCount} alerts in ${c.incidentCount} incidents`,
    `  opened ${when(c.openedAt)}; acknowledged ${when(c.acknowledgedAt)}; resolved ${when(c.resolvedAt)}; closed ${when(c.closedAt)}`,
    `  escalation: ${c.escalation.policy ? `policy ${c.escalation.policy}, level ${c.escalation.level}${c.escalation.oncall ? `, on call ${c.escalation.oncall}` : ''}${c.escalation.nextAt ? `, next step ${when(c.escalation.nextAt)} unless acknowledged` : ''}` : 'none'}`,
    `  rules: ${c.rules.map((r) => `${r.id} (${r.alerts})`).join(', ')}`,
    `  entities: ${Object.entries(c.entities).map(([k, v]) => `${k}=${v.join(',')}`).join('  ') || '(none)'}`,
    `  flags: ${c.flags.join(', ') || '(none)'}; postmortem ${c.postmortem.doneAt ? `done ${when(c.postmortem.doneAt)} by ${c.postmortem.doneBy}` : 'not done'}`,
    `  ${c.summary}`,
    '',
    'incidents:',
    ...c.incidents.map((i) => `  ${i.id}  ${i.ruleId} v${i.ruleVersion}  ${i.status.padEnd(6)}  ${i.alertCount} alerts  ${when(i.firstSeen)} … ${when(i.lastSeen)}  verdict ${i.verdict ?? '-'}  ${clip(i.title, 60)}`),
    '',
    'timeline:',
    ...c.timeline.map((e) => `  ${when(e.at)}  ${e.actor.padEnd(16)} ${e.event.padEnd(12)} ${e.from ?? ''}${e.from !== null || e.to !== null ? ' → ' : ''}${e.to ?? ''}${e.note ? `  (${clip(e.note, 140)})` : ''}`),
    '',
    `notifications:${c.notifications.length === 0 ? ' none' : ''}`,
    ...c.notifications.map(notificationLine),
    '',
    `obligations:${c.obligations.length === 0 ? ' none started' : ''}`,
    ...(c.obligations.length === 0 ? [] : [formatObligations(c.obligations, nowMs)]),
  ];
  return lines.join('\n');
}

/**
 * The end of a file run: each case of the run and who was told (or, dry run, would have been paged):
 * the receivers of its first notice and the escalation's state.
 */
export function formatWhoWasTold(cases: readonly CaseDetail[], captureFile: string | undefined): string {
  if (cases.length === 0) return 'cases: none';
  const head = `cases: ${cases.length}; who ${captureFile ? `would have been told (dry run: ${captureFile})` : 'was told'}:`;
  const lines = [...cases]
    .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : 0))
    .map((c) => {
      const told = [...new Set(c.notifications.filter((n) => n.kind === 'open' || n.kind === 'escalate').map((n) => n.receiver))];
      const oncall = c.escalation.oncall ? ` (on call: ${c.escalation.oncall})` : '';
      const deferred = c.timeline.findLast((e) => e.event === 'deferred');
      const who =
        told.length > 0
          ? `→ ${told.join(', ')}${oncall}${c.escalation.nextAt ? `; level ${c.escalation.level + 1} at ${when(c.escalation.nextAt)} unless acknowledged` : ''}`
          : deferred && c.escalation.nextAt
            ? `→ held for quiet hours until ${when(c.escalation.nextAt)}`
            : c.escalation.policy === null && c.timeline.some((e) => e.event === 'policy')
              ? '→ nobody: no escalation policy matches'
              : '→ nobody yet';
      return `  ${c.severity.padEnd(8)} ${c.id}  ${clip(c.title, 56)} [${rulesOf(c)}] ${who}`;
    });
  return [head, ...lines].join('\n');
}
