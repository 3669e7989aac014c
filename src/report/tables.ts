import { pct } from '../tune/format.js';
import type { Report } from './report.js';

/** One table of the report, as cells: every format renders the same tables. */
export interface Table {
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** Minutes for people: `42 min`, `3.5 h`; `-` when unknown. */
export function duration(minutes: number | null): string {
  if (minutes === null) return '-';
  return minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
}

const n = (value: number) => String(value);

type Counted = Report['days'][number] | Report['rules'][number];

/** The columns every table of decisions and incidents has, in order: matched … unreviewed. */
const COUNT_HEAD = ['matched', 'promoted', 'suppressed', 'incidents', 'TP', 'BP', 'FP', 'unreviewed'] as const;
const countCells = (c: Counted) => [c.alertsMatched, c.promoted, c.suppressed, c.incidents, c.truePositive, c.benignPositive, c.falsePositive, c.unreviewed].map(n);

/** The line above the tables: the period and the totals. */
export function headline(report: Report): string {
  const t = report.totals;
  return (
    `${report.period.from} … ${report.period.to} (${report.period.days} days, event time): ` +
    `${t.alertsMatched + t.passed} alerts, ${t.alertsMatched} matched by a rule (${t.promoted} promoted, ${t.suppressed} suppressed), ` +
    `${t.incidents} incidents (TP ${t.truePositive}, BP ${t.benignPositive}, FP ${t.falsePositive}, unreviewed ${t.unreviewed}); ` +
    `precision ${pct(t.precision)}, FP rate ${pct(t.falsePositiveRate)}, median time to feedback ${duration(t.medianMinutesToFeedback)}; ` +
    `analyst time ${duration(t.analystMinutes)} at ${report.minutesPerIncident} min per reviewed incident, ${duration(t.falsePositiveMinutes)} of it on false positives`
  );
}

function ruleTable(report: Report): Table {
  return {
    title: 'Rules',
    head: ['rule', ...COUNT_HEAD, 'precision', 'FP rate', 'median to feedback', 'analyst time', 'on FP'],
    rows: report.rules.map((r) => [
      r.ruleId,
      ...countCells(r),
      pct(r.precision),
      pct(r.falsePositiveRate),
      duration(r.medianMinutesToFeedback),
      duration(r.analystMinutes),
      duration(r.falsePositiveMinutes),
    ]),
  };
}

function noiseTable(report: Report): Table {
  return {
    title: `Noisiest signatures and entities (top ${report.top} per rule, by incidents)`,
    head: ['rule', 'kind', 'signature or entity', 'incidents', 'alerts', 'FP'],
    rows: report.rules.flatMap((r) => [
      ...r.signatures.map((k) => [r.ruleId, 'signature', k.key, n(k.incidents), n(k.alerts), n(k.falsePositive)]),
      ...r.entities.map((k) => [r.ruleId, 'entity', k.key, n(k.incidents), n(k.alerts), n(k.falsePositive)]),
    ]),
  };
}

function dayTable(report: Report): Table {
  return {
    title: 'Per day (UTC)',
    head: ['day', 'alerts', ...COUNT_HEAD, 'FP rate'],
    rows: report.days.map((d) => [d.day, n(d.alerts), ...countCells(d), pct(d.falsePositiveRate)]),
  };
}

function changeTable(report: Report): Table {
  return {
    title: 'Tuning changes applied in the period (measured: equal windows before and after)',
    head: ['change', 'rule', 'param', 'applied', 'window', 'incidents/day before → after', 'FP rate before → after', 'TP before → after', 'predicted incidents/day'],
    rows: report.tuningChanges.map((c) => [
      c.id,
      c.ruleId,
      `${c.param} ${c.from} → ${c.to}${c.revertedAt ? ` (reverted ${c.revertedAt})` : ''}`,
      c.appliedAt,
      `${c.windowDays} d`,
      `${c.before.incidentsPerDay} → ${c.after.incidentsPerDay}`,
      `${pct(c.before.falsePositiveRate)} → ${pct(c.after.falsePositiveRate)}`,
      `${c.before.truePositive} → ${c.after.truePositive}`,
      c.predicted ? `${c.predicted.incidentsPerDayBefore} → ${c.predicted.incidentsPerDayAfter}` : '-',
    ]),
  };
}

function caseTable(report: Report): Table {
  const { total, byClassification } = report.cases;
  const cells = (c: Report['cases']['total']) => [
    n(c.cases),
    n(c.acknowledged),
    n(c.resolved),
    n(c.truePositive),
    n(c.benignPositive),
    n(c.falsePositive),
    n(c.unreviewed),
    duration(c.medianMinutesToAcknowledge),
    duration(c.medianMinutesToResolve),
  ];
  return {
    title: 'Cases by classification (one case per attack; time to acknowledge and to resolve, medians)',
    head: ['classification', 'cases', 'acknowledged', 'resolved', 'TP', 'BP', 'FP', 'unreviewed', 'MTTA', 'MTTR'],
    rows: total.cases === 0 ? [] : [...byClassification.map((c) => [c.classification, ...cells(c)]), ['all', ...cells(total)]],
  };
}

function obligationTable(report: Report): Table {
  return {
    title: 'Notification deadlines of these cases (obligations; docs/obligations.md)',
    head: ['case', 'obligation', 'started', 'due', 'status', 'by'],
    rows: report.obligations.map((o) => [o.caseId, o.name, o.startedAt, o.dueAt, `${o.status}${o.late && o.status === 'met' ? ' (late)' : ''}`, o.doneBy ?? '-']),
  };
}

function postmortemTable(report: Report): Table {
  return {
    title: `Open postmortems (cases that need one, not done yet; docs/postmortems.md)${report.openPostmortems.total > report.openPostmortems.cases.length ? `: the oldest ${report.openPostmortems.cases.length} of ${report.openPostmortems.total}` : ''}`,
    head: ['case', 'first seen', 'severity', 'state', 'title'],
    rows: report.openPostmortems.cases.map((p) => [p.caseId, p.firstSeen, p.severity, p.state, p.title]),
  };
}

function drillTable(report: Report): Table {
  return {
    title: 'Drills run (exercises, not counted with the cases; docs/drills.md)',
    head: ['drill', 'run at', 'result', 'failed expectations', 'gaps'],
    rows: report.drills.map((d) => [d.name, d.runAt, d.passed ? 'passed' : 'FAILED', n(d.failures), n(d.gaps)]),
  };
}

/** The tables in the order every format prints them. */
export function tablesOf(report: Report): Table[] {
  return [ruleTable(report), noiseTable(report), dayTable(report), changeTable(report), caseTable(report), obligationTable(report), postmortemTable(report), drillTable(report)];
}
