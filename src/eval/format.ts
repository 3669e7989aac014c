import type { EvalReport } from './score.js';

const pct = (share: number) => `${(share * 100).toFixed(1)}%`;

/** The text report: the totals, one line per rule, and the phases no incident covered. */
export function formatEvalText(report: EvalReport): string {
  const { period } = report;
  const lines = [
    `period      ${period.from} → ${period.to} (${period.days} days), ${report.alerts} alerts, ${report.attackAlerts} attack-caused`,
    `incidents   ${report.incidents} (${report.incidentsPerDay}/day), false positive ${report.falsePositiveIncidents} (${report.falsePositivePerDay}/day)`,
    `cases       ${report.cases} (${report.casesPerDay}/day), false positive ${report.falsePositiveCases} (${report.falsePositiveCasesPerDay}/day)`,
    `phases      ${report.phasesCovered} of ${report.phases} covered (${pct(report.phaseCoverage)})`,
    '',
  ];
  const header = ['rule', 'incidents', 'FP', 'incidents/day', 'FP/day', 'phases', 'alerts promoted', 'attack alerts promoted'];
  const rows = report.rules.map((r) => [r.ruleId, r.incidents, r.falsePositiveIncidents, r.incidentsPerDay, r.falsePositivePerDay, r.phasesCovered, r.alertsPromoted, r.attackAlertsPromoted].map(String));
  lines.push(...table(header, rows));
  const missed = report.attacks.flatMap((a) => a.phases.filter((p) => !p.covered).map((p) => `  ${p.id} (${p.title}, ${p.attackAlerts} attack-caused alerts)`));
  if (missed.length > 0) lines.push('', 'phases not covered:', ...missed);
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
