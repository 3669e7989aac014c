import type { TuningChange } from '../ledger/records.js';
import type { ExceptionProposal, PipelineEvidence, Portability, TuneReport } from './report.js';

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
    ...(report.mode === 'pipeline' && p.pipeline
      ? [`${p.pipeline.falsePositiveBefore} → ${p.pipeline.falsePositiveAfter}`, `${p.pipeline.truePositiveSurvived} of ${p.pipeline.truePositiveTotal}`, `${p.pipeline.incidentsBefore} → ${p.pipeline.incidentsAfter}`]
      : []),
    scope(p.portability),
  ]);
}

const PROPOSAL_HEAD = ['rule', 'param', 'old → new', 'FP incidents removed', 'TP kept', 'incidents/day before → after'] as const;
/** Pipeline mode: what the whole-pipeline check found, every rule counted. */
const PIPELINE_HEAD = ['all rules: FP incidents', 'TP survived', 'incidents'] as const;

/** How a proposal's portability reads: does it carry over to another network (docs/tuning.md, "Network-tied or carries over")? */
export const scope = (p: Portability) => (p === 'carries-over' ? 'carries over' : 'network-tied');

/** An exception's match in one line: `name: X, host: Y`. */
const matchText = (m: ExceptionProposal['match']) => [...(m.name !== undefined ? [`name: ${m.name}`] : []), ...Object.entries(m.entities ?? {}).map(([k, v]) => `${k}: ${v}`)].join(', ');

/** The comment above an exception proposal: whether it carries over, and what it was checked against. */
function exceptionComment(e: ExceptionProposal): string {
  const { alerts, unknownAlerts, complete } = e.guardCheck;
  const checked = `checked against ${alerts} alert${alerts === 1 ? '' : 's'} of true- and benign-positive incidents`;
  const more = complete ? '' : `, ${unknownAlerts} more not known without --replay: incomplete`;
  const pipeline = e.pipeline ? `; across the pipeline FP incidents ${e.pipeline.falsePositiveBefore} → ${e.pipeline.falsePositiveAfter}, TP survived ${e.pipeline.truePositiveSurvived} of ${e.pipeline.truePositiveTotal}` : '';
  return `# ${scope(e.portability)}; ${checked}${more}${pipeline}`;
}

/**
 * Why the tuner has nothing to go on, when that is why it proposes nothing: no incidents in the
 * period, no verdicts, or fewer verdicts per rule than a change needs, with the numbers and what to
 * change. Undefined when the evidence is there (the notes then say why each param stays).
 */
export function nothingToTune(report: TuneReport): string | undefined {
  if (report.proposals.length + report.disable.length + report.joint.length + report.windows.length > 0) return undefined;
  const { period, guardrails, rules } = report;
  if (rules.length === 0) {
    return period.to === null
      ? 'nothing to tune: the ledger has no incidents (record some: alertgate replay --db, or a worker with ledger.url)'
      : `nothing to tune: no incidents of a promote rule first seen from ${period.from ?? 'the start'} to ${period.to} (--since widens the period)`;
  }
  const verdicts = rules.map((r) => ({ ruleId: r.ruleId, n: r.truePositive + r.benignPositive + r.falsePositive }));
  const incidents = rules.reduce((sum, r) => sum + r.incidents, 0);
  if (verdicts.every((v) => v.n === 0)) {
    return `nothing to tune: ${incidents} incidents in the period, none with a verdict (give verdicts: alertgate feedback, feedback import, or POST /incidents/:id/feedback)`;
  }
  if (verdicts.every((v) => v.n < guardrails.minVerdicts)) {
    const most = verdicts.reduce((a, b) => (b.n > a.n ? b : a));
    return (
      `nothing to tune: too few verdicts per rule; a rule needs ${guardrails.minVerdicts} (--min-verdicts, tuning.minVerdicts) ` +
      `and the most any has is ${most.n} (${most.ruleId}): ${verdicts.map((v) => `${v.ruleId} ${v.n}`).join(', ')}`
    );
  }
  return undefined;
}

