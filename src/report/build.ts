import type { Ledger } from '../ledger/ledger.js';
import { hourBucketMs, verdictCountsOf, type DecisionCount, type ReportIncident, type TuningChange } from '../ledger/records.js';
import { round } from '../tune/format.js';
import { Report, type ChangeSection, type DaySection, type EffectWindow, type NoisyKey, type RuleSection } from './report.js';

const DAY_MS = 86_400_000;
/** The longest before/after window of a tuning change's measured effect. */
const EFFECT_WINDOW_MS = 7 * DAY_MS;

export interface ReportOptions {
  /** The period, event time, both ends included. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Analyst minutes one reviewed incident costs. */
  readonly minutesPerIncident: number;
  /** How many signatures and entities per rule. */
  readonly top: number;
}

/** What the report is computed from: everything the ledger holds between the period (and the change windows). */
export interface ReportData {
  readonly incidents: readonly ReportIncident[];
  readonly counts: readonly DecisionCount[];
  /** Every tuning change in the ledger; the report keeps those applied in the period. */
  readonly changes: readonly TuningChange[];
}

/** Reads the ledger and builds the report: the same ledger and options give the same report. */
export async function buildReport(ledger: Ledger, options: ReportOptions): Promise<Report> {
  const changes = (await ledger.tuningChanges()).filter((c) => inPeriod(Date.parse(c.appliedAt), options));
  // A change's "before" window can start before the period: read back far enough for it.
  const fromMs = Math.min(options.fromMs, ...changes.map((c) => Date.parse(c.appliedAt) - effectWindowMs(c, options)));
  return reportOf(
    { incidents: await ledger.reportIncidents(fromMs, options.toMs), counts: await ledger.decisionCountsBetween(fromMs, options.toMs), changes },
    options,
  );
}

/** The report from what was read: pure. */
export function reportOf(data: ReportData, options: ReportOptions): Report {
  const incidents = data.incidents.filter((i) => inPeriod(firstSeenMs(i), options));
  const counts = data.counts.filter((c) => c.bucketMs >= hourBucketMs(options.fromMs) && c.bucketMs <= options.toMs);
  const ruleIds = [...new Set([...incidents.map((i) => i.record.ruleId), ...counts.filter((c) => c.ruleId !== '').map((c) => c.ruleId)])].sort();
  return Report.parse({
    period: { from: iso(options.fromMs), to: iso(options.toMs), days: round((options.toMs - options.fromMs) / DAY_MS, 2) },
    minutesPerIncident: options.minutesPerIncident,
    top: options.top,
    totals: { ...decisionsOf(counts), passed: sumOf(counts, 'pass'), ...verdictsOf(incidents), ...triageOf(incidents, options.minutesPerIncident) },
    rules: ruleIds.map((ruleId) => ruleSection(ruleId, incidents, counts, options)),
    days: daysOf(options).map((day) => daySection(day, incidents, counts)),
    tuningChanges: data.changes
      .filter((c) => inPeriod(Date.parse(c.appliedAt), options))
      .map((c) => changeSection(c, data, options)),
  });
}

function ruleSection(ruleId: string, all: readonly ReportIncident[], allCounts: readonly DecisionCount[], options: ReportOptions): RuleSection {
  const incidents = all.filter((i) => i.record.ruleId === ruleId);
  const counts = allCounts.filter((c) => c.ruleId === ruleId);
  return {
    ruleId,
    ...decisionsOf(counts),
    ...verdictsOf(incidents),
    ...triageOf(incidents, options.minutesPerIncident),
    signatures: noisiest(incidents, signaturesOf, options.top),
    entities: noisiest(incidents, entitiesOf, options.top),
  };
}

function daySection(day: number, all: readonly ReportIncident[], allCounts: readonly DecisionCount[]): DaySection {
  const inDay = (ms: number) => ms >= day && ms < day + DAY_MS;
  const counts = allCounts.filter((c) => inDay(c.bucketMs));
  const decisions = decisionsOf(counts);
  const passed = sumOf(counts, 'pass');
  return {
    day: iso(day).slice(0, 10),
    alerts: decisions.alertsMatched + passed,
    passed,
    ...decisions,
    ...verdictsOf(all.filter((i) => inDay(firstSeenMs(i)))),
  };
}

/**
 * A change's measured effect: its rule's record in two windows of equal length either side of the
 * moment it was applied, as long as the time since the change (to the period's end) allows, at most
 * 7 days. What it does not control for: the alerts themselves changing between the windows.
 */
