import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Ledger } from '../ledger/ledger.js';
import { hourBucketMs, verdictCountsOf, VerdictTally as LedgerVerdictTally, type DecisionCount, type ReportIncident, type TuningChange } from '../ledger/records.js';
import { round } from '../tune/format.js';
import { POSTMORTEMS_DEFAULTS } from '../config/obligations.js';
import { checkPeriodLength } from './period.js';
import type { ReportCase } from '../ledger/case-store.js';
import { Report, type CaseFigures, type CasesSection, type ChangeSection, type DaySection, type EffectWindow, type NoisyKey, type RuleSection } from './report.js';

const DAY_MS = 86_400_000;
/** The longest before/after window of a tuning change's measured effect. */
const EFFECT_WINDOW_MS = 7 * DAY_MS;
/** Incidents read per query: what a report holds of them at a time. */
const INCIDENT_PAGE_ROWS = 250;
/** Obligations, open postmortems and drills a report lists at most (the oldest, the soonest due). */
const RESPONSE_LIST_ROWS = 100;
/** Decision counts are read a week of hours at a time (at most 168 × rules × 3 rows). */
const COUNT_SLICE_MS = EFFECT_WINDOW_MS;

export interface ReportOptions {
  /** The period, event time, both ends included: at most MAX_PERIOD long (checkPeriodLength). */
  readonly fromMs: number;
  readonly toMs: number;
  /** Analyst minutes one reviewed incident costs. */
  readonly minutesPerIncident: number;
  /** How many signatures and entities per rule. */
  readonly top: number;
  /** Severities whose cases need a postmortem (postmortems.requiredFor; default high and critical). */
  readonly postmortemRequiredFor?: readonly string[] | undefined;
}

/** What the report is computed from: everything the ledger holds between the period (and the change windows). */
export interface ReportData {
  readonly incidents: readonly ReportIncident[];
  readonly counts: readonly DecisionCount[];
  /** Every tuning change in the ledger; the report keeps those applied in the period. */
  readonly changes: readonly TuningChange[];
  /** The cases first seen in the period (none for a ledger without cases). */
  readonly cases?: readonly ReportCase[];
  /** The period's obligations, open postmortems and drill runs. */
  readonly response?: ResponseSections;
}

/** What the report says of the response beyond the cases' figures. */
type ResponseSections = Pick<Report, 'obligations' | 'openPostmortems' | 'drills'>;

/**
 * Reads the ledger and builds the report: the same ledger and options give the same report. The
 * incidents and decision counts are read in pages and folded into running tallies, so memory grows
 * with the rules, days and distinct signatures and entities, not with the incidents; between pages it
 * yields to the event loop, so a worker serving GET /report keeps deciding and answering /metrics.
 */
export async function buildReport(ledger: Ledger, options: ReportOptions): Promise<Report> {
  const tally = new ReportTally(options, await ledger.tuningChanges());
  // A change's "before" window can start before the period: read back far enough for it.
  const fromMs = tally.readFromMs();
  for await (const page of ledger.reportIncidentPages(fromMs, options.toMs, INCIDENT_PAGE_ROWS)) {
    for (const incident of page) tally.addIncident(incident);
    await nextTurn();
  }
  for (let sliceMs = hourBucketMs(fromMs); sliceMs <= options.toMs; sliceMs += COUNT_SLICE_MS) {
    for (const count of await ledger.decisionCountsBetween(sliceMs, Math.min(options.toMs, sliceMs + COUNT_SLICE_MS - 1))) tally.addCount(count);
    await nextTurn();
  }
  return tally.report(await ledger.cases.reportCases(options.fromMs, options.toMs), await responseSections(ledger, options));
}

/** The period's obligations, open postmortems and drills, from the ledger. */
async function responseSections(ledger: Ledger, options: ReportOptions): Promise<ResponseSections> {
  const obligations = await ledger.obligations.ofCasesFirstSeen(options.fromMs, options.toMs, RESPONSE_LIST_ROWS);
  const open = await ledger.cases.openPostmortems(options.fromMs, options.toMs, options.postmortemRequiredFor ?? POSTMORTEMS_DEFAULTS.requiredFor, RESPONSE_LIST_ROWS);
  const drills = await ledger.drills.list({ fromMs: options.fromMs, toMs: options.toMs, limit: RESPONSE_LIST_ROWS });
  return {
    obligations: obligations.map((o) => ({ caseId: o.caseId, name: o.name, startedAt: o.startedAt, dueAt: o.dueAt, status: o.status, late: o.late, doneBy: o.doneBy })),
    openPostmortems: { total: open.total, cases: open.cases.map((c) => ({ caseId: c.id, firstSeen: new Date(Number(c.first_seen_ms)).toISOString(), title: c.title, severity: c.severity, state: c.state })) },
    drills: drills.map((d) => ({ name: d.name, runAt: d.runAt, passed: d.passed, failures: d.failures, gaps: d.gaps })),
  };
}