/** The report for people: per-rule evidence, the proposals (or what was applied), notes and exception proposals. */
export function formatReport(report: TuneReport, format: 'text' | 'md', applied?: readonly TuningChange[]): string {
  const h = (title: string) => (format === 'md' ? `### ${title}` : `${title}:`);
  const out: string[] = [];
  const period = report.period.from ? `${report.period.from} … ${report.period.to}` : `… ${report.period.to ?? ''}`;
  out.push(
    `${report.mode === 'pipeline' ? 'whole pipeline (the stored alerts re-run with every rule)' : 'per-rule forecast (recorded facts; --replay checks across the whole pipeline)'} over ${period} (${report.period.days} days); ` +
      `guardrails: min recall ${report.guardrails.minRecall}, max step ${report.guardrails.maxStep}, min verdicts ${report.guardrails.minVerdicts}` +
      (report.runs ? `; runs of the whole pipeline: ${report.runs.whole} whole, ${report.runs.fromRecord} decided from the record` : ''),
  );
  const nothing = nothingToTune(report);
  if (nothing !== undefined) out.push('', nothing);
  // Without incidents there is no table to show, only that.
  if (report.rules.length === 0) return `${out.join('\n')}\n`;
  out.push(
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
  const head = [...PROPOSAL_HEAD, ...(report.mode === 'pipeline' ? PIPELINE_HEAD : []), 'scope'];
  out.push(report.proposals.length === 0 ? 'none' : table(format, head, proposalRows(report)));
  if (report.refused.length > 0) {
    out.push('', h('refused by the whole-pipeline check'));
    out.push(
      table(
        format,
        ['rule', 'param', 'values tried', 'FP incidents before → after', 'TP survived', 'incidents before → after', 'why'],
        report.refused.map((r) => [r.ruleId, r.param, `${r.from} → ${r.tried.join(', ')}`, `${r.pipeline.falsePositiveBefore} → ${r.pipeline.falsePositiveAfter}`, `${r.pipeline.truePositiveSurvived} of ${r.pipeline.truePositiveTotal}`, `${r.pipeline.incidentsBefore} → ${r.pipeline.incidentsAfter}`, r.reason]),
      ),
    );
  }
  if (report.joint.length > 0) {
    out.push('', h(applied ? 'joint changes applied' : 'joint changes (two params of one rule together; --apply writes them)'));
    out.push(
      table(
        format,
        ['rule', 'params', 'old → new', ...PIPELINE_HEAD, 'scope'],
        report.joint.map((j) => [j.ruleId, j.changes.map((c) => c.param).join(' + '), j.changes.map((c) => `${c.from} → ${c.to}`).join(', '), `${j.pipeline.falsePositiveBefore} → ${j.pipeline.falsePositiveAfter}`, `${j.pipeline.truePositiveSurvived} of ${j.pipeline.truePositiveTotal}`, `${j.pipeline.incidentsBefore} → ${j.pipeline.incidentsAfter}`, scope(j.portability)]),
      ),
    );
  }
  if (report.refusedJoint.length > 0) {
    out.push('', h('pairs of params refused by the whole-pipeline check'));
    out.push(...report.refusedJoint.map((r) => `${format === 'md' ? '- ' : '  '}${r.ruleId} (tried ${r.tried.map((pair) => pair.map(([param, value]) => `${param}=${value}`).join(' ')).join('; ')}): ${r.reason}`));
  }
  if (report.windows.length > 0) {
    out.push('', h(applied ? 'windows shrunk' : 'smaller windows (--apply writes them)'));
    out.push(
      table(
        format,
        ['rule', 'window.size', ...PIPELINE_HEAD, 'scope'],
        report.windows.map((w) => [w.ruleId, `${w.from} → ${w.to}`, `${w.pipeline.falsePositiveBefore} → ${w.pipeline.falsePositiveAfter}`, `${w.pipeline.truePositiveSurvived} of ${w.pipeline.truePositiveTotal}`, `${w.pipeline.incidentsBefore} → ${w.pipeline.incidentsAfter}`, scope(w.portability)]),
      ),
    );
  }
  if (report.refusedWindows.length > 0) {
    out.push('', h('smaller windows refused by the whole-pipeline check'));
    out.push(...report.refusedWindows.map((r) => `${format === 'md' ? '- ' : '  '}${r.ruleId} (window ${r.from} → ${r.tried.join(', ')}): ${r.reason}`));
  }
  if (report.disable.length > 0) {
    out.push('', h(applied ? 'disabled (enabled: false)' : 'rules to disable (enabled: false; --apply writes it)'));
    const pipeline = (p: PipelineEvidence | undefined) => (p ? [`${p.falsePositiveBefore} → ${p.falsePositiveAfter}`, `${p.truePositiveSurvived} of ${p.truePositiveTotal}`, `${p.incidentsBefore} → ${p.incidentsAfter}`] : []);
    out.push(
      table(
        format,
        ['rule', 'precision', 'TP', 'FP', 'BP', ...(report.mode === 'pipeline' ? PIPELINE_HEAD : []), 'scope'],
        report.disable.map((d) => [d.ruleId, pct(d.precision), String(d.truePositive), String(d.falsePositive), String(d.benignPositive), ...pipeline(d.pipeline), scope(d.portability)]),
      ),
    );
  }
  if (report.refusedDisable.length > 0) {
    out.push('', h(`below the precision bound (${pct(report.guardrails.disableBelowPrecision)}) but not disabled`));
    out.push(...report.refusedDisable.map((r) => `${format === 'md' ? '- ' : '  '}${r.ruleId} (precision ${pct(r.precision)}): ${r.reason}`));
  }
  for (const change of applied ?? []) out.push(`${format === 'md' ? '- ' : '  '}${change.id}: ${change.file} version ${change.versionBefore} → ${change.versionAfter} (undo: alertgate tune --revert ${change.id})`);
  const notes = report.rules.flatMap((r) => [
    ...(r.note ? [`${r.ruleId}: ${r.note}`] : []),
    ...r.params.filter((p) => p.note).map((p) => `${r.ruleId}.${p.param}: ${p.note}`),
  ]);
  if (notes.length > 0) out.push('', h('notes'), ...notes.map((n) => `${format === 'md' ? '- ' : '  '}${n}`));
  const { routine } = report;
  if (routine) {
    const p = routine.pipeline;
    const found = `all rules: FP incidents ${p.falsePositiveBefore} → ${p.falsePositiveAfter}, TP survived ${p.truePositiveSurvived} of ${p.truePositiveTotal}, incidents ${p.incidentsBefore} → ${p.incidentsAfter}`;
    out.push('', h(`routine signatures (${routine.signatures.length}, ${scope(routine.portability)}; suppressed, across the pipeline: ${found}${routine.accepted ? '' : `; refused: ${routine.reason}`})`));
    if (routine.guarded.length > 0) out.push(`${format === 'md' ? '' : '  '}left out, among the alerts of a confirmed true positive: ${routine.guarded.join('; ')}`);
    if (routine.accepted) out.push(format === 'md' ? `\`\`\`yaml\n${routine.yaml.trimEnd()}\n\`\`\`` : routine.yaml.trimEnd().replace(/^/gm, '  '));
  }
  if (report.exceptions.length > 0) {
    out.push('', h(`proposed exceptions (review, then add to the rules directory: an exception silences its alerts for every rule)`));
    // One YAML stream, each exception its own document: copied as it is, it is a valid rules file.
    const documents = report.exceptions.map((e) => `---\n${exceptionComment(e)}\n${e.yaml.trimEnd()}`).join('\n');
    out.push(format === 'md' ? `\`\`\`yaml\n${documents}\n\`\`\`` : documents.replace(/^/gm, '  '));
  }
  if (report.refusedExceptions.length > 0) {
    out.push('', h('refused exceptions'));
    out.push(table(format, ['id', 'scope', 'match', 'why'], report.refusedExceptions.map((r) => [r.id, scope(r.portability), matchText(r.match), r.reason])).replace(/^/gm, format === 'md' ? '' : '  '));
  }
  return `${out.join('\n')}\n`;
}
