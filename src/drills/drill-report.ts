import { z } from 'zod';
import { markdownText } from '../report/markdown.js';
import { terminalText } from '../report/text.js';

/** One expectation of the drill and how it went. */
export const ExpectationResult = z.object({ expectation: z.string(), passed: z.boolean(), detail: z.string() }).strict();
export type ExpectationResult = z.infer<typeof ExpectationResult>;

/** Who was told about a case, when (minutes after it opened), at which level. */
const Told = z.object({ receiver: z.string(), kind: z.string(), level: z.number().int(), at: z.iso.datetime(), afterMinutes: z.number() }).strict();

/** What `alertgate drill` prints with --format json (the drill report; docs/drills.md). */
export const DrillReport = z
  .object({
    drill: z.string(),
    file: z.string(),
    description: z.string().nullable(),
    /** Every expectation held and every action could be taken. */
    passed: z.boolean(),
    /** The simulated clock: the first alert's event time to where it stopped. */
    simulated: z.object({ from: z.iso.datetime(), to: z.iso.datetime(), hours: z.number() }).strict(),
    alerts: z.object({ total: z.number().int(), promoted: z.number().int(), suppressed: z.number().int(), passed: z.number().int(), invalid: z.number().int() }).strict(),
    cases: z.array(
      z
        .object({
          n: z.number().int(),
          id: z.string(),
          title: z.string(),
          severity: z.string(),
          classification: z.string(),
          policy: z.string().nullable(),
          openedAt: z.iso.datetime(),
          rules: z.array(z.string()),
          told: z.array(Told),
          obligations: z.array(z.object({ name: z.string(), startedAt: z.iso.datetime(), dueAt: z.iso.datetime(), status: z.string() }).strict()),
        })
        .strict(),
    ),
    actions: z.array(z.object({ at: z.iso.datetime(), ok: z.boolean(), detail: z.string() }).strict()),
    expectations: z.array(ExpectationResult),
    /** What the response would lack in earnest: nobody told, receivers not configured, deadlines missed. */
    gaps: z.array(z.string()),
  })
  .strict();
export type DrillReport = z.infer<typeof DrillReport>;

export const DRILL_FORMATS = ['text', 'md', 'json'] as const;
export type DrillFormat = (typeof DRILL_FORMATS)[number];

const minutes = (m: number) => (m < 60 ? `${Math.round(m)}m` : `${Math.floor(m / 60)}h${Math.round(m % 60) > 0 ? `${Math.round(m % 60)}m` : ''}`);
const when = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;

export function renderDrillReport(report: DrillReport, format: DrillFormat): string {
  if (format === 'json') return `${JSON.stringify(report)}\n`;
  return format === 'md' ? renderMarkdown(report) : renderText(report);
}

/** For the terminal: alert-controlled text (case titles) with its control characters shown. */
function renderText(r: DrillReport): string {
  const failed = r.expectations.filter((e) => !e.passed).length;
  const lines = [
    `drill ${r.drill}: ${r.passed ? 'PASSED' : 'FAILED'} — ${r.expectations.length} expectations, ${failed} failed; ${r.gaps.length} gap${r.gaps.length === 1 ? '' : 's'}`,
    `  simulated ${when(r.simulated.from)} … ${when(r.simulated.to)} (${r.simulated.hours} h); alerts ${r.alerts.total}: ${r.alerts.promoted} promoted, ${r.alerts.suppressed} suppressed, ${r.alerts.passed} passed, ${r.alerts.invalid} invalid`,
    '',
    `cases: ${r.cases.length === 0 ? 'none' : ''}`,
    ...r.cases.flatMap((c) => [
      `  ${c.n}. ${c.severity} ${c.classification}  ${terminalText(c.title)}  [${c.rules.join(', ')}]  policy ${c.policy ?? '(none)'}`,
      ...c.told.map((t) => `       +${minutes(t.afterMinutes).padEnd(6)} ${t.kind.padEnd(8)} → ${t.receiver} (level ${t.level})`),
      ...c.obligations.map((o) => `       obligation ${o.name}: started ${when(o.startedAt)}, due ${when(o.dueAt)}, ${o.status}`),
    ]),
    ...(r.actions.length > 0 ? ['', 'actions:', ...r.actions.map((a) => `  ${a.ok ? '✓' : '✗'} ${when(a.at)}  ${a.detail}`)] : []),
    '',
    'expectations:',
    ...r.expectations.map((e) => `  ${e.passed ? '✓' : '✗'} ${e.expectation}${e.passed ? '' : `: ${e.detail}`}`),
    '',
    `gaps:${r.gaps.length === 0 ? ' none found' : ''}`,
    ...r.gaps.map((g) => `  - ${terminalText(g)}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** For the tabletop notes: headings, a table per case, checkboxes; alert-controlled text escaped. */
function renderMarkdown(r: DrillReport): string {
  const t = markdownText;
  const out = [
    `## Drill ${t(r.drill)}: ${r.passed ? 'passed' : '**failed**'}`,
    '',
    ...(r.description ? [t(r.description), ''] : []),
    `Simulated ${when(r.simulated.from)} to ${when(r.simulated.to)} (${r.simulated.hours} h). Alerts: ${r.alerts.total} (${r.alerts.promoted} promoted, ${r.alerts.suppressed} suppressed, ${r.alerts.passed} passed, ${r.alerts.invalid} invalid).`,
    '',
    '### Cases',
    '',
    ...(r.cases.length === 0 ? ['none', ''] : []),
    ...r.cases.flatMap((c) => [
      `#### ${c.n}. ${t(c.severity)} ${t(c.classification)}: ${t(c.title)}`,
      '',
      `Rules: ${c.rules.map(t).join(', ')}; escalation policy: ${c.policy === null ? 'none' : t(c.policy)}; opened ${when(c.openedAt)}.`,
      '',
      '| after | kind | receiver | level |',
      '|---|---|---|---|',
      ...c.told.map((x) => `| +${minutes(x.afterMinutes)} | ${x.kind} | ${t(x.receiver)} | ${x.level} |`),
      '',
      ...(c.obligations.length > 0 ? ['| obligation | started | due | status |', '|---|---|---|---|', ...c.obligations.map((o) => `| ${t(o.name)} | ${when(o.startedAt)} | ${when(o.dueAt)} | ${o.status} |`), ''] : []),
    ]),
    ...(r.actions.length > 0 ? ['### Actions', '', ...r.actions.map((a) => `- ${a.ok ? '' : '**not taken** '}${when(a.at)}: ${t(a.detail)}`), ''] : []),
    '### Expectations',
    '',
    ...r.expectations.map((e) => `- [${e.passed ? 'x' : ' '}] ${t(e.expectation)}${e.passed ? '' : ` — ${t(e.detail)}`}`),
    '',
    '### Gaps',
    '',
    ...(r.gaps.length === 0 ? ['none found'] : r.gaps.map((g) => `- ${t(g)}`)),
    '',
    '### Notes',
    '',
    '- What was gathered first:',
    '- How it was categorised:',
    '- Follow-ups:',
    '',
  ];
  return out.join('\n');
}