/** The report from what was read: pure. */
export function reportOf(data: ReportData, options: ReportOptions): Report {
  const tally = new ReportTally(options, data.changes);
  for (const incident of data.incidents) tally.addIncident(incident);
  for (const count of data.counts) tally.addCount(count);
  return tally.report(data.cases ?? [], data.response ?? { obligations: [], openPostmortems: { total: 0, cases: [] }, drills: [] });
}

/** MTTA, MTTR and verdicts of the period's cases, in all and per classification. */
function casesSection(cases: readonly ReportCase[]): CasesSection {
  const figures = (list: readonly ReportCase[]): CaseFigures => {
    const minutes = (at: (c: ReportCase) => number | null) =>
      list.flatMap((c) => {
        const ms = at(c);
        return ms === null ? [] : [Math.max(0, ms - c.openedAtMs) / 60_000];
      });
    const acknowledged = minutes((c) => c.acknowledgedAtMs);
    const resolved = minutes((c) => c.resolvedAtMs);
    const verdicts = verdictCountsOf(list);
    return {
      cases: list.length,
      acknowledged: acknowledged.length,
      resolved: resolved.length,
      truePositive: verdicts.truePositive,
      benignPositive: verdicts.benignPositive,
      falsePositive: verdicts.falsePositive,
      unreviewed: verdicts.unreviewed,
      medianMinutesToAcknowledge: acknowledged.length > 0 ? round(median(acknowledged), 1) : null,
      medianMinutesToResolve: resolved.length > 0 ? round(median(resolved), 1) : null,
    };
  };
  const classes = [...new Set(cases.map((c) => c.classification ?? UNCLASSIFIED))];
  const byClassification = classes
    .map((classification) => ({ classification, ...figures(cases.filter((c) => (c.classification ?? UNCLASSIFIED) === classification)) }))
    .sort((a, b) => b.cases - a.cases || (a.classification < b.classification ? -1 : 1));
  return { total: figures(cases), byClassification };
}

const UNCLASSIFIED = 'unclassified';

/** Decisions by kind. */
class DecisionTally {
  promote = 0;
  suppress = 0;
  pass = 0;
  duplicate = 0;

  add(count: DecisionCount): void {
    this[count.decision] += count.count;
  }

  decisions() {
    return { alertsMatched: this.promote + this.suppress, promoted: this.promote, suppressed: this.suppress };
  }
}

/** Incidents by current verdict, and the share of the reviewed ones that were false positives. */
class VerdictTally extends LedgerVerdictTally {
  verdicts() {
    const counts = this.counts();
    const reviewed = counts.truePositive + counts.benignPositive + counts.falsePositive;
    return { ...counts, falsePositiveRate: reviewed > 0 ? round(counts.falsePositive / reviewed, 4) : null };
  }
}

/** Decisions, verdicts and analysts' time of all rules or one. */
class CountedTally {
  readonly decisions = new DecisionTally();
  readonly verdicts = new VerdictTally();
  /** Minutes from first seen to first verdict, one per reviewed incident. */
  private readonly waits: number[] = [];

  addIncident(incident: ReportIncident): void {
    this.verdicts.add(incident.verdict);
    // A verdict back-dated before the incident's first alert counts as immediate.
    if (incident.firstFeedbackMs !== undefined) this.waits.push(Math.max(0, incident.firstFeedbackMs - incident.firstSeenMs) / 60_000);
  }

  triage(minutesPerIncident: number) {
    const { truePositive, benignPositive, falsePositive } = this.verdicts;
    return {
      medianMinutesToFeedback: this.waits.length > 0 ? round(median(this.waits), 1) : null,
      analystMinutes: round((truePositive + benignPositive + falsePositive) * minutesPerIncident, 1),
      falsePositiveMinutes: round(falsePositive * minutesPerIncident, 1),
    };
  }
}

class RuleTally extends CountedTally {
  readonly signatures = new Map<string, NoisyKey>();
  readonly entities = new Map<string, NoisyKey>();

  override addIncident(incident: ReportIncident): void {
    super.addIncident(incident);
    for (const key of signaturesOf(incident)) tallyKey(this.signatures, key, incident);
    for (const key of entitiesOf(incident)) tallyKey(this.entities, key, incident);
  }
}