function changeSection(change: TuningChange, data: ReportData, options: ReportOptions): ChangeSection {
  const at = Date.parse(change.appliedAt);
  const length = effectWindowMs(change, options);
  // Before: [at − length, at); after: [at, at + length], which ends at the period's last moment at most.
  const window = (fromMs: number, toMs: number, endIncluded: boolean): EffectWindow => {
    const within = (ms: number) => ms >= fromMs && (endIncluded ? ms <= toMs : ms < toMs);
    const incidents = data.incidents.filter((i) => i.record.ruleId === change.ruleId && within(firstSeenMs(i)));
    // Decisions are counted per hour: a window takes the hours that start in it, its start rounded down to the hour.
    const counts = data.counts.filter((c) => c.ruleId === change.ruleId && c.bucketMs >= hourBucketMs(fromMs) && (endIncluded ? c.bucketMs <= toMs : c.bucketMs < hourBucketMs(toMs)));
    const days = (toMs - fromMs) / DAY_MS;
    return {
      from: iso(fromMs),
      to: iso(toMs),
      alertsMatched: decisionsOf(counts).alertsMatched,
      ...verdictsOf(incidents),
      incidentsPerDay: days > 0 ? round(incidents.length / days, 2) : 0,
    };
  };
  return {
    id: change.id,
    ruleId: change.ruleId,
    param: change.param,
    from: change.from,
    to: change.to,
    appliedAt: change.appliedAt,
    author: change.author,
    revertedAt: change.reverted?.at ?? null,
    windowDays: round(length / DAY_MS, 2),
    before: window(at - length, at, false),
    after: window(at, at + length, true),
    predicted: predictionOf(change.evidence),
  };
}

function predictionOf(evidence: Readonly<Record<string, unknown>>): ChangeSection['predicted'] {
  const keys = ['falsePositiveRemoved', 'falsePositiveTotal', 'truePositiveKept', 'truePositiveTotal', 'incidentsPerDayBefore', 'incidentsPerDayAfter'] as const;
  if (!keys.every((k) => typeof evidence[k] === 'number')) return null;
  return Object.fromEntries(keys.map((k) => [k, evidence[k]])) as NonNullable<ChangeSection['predicted']>;
}

const effectWindowMs = (change: TuningChange, options: ReportOptions) => Math.max(0, Math.min(EFFECT_WINDOW_MS, options.toMs - Date.parse(change.appliedAt)));

function decisionsOf(counts: readonly DecisionCount[]) {
  const promoted = sumOf(counts, 'promote');
  const suppressed = sumOf(counts, 'suppress');
  return { alertsMatched: promoted + suppressed, promoted, suppressed };
}

function sumOf(counts: readonly DecisionCount[], decision: DecisionCount['decision']): number {
  return counts.reduce((n, c) => (c.decision === decision ? n + c.count : n), 0);
}

function verdictsOf(incidents: readonly ReportIncident[]) {
  const counts = verdictCountsOf(incidents);
  const reviewed = counts.truePositive + counts.benignPositive + counts.falsePositive;
  return { ...counts, falsePositiveRate: reviewed > 0 ? round(counts.falsePositive / reviewed, 4) : null };
}

function triageOf(incidents: readonly ReportIncident[], minutesPerIncident: number) {
  const reviewed = incidents.filter((i) => i.verdict !== null).length;
  const fp = incidents.filter((i) => i.verdict === 'false_positive').length;
  // A verdict back-dated before the incident's first alert counts as immediate.
  const waits = incidents.flatMap((i) => (i.firstFeedbackMs === undefined ? [] : [Math.max(0, i.firstFeedbackMs - firstSeenMs(i)) / 60_000]));
  return {
    medianMinutesToFeedback: waits.length > 0 ? round(median(waits), 1) : null,
    analystMinutes: round(reviewed * minutesPerIncident, 1),
    falsePositiveMinutes: round(fp * minutesPerIncident, 1),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The signature of an incident: the name of the alert that opened it, else its group key's `name`. */
function signaturesOf(incident: ReportIncident): string[] {
  const name = incident.openingAlert?.name ?? incident.record.groupKey.name;
  return name === undefined ? [] : [name];
}

/** The entities of an incident: its opening alert's and those it is grouped by, as `kind=value`. */
function entitiesOf(incident: ReportIncident): string[] {
  const grouped = Object.entries(incident.record.groupKey).flatMap(([path, value]) => (path.startsWith('entities.') ? [`${path.slice(9)}=${value}`] : []));
  const opening = Object.entries(incident.openingAlert?.entities ?? {}).map(([kind, value]) => `${kind}=${value}`);
  return [...new Set([...grouped, ...opening])];
}

/** The `top` keys in the most incidents (then alerts, then key). */
function noisiest(incidents: readonly ReportIncident[], keysOf: (i: ReportIncident) => string[], top: number): NoisyKey[] {
  const tally = new Map<string, NoisyKey>();
  for (const incident of incidents) {
    for (const key of keysOf(incident)) {
      const t = tally.get(key) ?? { key, incidents: 0, alerts: 0, falsePositive: 0 };
      tally.set(key, {
        key,
        incidents: t.incidents + 1,
        alerts: t.alerts + incident.record.alertCount,
        falsePositive: t.falsePositive + (incident.verdict === 'false_positive' ? 1 : 0),
      });
    }
  }
  return [...tally.values()].sort((a, b) => b.incidents - a.incidents || b.alerts - a.alerts || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, top);
}

/** Every UTC day the period touches, as the epoch ms of its midnight. */
function daysOf(options: ReportOptions): number[] {
  const days: number[] = [];
  for (let day = Math.floor(options.fromMs / DAY_MS) * DAY_MS; day <= options.toMs; day += DAY_MS) days.push(day);
  return days;
}

const inPeriod = (ms: number, options: ReportOptions) => ms >= options.fromMs && ms <= options.toMs;
const firstSeenMs = (i: ReportIncident) => Date.parse(i.record.firstSeen);
const iso = (ms: number) => new Date(ms).toISOString();
