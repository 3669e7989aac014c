import type { TuningChange } from '../ledger/records.js';
import type { TuneReport } from './report.js';

type Row = readonly string[];

export function table(format: 'text' | 'md', head: Row, rows: readonly Row[]): string {
  if (format === 'md') return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** `n` rounded to `places` decimal places: the precision figures are reported at. */
export function round(n: number, places: number): number {
  const f = 10 ** places;
  return Math.round(n * f) / f;
}

export const pct = (n: number | null) => (n === null ? '-' : `${(n * 100).toFixed(0)}%`);

/** The rows of the proposals table: what `alertgate tune` prints and the README shows. */
function proposalRows(report: TuneReport): Row[] {
  return report.proposals.map((p) => [
    p.ruleId,
    p.param,
    `${p.from} → ${p.to}`,
    `${p.falsePositiveRemoved} of ${p.falsePositiveTotal}`,
    `${p.truePositiveKept} of ${p.truePositiveTotal}`,
    `${p.incidentsPerDayBefore} → ${p.incidentsPerDayAfter}`,
  ]);
}

const PROPOSAL_HEAD = ['rule', 'param', 'old → new', 'FP incidents removed', 'TP kept', 'incidents/day before → after'] as const;

/** The report for people: per-rule evidence, the proposals (or what was applied), notes and exception proposals. */
export function formatReport(report: TuneReport, format: 'text' | 'md', applied?: readonly TuningChange[]): string {
  const h = (title: string) => (format === 'md' ? `### ${title}` : `${title}:`);
  const out: string[] = [];
  const period = report.period.from ? `${report.period.from} … ${report.period.to}` : `… ${report.period.to ?? ''}`;
  out.push(
    `${report.mode === 'replay' ? 'exact (replay of the stored alerts)' : 'counterfactual (recorded facts)'} over ${period} (${report.period.days} days); ` +
      `guardrails: min recall ${report.guardrails.minRecall}, max step ${report.guardrails.maxStep}, min verdicts ${report.guardrails.minVerdicts}`,
    '',
    h('rules'),
    table(
      format,
      ['rule', 'version', 'incidents', 'TP', 'BP', 'FP', 'unreviewed', 'precision', 'incidents/day'],
      report.rules.map((r) => [r.ruleId, String(r.version), String(r.incidents), String(r.truePositive), String(r.benignPositive), String(r.falsePositive), String(r.unreviewed), pct(r.precision), String(r.incidentsPerDay)]),
    ),
    '',
  );
  out.push(h(applied ? `applied (${applied.length})` : 'proposed changes (dry run: --apply writes them)'));
  out.push(report.proposals.length === 0 ? 'none' : table(format, [...PROPOSAL_HEAD], proposalRows(report)));
  for (const change of applied ?? []) out.push(`${format === 'md' ? '- ' : '  '}${change.id}: ${change.file} version ${change.versionBefore} → ${change.versionAfter} (undo: alertgate tune --revert ${change.id})`);
  const notes = report.rules.flatMap((r) => [
    ...(r.note ? [`${r.ruleId}: ${r.note}`] : []),
    ...r.params.filter((p) => p.note).map((p) => `${r.ruleId}.${p.param}: ${p.note}`),
  ]);
  if (notes.length > 0) out.push('', h('notes'), ...notes.map((n) => `${format === 'md' ? '- ' : '  '}${n}`));
  if (report.exceptions.length > 0) {
    out.push('', h(`proposed exceptions (review, then add to the rules directory: an exception silences its alerts for every rule)`));
    for (const e of report.exceptions) {
      out.push(format === 'md' ? `\`\`\`yaml\n${e.yaml.trimEnd()}\n\`\`\`` : e.yaml.trimEnd().replace(/^/gm, '  '));
    }
  }
  return `${out.join('\n')}\n`;
}