/** A tuning change's two windows: before [at − L, at), after [at, at + L]. */
interface ChangeTally {
  readonly change: TuningChange;
  readonly atMs: number;
  readonly lengthMs: number;
  readonly before: { decisions: DecisionTally; verdicts: VerdictTally };
  readonly after: { decisions: DecisionTally; verdicts: VerdictTally };
}

/** The report's figures, added up one incident and one decision count at a time. */
class ReportTally {
  private readonly total = new CountedTally();
  private readonly rules = new Map<string, RuleTally>();
  private readonly days = new Map<number, { decisions: DecisionTally; verdicts: VerdictTally }>();
  /** The changes applied in the period, by rule. */
  private readonly changes = new Map<string, ChangeTally[]>();

  constructor(
    private readonly options: ReportOptions,
    changes: readonly TuningChange[],
  ) {
    checkPeriodLength(options.fromMs, options.toMs);
    for (const change of changes) {
      const atMs = Date.parse(change.appliedAt);
      if (!inPeriod(atMs, options)) continue;
      const lengthMs = Math.max(0, Math.min(EFFECT_WINDOW_MS, options.toMs - atMs));
      const window = () => ({ decisions: new DecisionTally(), verdicts: new VerdictTally() });
      const of = this.changes.get(change.ruleId) ?? [];
      of.push({ change, atMs, lengthMs, before: window(), after: window() });
      this.changes.set(change.ruleId, of);
    }
  }

  /** Where reading has to start: the period's start, or the earliest before window. */
  readFromMs(): number {
    let fromMs = this.options.fromMs;
    for (const of of this.changes.values()) for (const c of of) fromMs = Math.min(fromMs, c.atMs - c.lengthMs);
    return fromMs;
  }

  addIncident(incident: ReportIncident): void {
    const { firstSeenMs, ruleId } = incident;
    for (const c of this.changes.get(ruleId) ?? []) {
      if (firstSeenMs >= c.atMs - c.lengthMs && firstSeenMs < c.atMs) c.before.verdicts.add(incident.verdict);
      else if (firstSeenMs >= c.atMs && firstSeenMs <= c.atMs + c.lengthMs) c.after.verdicts.add(incident.verdict);
    }
    if (!inPeriod(firstSeenMs, this.options)) return;
    this.total.addIncident(incident);
    this.rule(ruleId).addIncident(incident);
    this.day(firstSeenMs).verdicts.add(incident.verdict);
  }

  addCount(count: DecisionCount): void {
    // Decisions are counted per hour: a window takes the hours that start in it, its start rounded down to the hour.
    for (const c of this.changes.get(count.ruleId) ?? []) {
      if (count.bucketMs >= hourBucketMs(c.atMs - c.lengthMs) && count.bucketMs < hourBucketMs(c.atMs)) c.before.decisions.add(count);
      if (count.bucketMs >= hourBucketMs(c.atMs) && count.bucketMs <= c.atMs + c.lengthMs) c.after.decisions.add(count);
    }
    if (count.bucketMs < hourBucketMs(this.options.fromMs) || count.bucketMs > this.options.toMs) return;
    this.total.decisions.add(count);
    if (count.ruleId !== '') this.rule(count.ruleId).decisions.add(count);
    this.day(count.bucketMs).decisions.add(count);
  }

  /** `cases`: the period's cases (their MTTA, MTTR and classification). */
  report(cases: readonly ReportCase[], response: ResponseSections): Report {
    const { options, total } = this;
    return Report.parse({
      period: { from: iso(options.fromMs), to: iso(options.toMs), days: round((options.toMs - options.fromMs) / DAY_MS, 2) },
      minutesPerIncident: options.minutesPerIncident,
      top: options.top,
      totals: { ...total.decisions.decisions(), passed: total.decisions.pass, ...total.verdicts.verdicts(), ...total.triage(options.minutesPerIncident) },
      rules: [...this.rules.keys()].sort().map((ruleId) => this.ruleSection(ruleId)),
      days: daysOf(options).map((day) => this.daySection(day)),
      tuningChanges: [...this.changes.values()]
        .flat()
        // In the order the ledger lists them: applied time, then id.
        .sort((a, b) => a.atMs - b.atMs || (a.change.id < b.change.id ? -1 : a.change.id > b.change.id ? 1 : 0))
        .map((c) => changeSection(c)),
      cases: casesSection(cases),
      ...response,
    });
  }

  private rule(ruleId: string): RuleTally {
    let tally = this.rules.get(ruleId);
    if (!tally) this.rules.set(ruleId, (tally = new RuleTally()));
    return tally;
  }

