import type { CaseDetail } from '../cases/case-record.js';
import { categoryOf } from '../cases/classification.js';
import type { LedgerIncident } from '../ledger/records.js';
import { markdownText } from '../report/markdown.js';

/** An incident's opening, as the ledger keeps it (the alert that opened it and the rule's explanation). */
export type Opening = NonNullable<LedgerIncident['opening']>;

interface Moment {
  readonly atMs: number;
  /** Ties in time keep the order they were added in (alerts, then events, then notices). */
  readonly order: number;
  readonly text: string;
}

/** People write the timeline's events (cli:…, api:…); alertgate and delivery do not. */
const byPerson = (actor: string) => actor.startsWith('cli:') || actor.startsWith('api:');

/**
 * A postmortem draft of a case, in markdown, from what the ledger holds (docs/postmortems.md): the
 * summary, the timeline (each incident's first alert and its promotion, every case event, every
 * notification delivered or given up on, each obligation), the rules and alerts involved, the
 * analysts' notes, and blank sections for people to fill in. Every text that comes from alerts or
 * people (titles, entity values, signatures, notes) is escaped: it renders as text, never as markup.
 * Pure: the same case gives the same draft.
 */
export function postmortemDraft(c: CaseDetail, openings: ReadonlyMap<string, Opening>): string {
  const t = markdownText;
  const moments: Moment[] = [];
  const add = (atMs: number, text: string) => moments.push({ atMs, order: moments.length, text });
  for (const i of c.incidents) {
    const opening = openings.get(i.id);
    const first = opening ? `first alert ${t(opening.alertId)}: ${t(opening.alert.name)} (${t(opening.alert.source)}, ${t(opening.alert.severity)})` : `first alert ${t(i.alertIds[0] ?? '(unknown)')}`;
    add(Date.parse(i.firstSeen), `${first}; promoted by rule ${t(i.ruleId)} v${i.ruleVersion}: incident ${t(i.id)} opened (${t(i.severity)})`);
  }
  for (const e of c.timeline) {
    const change = e.from !== null || e.to !== null ? ` ${t(e.from ?? '-')} → ${t(e.to ?? '-')}` : '';
    add(Date.parse(e.at), `${t(e.event)}${change} by ${t(e.actor)}${e.note ? `: ${t(e.note)}` : ''}`);
  }
  for (const n of c.notifications) {
    if (n.status === 'delivered' && n.deliveredAt) add(Date.parse(n.deliveredAt), `told ${t(n.receiver)} (${n.kind}, level ${n.escalationLevel}${n.oncall ? `, on call ${t(n.oncall)}` : ''})`);
    if (n.status === 'dead') add(Date.parse(n.createdAt), `notification to ${t(n.receiver)} (${n.kind}) dead-lettered after ${n.attempts} attempts`);
  }
  for (const o of c.obligations) add(Date.parse(o.dueAt), `obligation ${t(o.name)} due (${o.status}${o.late ? ', late' : ''})`);
  moments.sort((a, b) => a.atMs - b.atMs || a.order - b.order);

  const notes = c.timeline.filter((e) => byPerson(e.actor) && e.note);
  const when = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
  const lines = [
    `# Postmortem: ${t(c.title)}`,
    '',
    `Draft written by alertgate from the ledger; edit it. Case ${t(c.id)}.`,
    '',
    '## Summary',
    '',
    `- Severity: ${t(c.severity)}; classification: ${t(categoryOf(c.classification, c.category))}${c.classification === null ? ' (from the rule; not classified by an analyst)' : ''}; verdict: ${c.verdict ?? 'unreviewed'}`,
    `- State: ${c.state}${c.assignee ? `, assigned to ${t(c.assignee)}` : ''}; flags: ${c.flags.map(t).join(', ') || 'none'}`,
    `- First alert ${when(Date.parse(c.firstSeen))}, last ${when(Date.parse(c.lastSeen))}; ${c.alertCount} alerts in ${c.incidentCount} incident${c.incidentCount === 1 ? '' : 's'}`,
    `- Opened ${c.openedAt}; acknowledged ${c.acknowledgedAt ?? '-'}; resolved ${c.resolvedAt ?? '-'}`,
    `- Entities: ${Object.entries(c.entities).map(([k, v]) => `${t(k)} ${v.map(t).join(', ')}`).join('; ') || 'none'}`,
    `- ${t(c.summary)}`,
    '',
    '## Timeline',
    '',
    'Alerts at their event time; everything else at the wall-clock time alertgate recorded it (UTC).',
    '',
    '| time | what |',
    '|---|---|',
    ...moments.map((m) => `| ${when(m.atMs)} | ${m.text} |`),
    '',
    '## Rules and alerts involved',
    '',
    '| rule | incident | alerts | first seen | last seen | verdict |',
    '|---|---|---|---|---|---|',
    ...c.incidents.map((i) => `| ${t(i.ruleId)} v${i.ruleVersion} | ${t(i.id)} | ${i.alertCount} | ${i.firstSeen} | ${i.lastSeen} | ${i.verdict ?? '-'} |`),
    '',
    ...c.incidents.map((i) => `- ${t(i.id)}: ${i.alertIds.map(t).join(', ')}${i.alertIdsTruncated ? ` (and ${i.alertCount - i.alertIds.length} more)` : ''}`),
    '',
    '## Notification deadlines',
    '',
    ...(c.obligations.length === 0
      ? ['none started']
      : ['| obligation | started | due | status | by | note |', '|---|---|---|---|---|---|', ...c.obligations.map((o) => `| ${t(o.name)} | ${o.startedAt} | ${o.dueAt} | ${o.status}${o.late ? ' (late)' : ''} | ${t(o.doneBy ?? '-')} | ${t(o.note ?? '')} |`)]),
    '',
    '## Analyst notes',
    '',
    ...(notes.length === 0 ? ['none recorded'] : notes.map((e) => `- ${e.at} ${t(e.actor)} (${e.event}): ${t(e.note!)}`)),
    '',
    '## Root cause',
    '',
    '',
    '## What went well',
    '',
    '',
    '## What went wrong',
    '',
    '',
    '## Follow-ups',
    '',
    '- [ ] ',
    '',
  ];
  return lines.join('\n');
}
