import { pct } from '../tune/format.js';
import { escapeHtml, shareBars, shareLine, stackedBars, type Mark } from './charts.js';
import type { Report } from './report.js';
import { duration, tablesOf, type Table } from './tables.js';

const COLORS = {
  passed: '#c9d1d9',
  suppressed: '#8fb3d9',
  promoted: '#1f5fa8',
  truePositive: '#b3261e',
  benignPositive: '#e0a800',
  falsePositive: '#6e7781',
  unreviewed: '#d0d7de',
  line: '#b3261e',
  precision: '#2e7d32',
} as const;

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1f2328; margin: 24px auto; max-width: 1180px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.period { color: #57606a; margin: 0 0 16px; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(118px, 1fr)); gap: 8px; margin: 0; }
.kpis div { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px 10px; }
.kpis dt { color: #57606a; font-size: 12px; } .kpis dd { margin: 0; font-size: 20px; font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 12px; }
figure { margin: 0; } figcaption { color: #57606a; font-size: 12px; text-align: center; }
svg.chart { width: 100%; height: auto; display: block; }
svg .grid { stroke: #eaeef2; stroke-width: 1; } svg .tick, svg .legend { font-size: 12px; fill: #57606a; } svg .muted { font-style: italic; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #eaeef2; padding: 4px 6px; text-align: right; white-space: nowrap; }
th { background: #f6f8fa; font-weight: 600; white-space: normal; vertical-align: bottom; } th:first-child, td:first-child, .text { text-align: left; }
td.text { white-space: normal; }
.note { color: #57606a; font-size: 12px; }
@page { size: A4 landscape; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  table { font-size: 10.5px; } th, td { padding: 3px 4px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; } figure, tr, .kpis div { break-inside: avoid; }
  .charts { grid-template-columns: 1fr 1fr; }
  th { background: #eee; }
}
`;

/** Columns whose cells are words (left-aligned, may wrap) rather than numbers. */
const TEXT_COLUMNS = new Set(['rule', 'kind', 'signature or entity', 'change', 'param', 'applied']);

function tableHtml(t: Table): string {
  if (t.rows.length === 0) return `<h2>${escapeHtml(t.title)}</h2><p class="note">none</p>`;
  const text = t.head.map((h) => TEXT_COLUMNS.has(h));
  const cls = (i: number) => (text[i] && i > 0 ? ' class="text"' : '');
  const head = t.head.map((h, i) => `<th${cls(i)}>${escapeHtml(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<h2>${escapeHtml(t.title)}</h2>\n<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function kpis(report: Report): string {
  const t = report.totals;
  const items: [string, string][] = [
    ['alerts', String(t.alertsMatched + t.passed)],
    ['matched by a rule', String(t.alertsMatched)],
    ['incidents', String(t.incidents)],
    ['precision (TP / TP+FP)', pct(t.precision)],
    ['false-positive rate', pct(t.falsePositiveRate)],
    ['unreviewed', String(t.unreviewed)],
    ['median time to feedback', duration(t.medianMinutesToFeedback)],
    [`analyst time (${report.minutesPerIncident} min each)`, duration(t.analystMinutes)],
    ['of it on false positives', duration(t.falsePositiveMinutes)],
  ];
  return `<dl class="kpis">${items.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>`;
}

/** The tuning changes on the per-day charts: one mark per day with changes, at the start of the day they were applied. */
function changeMarks(report: Report): Mark[] {
  const byDay = new Map<number, number>();
  for (const c of report.tuningChanges) {
    const index = report.days.findIndex((d) => d.day === c.appliedAt.slice(0, 10));
    if (index >= 0) byDay.set(index, (byDay.get(index) ?? 0) + 1);
  }
  return [...byDay].map(([index, n]) => ({ index, label: n === 1 ? 'tuning change' : `${n} tuning changes` }));
}

function charts(report: Report): string {
  const labels = report.days.map((d) => d.day.slice(5));
  const marked = changeMarks(report);
  const series = (name: string, color: string, pick: (d: Report['days'][number]) => number) => ({ name, color, values: report.days.map(pick) });
  return [
    stackedBars('alerts-per-day', 'Alerts per day (UTC)', labels, [
      series('promoted', COLORS.promoted, (d) => d.promoted),
      series('suppressed', COLORS.suppressed, (d) => d.suppressed),
      series('passed', COLORS.passed, (d) => d.passed),
    ], marked),
    stackedBars('incidents-per-day', 'Incidents per day by current verdict', labels, [
      series('TP', COLORS.truePositive, (d) => d.truePositive),
      series('BP', COLORS.benignPositive, (d) => d.benignPositive),
      series('FP', COLORS.falsePositive, (d) => d.falsePositive),
      series('unreviewed', COLORS.unreviewed, (d) => d.unreviewed),
    ], marked),
    shareLine('fp-rate-per-day', 'False-positive rate per day (FP / reviewed incidents)', labels, report.days.map((d) => d.falsePositiveRate), COLORS.line, marked),
    shareBars('precision-per-rule', 'Precision per rule (TP / TP+FP)', report.rules.map((r) => ({ label: r.ruleId, value: r.precision })), COLORS.precision),
  ].join('\n');
}

/** One self-contained page: inline CSS and SVG, nothing loaded from anywhere; prints on A4 landscape. */
export function renderHtml(report: Report): string {
  const period = `${report.period.from} … ${report.period.to} (${report.period.days} days of event time)`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>alertgate report ${escapeHtml(report.period.from.slice(0, 10))} – ${escapeHtml(report.period.to.slice(0, 10))}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>alertgate report</h1>
<p class="period">${escapeHtml(period)}</p>
${kpis(report)}
<h2>Trend</h2>
<div class="charts">
${charts(report)}
</div>
${tablesOf(report).map(tableHtml).join('\n')}
<p class="note">Verdicts are the current ones; incidents count where they were first seen. docs/report.md explains every figure.</p>
</body>
</html>
`;
}