  private day(ms: number) {
    const day = Math.floor(ms / DAY_MS) * DAY_MS;
    let tally = this.days.get(day);
    if (!tally) this.days.set(day, (tally = { decisions: new DecisionTally(), verdicts: new VerdictTally() }));
    return tally;
  }

  private ruleSection(ruleId: string): RuleSection {
    const tally = this.rules.get(ruleId)!;
    return {
      ruleId,
      ...tally.decisions.decisions(),
      ...tally.verdicts.verdicts(),
      ...tally.triage(this.options.minutesPerIncident),
      signatures: noisiest(tally.signatures, this.options.top),
      entities: noisiest(tally.entities, this.options.top),
    };
  }

  private daySection(day: number): DaySection {
    const tally = this.days.get(day) ?? { decisions: new DecisionTally(), verdicts: new VerdictTally() };
    const decisions = tally.decisions.decisions();
    return { day: iso(day).slice(0, 10), alerts: decisions.alertsMatched + tally.decisions.pass, passed: tally.decisions.pass, ...decisions, ...tally.verdicts.verdicts() };
  }
}

/**
 * A change's measured effect: its rule's record in two windows of equal length either side of the
 * moment it was applied, as long as the time since the change (to the period's end) allows, at most
 * 7 days. What it does not control for: the alerts themselves changing between the windows.
 */
function changeSection({ change, atMs, lengthMs, before, after }: ChangeTally): ChangeSection {
  const window = (fromMs: number, toMs: number, tally: ChangeTally['before']): EffectWindow => {
    const days = (toMs - fromMs) / DAY_MS;
    return {
      from: iso(fromMs),
      to: iso(toMs),
      alertsMatched: tally.decisions.decisions().alertsMatched,
      ...tally.verdicts.verdicts(),
      incidentsPerDay: days > 0 ? round(tally.verdicts.incidents / days, 2) : 0,
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
    windowDays: round(lengthMs / DAY_MS, 2),
    before: window(atMs - lengthMs, atMs, before),
    after: window(atMs, atMs + lengthMs, after),
    predicted: predictionOf(change.evidence),
  };
}

function predictionOf(evidence: Readonly<Record<string, unknown>>): ChangeSection['predicted'] {
  const keys = ['falsePositiveRemoved', 'falsePositiveTotal', 'truePositiveKept', 'truePositiveTotal', 'incidentsPerDayBefore', 'incidentsPerDayAfter'] as const;
  if (!keys.every((k) => typeof evidence[k] === 'number')) return null;
  return Object.fromEntries(keys.map((k) => [k, evidence[k]])) as NonNullable<ChangeSection['predicted']>;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The signature of an incident: the name of the alert that opened it, else its group key's `name`. */
function signaturesOf(incident: ReportIncident): string[] {
  const name = incident.openingAlert?.name ?? incident.groupKey.name;
  return name === undefined ? [] : [name];
}

/** The entities of an incident: its opening alert's and those it is grouped by, as `kind=value`. */
function entitiesOf(incident: ReportIncident): string[] {
  const grouped = Object.entries(incident.groupKey).flatMap(([path, value]) => (path.startsWith('entities.') ? [`${path.slice(9)}=${value}`] : []));
  const opening = Object.entries(incident.openingAlert?.entities ?? {}).map(([kind, value]) => `${kind}=${value}`);
  return [...new Set([...grouped, ...opening])];
}

function tallyKey(tally: Map<string, NoisyKey>, key: string, incident: ReportIncident): void {
  const t = tally.get(key) ?? { key, incidents: 0, alerts: 0, falsePositive: 0 };
  tally.set(key, {
    key,
    incidents: t.incidents + 1,
    alerts: t.alerts + incident.alertCount,
    falsePositive: t.falsePositive + (incident.verdict === 'false_positive' ? 1 : 0),
  });
}

/** The `top` keys in the most incidents (then alerts, then key). */
function noisiest(tally: ReadonlyMap<string, NoisyKey>, top: number): NoisyKey[] {
  return [...tally.values()].sort((a, b) => b.incidents - a.incidents || b.alerts - a.alerts || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).slice(0, top);
}

/** Every UTC day the period touches, as the epoch ms of its midnight (at most MAX_PERIOD of them: checkPeriodLength). */
function daysOf(options: ReportOptions): number[] {
  const days: number[] = [];
  for (let day = Math.floor(options.fromMs / DAY_MS) * DAY_MS; day <= options.toMs; day += DAY_MS) days.push(day);
  return days;
}

const inPeriod = (ms: number, options: ReportOptions) => ms >= options.fromMs && ms <= options.toMs;
const iso = (ms: number) => new Date(ms).toISOString();
