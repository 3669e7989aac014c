import { z } from 'zod';
import type { CanonicalAlert, NormalizedAlert } from '../normalize/alert.js';
import type { DecisionKind } from '../decide/decision-record.js';
import type { ExplanationsConfig } from '../config/explanations.js';
import { EVENT_TIME_DEFAULTS, type EventTimeConfig, type FutureDatedAction } from '../config/event-time.js';
import { DEFAULT_MAX_LINE_BYTES, type InputLine } from '../source/index.js';
import type { AlertResult, NormalizeSuccess, Normalizer } from '../normalize/index.js';
import { Evaluator, EvaluatorSnapshot, type RuleOutcome, type Verdict } from '../decide/evaluator.js';
import { groupFieldsOf, groupKeyOf } from '../decide/group-key.js';
import { CaseMerger, CaseMergerSnapshot, type CaseMergeOptions } from '../cases/case-merger.js';
import { IncidentTracker, IncidentTrackerSnapshot, type IncidentGrouping, type IncidentRecord, type IncidentView } from '../incidents/index.js';
import type { CompiledRule, CompiledRuleSet } from '../rules/ruleset.js';
import { PipelineStats } from '../metrics/pipeline-stats.js';
import { deadLetter, oversizedReason, type DeadLetterReason, type DeadLetterRecord } from './dead-letter.js';
import { DecisionWriter } from './decision-json.js';
import { FutureSkewBound, FutureSkewSnapshot } from './future-skew.js';
import { normalizerNamed } from './line-format.js';
import { DEFAULT_DEDUP, DedupOptions, EMPTY_SEEN_ALERTS, SeenAlerts, SeenAlertsSnapshot, type FirstDecision, type FirstOccurrence, type SeenAlertsStats } from '../dedup/seen-alerts.js';

/**
 * What a decision was, for sinks that count or index decisions without parsing their JSON (the ledger).
 * One object, reused from alert to alert: read it during the sink call, do not keep it.
 */
export interface DecisionFacts {
  /** The deciding rule or exception; null for pass. */
  ruleId: string | null;
  decision: DecisionKind;
  /** The alert's event time (epoch ms). */
  timeMs: number;
  /** The incident a promoted alert opened or joined. */
  incidentId: string | undefined;
  /** True when this alert opened incidentId. */
  opened: boolean;
  /** That incident, live: it keeps changing as alerts join and when it closes (read it, or keep it to read later). */
  incident: IncidentView | undefined;
  alert: CanonicalAlert;
}

/** Where the pipeline's three output streams go. Called synchronously, in a deterministic order. */
export interface PipelineSinks {
  /**
   * One per valid alert: the DecisionRecord as JSON (parse it with parseDecision where an object is
   * needed), and the same decision's key facts (valid during the call only).
   */
  decision(json: string, alertId: string, facts: Readonly<DecisionFacts>): void;
  incident(record: IncidentRecord): void;
  deadLetter(record: DeadLetterRecord): void;
}

export interface PipelineOptions {
  readonly ruleset: CompiledRuleSet;
  readonly normalize: Normalizer;
  readonly sinks: PipelineSinks;
  /** Alert ids kept per incident record (the rest are counted). */
  readonly maxAlertIdsPerIncident?: number;
  /** Open incidents held at once; beyond it the least recently active is closed early. */
  readonly maxOpenIncidents?: number;
  /** The input's line limit, named in the dead letters of longer lines. */
  readonly maxLineBytes?: number;
  /**
   * Also write each incident that alerts opened or joined during a processBatch() call and that is still
   * open, once, at the end of that call (status "open"), or later when held (holdIncidentUpdates): a
   * stream's consumers see incidents as they grow, not only when they close. Off for files, where an
   * incident is written once, closed (or open at the end).
   */
  readonly incidentUpdates?: boolean;
  /** Where the metrics' breakdowns are counted (source labels, clock); a fresh default one if left out. */
  readonly stats?: PipelineStats;
  /** The bound on future-dated alerts (config `eventTime`): EVENT_TIME_DEFAULTS without it. */
  readonly eventTime?: EventTimeConfig;
  /** Sees each future-dated alert as it is clamped or dead-lettered (not while stats.recording is off): a log, the API. */
  readonly onFutureDated?: (event: FutureDatedEvent) => void;
  /** Deduplication by alert id (src/dedup); DEFAULT_DEDUP if left out, horizonMs 0 turns it off. */
  readonly dedup?: DedupOptions;
  /** How incidents of different rules join one case (config `cases`); without it every incident is a case of its own. */
  readonly cases?: CaseMergeOptions | undefined;
  /**
   * False: the decision sink gets '' instead of each DecisionRecord's JSON, for in-process consumers
   * that read only the DecisionFacts (the tuner's and alertgate eval's runs): writing explanations is
   * much of the cost of a decision when many alerts are promoted.
   */
  readonly decisionRecords?: boolean;
  /** How much each decision explains (config `outputs.explanations`); full if left out. */
  readonly explanations?: ExplanationsConfig | undefined;
  /** The decide stage, when not a fresh Evaluator of `ruleset` (the tuner's recorded runs, src/tune/tape.ts). */
  readonly evaluator?: Evaluator | undefined;
}

/** An alert dated more than eventTime.maxFutureSkew ahead of the stream. */
export interface FutureDatedEvent {
  readonly alertId: string;
  /** The event time it claims (epoch ms). */
  readonly timeMs: number;
  /** The stream's event time it was compared with: where a clamp decides it. */
  readonly referenceMs: number;
  readonly action: FutureDatedAction;
}

/** What Pipeline.resetWatermark did. */
export interface WatermarkReset {
  readonly fromMs: number;
  readonly toMs: number;
  /** Window events after `toMs` that were dropped, over all rules. */
  readonly windowEventsDropped: number;
  /** Open incidents whose last alert was after `toMs`: closed, written with the next decision that moves the watermark. */
  readonly incidentsClosed: readonly string[];
}

/**
 * Every alert ends in exactly one of these: `alerts = promoted + suppressed + passed + duplicate + invalid`. An input
 * record is one alert, except a multi-alert record (an Alertmanager payload), which is one per element.
 */
export interface PipelineCounts {
  alerts: number;
  promoted: number;
  suppressed: number;
  passed: number;
  /** Alerts that came before (the same id and event time within the dedup horizon): decided `duplicate`, counted nowhere else. */
  duplicate: number;
  invalid: number;
  /** Incidents opened (alerts that joined an open incident are counted in `grouped`). */
  incidents: number;
  grouped: number;
  /** Alerts that arrived later than some rule's allowed lateness (decided, but not counted in that window). */
  late: number;
  /** Decided alerts whose aggregates read a window that had lost state at its memory bounds (they may read low). */
  lossy: number;
  suppressedByException: number;
  /** Alerts more than eventTime.maxFutureSkew ahead of the stream: clamped (decided) or dead-lettered (invalid). */
  futureDated: number;
  /** Of them, those decided at the stream's event time. */
  clamped: number;
  /** Per rule: alerts it decided, by decision. */
  byRule: Map<string, { promoted: number; suppressed: number }>;
}

const RuleCounts = z.object({ promoted: z.number().int().nonnegative(), suppressed: z.number().int().nonnegative() }).strict();
const count = z.number().int().nonnegative();

const SnapshotCountsV1 = z
  .object({
    alerts: count,
    promoted: count,
    suppressed: count,
    passed: count,
    invalid: count,
    incidents: count,
    grouped: count,
    late: count,
    suppressedByException: count,
    byRule: z.record(z.string(), RuleCounts),
  })
  .strict();

/**
 * Version 2: version 1 plus the future-dated, duplicate and lossy counts, the recent event times the
 * skew bound compares with, and the ids the dedup stage remembers.
 */
const SnapshotV2 = z
  .object({
    version: z.literal(2),
    /** The rule set it was taken under (CompiledRuleSet.fingerprint). */
    rulesFingerprint: z.string(),
    watermarkMs: z.number().nullable(),
    counts: SnapshotCountsV1.extend({ duplicate: count, lossy: count, futureDated: count, clamped: count }).strict(),
    futureSkew: FutureSkewSnapshot,
    windows: EvaluatorSnapshot,
    incidents: IncidentTrackerSnapshot,
    /** The ids the dedup stage remembers. */
    dedup: SeenAlertsSnapshot,
    /** The cases incidents can still join (absent in checkpoints written before cases: restored empty). */
    cases: CaseMergerSnapshot.optional(),
  })
  .strict();

/**
 * Version 1 (alertgate before deduplication and the skew bound): read as version 2 with nothing of
 * theirs counted or remembered, which the next alerts fill in. A watermark it carries is kept as it is,
 * even one an alert dated 9999 put there: Pipeline.resetWatermark repairs that.
 */
const SnapshotV1 = SnapshotV2.omit({ dedup: true, futureSkew: true })
  .extend({ version: z.literal(1), counts: SnapshotCountsV1 })
  .strict()
  .transform(
    (v1): z.infer<typeof SnapshotV2> => ({
      ...v1,
      version: 2,
      counts: { ...v1.counts, duplicate: 0, lossy: 0, futureDated: 0, clamped: 0 },
      futureSkew: { recent: [], decided: [], decidedSources: [], run: [] },
      dedup: EMPTY_SEEN_ALERTS,
    }),
  );

/**
 * Everything a pipeline holds between two alerts: windows, open incidents, the watermark, the recent
 * event times, the dedup stage's ids and the counts. A fresh pipeline restored from it decides the
 * following alerts exactly as this one would have (property-tested); the Kafka worker checkpoints it
 * (docs/kafka.md, "State"). Parsing accepts the versions written before the current one and gives the
 * current one.
 */
export const PipelineSnapshot = z.union([SnapshotV2, SnapshotV1]);
export type PipelineSnapshot = z.infer<typeof PipelineSnapshot>;

/** What a worker's metrics, API and shutdown summary read of its pipeline (or, with shards, of its shards' pipelines as one). */
export type PipelineView = Pick<Pipeline, 'counts' | 'stats' | 'eventTime' | 'watermark' | 'rules' | 'openIncidents' | 'dedupStats' | 'windowStats'>;

/**
 * normalize → suppress → aggregate → evaluate → group → sinks, one input line at a time, synchronously.
 * Incidents are written when they close (their grouping window passes the newest event time) and,
 * still open, at finish(). What is decided depends on the sequence of lines only, never on how they
 * are split into processBatch() calls: windows and incidents move with each alert that advances the
 * watermark.
 */
export class Pipeline {
  readonly counts: PipelineCounts = {
    alerts: 0,
    promoted: 0,
    suppressed: 0,
    passed: 0,
    duplicate: 0,
    invalid: 0,
    incidents: 0,
    grouped: 0,
    late: 0,
    lossy: 0,
    suppressedByException: 0,
    futureDated: 0,
    clamped: 0,
    byRule: new Map(),
  };
  /** Counted for metrics alongside `counts`: breakdowns and latencies (not part of the snapshot). */
  readonly stats: PipelineStats;
  /** Newest event time seen: incidents close relative to it, never to the wall clock. */
  private watermarkMs = Number.NEGATIVE_INFINITY;
  private readonly evaluator: Evaluator;
  /** Decides where each alert's event time may take the watermark (future-dated alerts: clamp or dead letter). */
  private readonly futureSkew: FutureSkewBound;
  /** The dedup stage; undefined when it is off. */
  private readonly seen: SeenAlerts | undefined;
  private ruleset: CompiledRuleSet;
  private decisions: DecisionWriter;
  private readonly incidents: IncidentTracker;
  private readonly cases: CaseMerger;
  /** Incidents close this far behind the watermark, so an alert within its rule's lateness can still join. */
  private closeDelayMs: number;
  private readonly maxLineBytes: number;
  /** Incidents opened or joined since their last write (incidentUpdates only): in the current processBatch() call unless held. */
  private readonly touched: Set<IncidentView> | undefined;
  /** Handed to the decision sink with every decision; refilled per alert rather than allocated. */
  private readonly facts: DecisionFacts = { ruleId: null, decision: 'pass', timeMs: 0, incidentId: undefined, opened: false, incident: undefined, alert: undefined as unknown as CanonicalAlert };
  /** Whether the last group() call opened its incident, and that incident. */
  private openedIncident = false;
  private groupedIncident: IncidentView | undefined;

  constructor(private readonly options: PipelineOptions) {
    this.ruleset = options.ruleset;
    this.evaluator = options.evaluator ?? new Evaluator(options.ruleset);
    this.decisions = new DecisionWriter(options.ruleset, options.explanations);
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.closeDelayMs = closeDelayOf(options.ruleset);
    this.incidents = new IncidentTracker({
      maxAlertIds: options.maxAlertIdsPerIncident ?? 100,
      maxOpen: options.maxOpenIncidents ?? 100_000,
    });
    this.cases = new CaseMerger(options.cases ?? { mergeBy: [], windowMs: 0 });
    this.touched = options.incidentUpdates ? new Set() : undefined;
    this.stats = options.stats ?? new PipelineStats();
    this.futureSkew = new FutureSkewBound(options.eventTime ?? EVENT_TIME_DEFAULTS);
    const dedup = DedupOptions.parse(options.dedup ?? DEFAULT_DEDUP);
    this.seen = dedup.horizonMs > 0 ? new SeenAlerts(dedup) : undefined;
  }

  /**
   * With incidentUpdates: keep the incidents a processBatch() call touched for a later call or
   * flushIncidentUpdates() instead of writing them at its end (the Kafka worker's
   * `kafka.incidentUpdateIntervalMs`: an incident written at most once per interval).
   */
  holdIncidentUpdates = false;

  processBatch(lines: readonly InputLine[]): void {
    this.stats.beginBatch();
    for (const line of lines) this.processLine(line);
    if (!this.holdIncidentUpdates) this.flushIncidentUpdates();
    this.stats.endBatch(lines.length, this.watermarkMs);
  }

  /** Whether incidents touched since the last write wait for one (holdIncidentUpdates). */
  get heldIncidentUpdates(): boolean {
    return this.touched !== undefined && this.touched.size > 0;
  }

  /** Writes every incident touched since the last write that is still open, in id order. */
  flushIncidentUpdates(): void {
    if (this.touched !== undefined && this.touched.size > 0) this.writeIncidentUpdates(this.touched);
  }

  processLine(input: InputLine): void {
    this.counts.alerts++;
    if ('oversized' in input) {
      this.invalid(input.line, 'oversized', oversizedReason(input.bytes, this.maxLineBytes), input.head);
      return;
    }
    const result = (input.format === undefined ? this.options.normalize : normalizerNamed(input.format))(input.text, input.line);
    if (result.ok === true) {
      this.admit(input.line, input.text, result);
    } else if (result.ok === false) {
      this.invalid(input.line, result.problem, result.reason, input.text);
    } else {
      this.processParts(input.line, input.text, result.parts);
    }
  }

  /** A valid alert: counted, then decided at its own time, or clamped or dead-lettered when it is dated too far ahead. */
  private admit(line: number, text: string, result: NormalizeSuccess): void {
    this.stats.alert(result.format, result.alert.source, result.timeMs, result.absent);
    // Before anything else sees it (the skew bound, windows, incidents): a duplicate is decided here
    // and goes nowhere else. An alert further ahead than the skew bound allows does not move the
    // horizon's clock, so one alert dated 9999 does not make every remembered id expire.
    const clockMs = result.timeMs <= this.watermarkMs + this.futureSkew.maxFutureSkewMs || this.watermarkMs === Number.NEGATIVE_INFINITY ? result.timeMs : this.watermarkMs;
    const first = this.seen?.check(result.alert.id, result.timeMs, clockMs);
    if (first !== undefined) {
      this.duplicate(result, first);
      return;
    }
    const at = this.futureSkew.place(result.timeMs, this.watermarkMs, result.alert.source);
    if (at === result.timeMs) this.decide(result, undefined);
    else if (!this.futureDated(line, text, result, at)) {
      // Dead-lettered, not decided: a copy that comes again is not a duplicate of a decision.
      this.seen?.withdraw();
      return;
    }
    const facts = this.facts;
    this.seen?.decided(facts.decision as FirstDecision, facts.ruleId, facts.incidentId);
  }

  /**
   * A record holding several alerts (an Alertmanager payload): each is an alert of its own, decided or
   * dead-lettered in order, so `alerts` counts them all and the accounting still adds up. They share
   * the record's line; a dead letter's reason names its element (`/alerts/2/...`).
   */
  private processParts(line: number, text: string, parts: readonly AlertResult[]): void {
    // The record was counted once already.
    this.counts.alerts += parts.length - 1;
    for (const part of parts) {
      if (part.ok) {
        this.admit(line, text, part);
      } else {
        this.invalid(line, part.problem, part.reason, text);
      }
    }
  }

  /**
   * Decides the following alerts with a new rule set (hot reload). Windows whose meaning did not change
   * keep their counts (Evaluator.reload); open incidents stay open and keep joining.
   */
  reload(ruleset: CompiledRuleSet): { kept: string[]; reset: string[] } {
    const report = this.evaluator.reload(ruleset);
    this.ruleset = ruleset;
    this.decisions = new DecisionWriter(ruleset, this.options.explanations);
    this.closeDelayMs = closeDelayOf(ruleset);
    return report;
  }

  /** Writes the incidents still open (and any a watermark reset closed). Call once, after the last input. */
  finish(): void {
    for (const incident of this.incidents.advance(Number.NEGATIVE_INFINITY)) this.options.sinks.incident(incident);
    for (const incident of this.incidents.drain()) this.options.sinks.incident(incident);
  }

  windowStats() {
    return this.evaluator.windowStats();
  }

  /** The rule set deciding now. */
  get rules(): CompiledRuleSet {
    return this.ruleset;
  }

  /** Incidents open now (for metrics). */
  openIncidents(): number {
    return this.incidents.stats().open;
  }

  /** The newest event time decided (epoch ms; -Infinity before any alert): windows and incidents close relative to it. */
  get watermark(): number {
    return this.watermarkMs;
  }

  /** The skew bound: its settings and the recent event times it compares with (for GET /watermark). */
  get eventTime(): FutureSkewBound {
    return this.futureSkew;
  }

  /**
   * Moves the watermark back to `toMs` (docs/rules.md, "Repairing a poisoned watermark"): what was
   * counted after it is forgotten, as if those alerts had not been counted: every rule's window drops its
   * events after `toMs`, and an open incident whose last alert is after `toMs` is closed (written with
   * the next decision that moves the watermark, or at finish()). What a wrong watermark already did stays
   * done: alerts decided late, incidents closed early, window events forgotten. Call between two batches.
   */
  resetWatermark(toMs: number): WatermarkReset {
    const fromMs = this.watermarkMs;
    if (!Number.isFinite(toMs) || !(toMs < fromMs)) throw new RangeError(`the watermark can only be moved back: it is ${isoOrNone(fromMs)}, asked for ${isoOrNone(toMs)}`);
    this.watermarkMs = toMs;
    const windowEventsDropped = this.evaluator.rewind(toMs);
    const incidentsClosed = this.incidents.closeAfter(toMs);
    this.stats.watermarkReset(fromMs, toMs);
    return { fromMs, toMs, windowEventsDropped, incidentsClosed };
  }

  /** The running rule set's fingerprint (changes with reload()). */
  get rulesFingerprint(): string {
    return this.ruleset.fingerprint;
  }

  /** Forgets everything: no windows, no incidents, zero counts, as a new pipeline. */
  reset(): void {
    this.restore({
      version: 2,
      rulesFingerprint: this.ruleset.fingerprint,
      watermarkMs: null,
      counts: { alerts: 0, promoted: 0, suppressed: 0, passed: 0, duplicate: 0, invalid: 0, incidents: 0, grouped: 0, late: 0, lossy: 0, suppressedByException: 0, futureDated: 0, clamped: 0, byRule: {} },
      futureSkew: { recent: [], decided: [], decidedSources: [], run: [] },
      windows: [],
      incidents: { open: [], pending: [], recorded: 0, opened: 0, forcedCloses: 0 },
      dedup: EMPTY_SEEN_ALERTS,
      cases: { cases: [] },
    });
  }

  /** The whole state as JSON-safe data. Serialize it before the next alert: it shares live objects. */
  snapshot(): PipelineSnapshot {
    const { byRule, ...counts } = this.counts;
    return {
      version: 2,
      rulesFingerprint: this.ruleset.fingerprint,
      watermarkMs: Number.isFinite(this.watermarkMs) ? this.watermarkMs : null,
      counts: { ...counts, byRule: Object.fromEntries(byRule) },
      futureSkew: this.futureSkew.snapshot(),
      windows: this.evaluator.snapshot(),
      incidents: this.incidents.snapshot(),
      dedup: this.seen?.snapshot() ?? EMPTY_SEEN_ALERTS,
      cases: this.cases.snapshot(),
    };
  }

  /**
   * Replaces the whole state with a snapshot's. Windows whose rule still counts the same thing come
   * back (as on reload); the others start empty, listed in `reset`.
   */
  restore(snapshot: PipelineSnapshot): { kept: string[]; reset: string[] } {
    this.touched?.clear();
    const { byRule, ...counts } = snapshot.counts;
    Object.assign(this.counts, counts);
    this.counts.byRule = new Map(Object.entries(byRule).map(([id, c]) => [id, { ...c }]));
    this.watermarkMs = snapshot.watermarkMs ?? Number.NEGATIVE_INFINITY;
    this.futureSkew.restore(snapshot.futureSkew);
    // A checkpoint written before cases: each incident it holds becomes a case of its own, as if opened unmergeable.
    this.incidents.restore(snapshot.incidents, snapshot.cases === undefined ? (id) => this.cases.open(id, {}, 0, false) : undefined);
    this.seen?.restore(snapshot.dedup);
    this.cases.restore(snapshot.cases ?? { cases: [] });
    return this.evaluator.restore(snapshot.windows);
  }

  /** The dedup stage's ids and counts (for metrics); undefined when deduplication is off. */
  dedupStats(): SeenAlertsStats | undefined {
    return this.seen?.stats();
  }

  /** An alert dated more than maxFutureSkew ahead of the stream: decided at `referenceMs` (clamp) or a dead letter. Returns whether it was decided. */
  private futureDated(line: number, text: string, normalized: NormalizedAlert, referenceMs: number): boolean {
    const { alert, timeMs } = normalized;
    const { onFutureDated: action, maxFutureSkew } = this.futureSkew.options;
    this.counts.futureDated++;
    if (this.stats.recording) this.options.onFutureDated?.({ alertId: alert.id, timeMs, referenceMs, action });
    if (action === 'dead-letter') {
      const ahead = `event time ${alert.time} is ${aheadText(timeMs - referenceMs)} ahead of the stream's event time ${isoOrNone(referenceMs)}`;
      const fix = 'correct the clock of its source, or raise eventTime.maxFutureSkew (replay: --max-future-skew), or set eventTime.onFutureDated: clamp to decide such alerts at the stream\'s time';
      this.invalid(line, 'future_dated', `/time: ${ahead}, more than eventTime.maxFutureSkew (${maxFutureSkew}); ${fix}`, text);
      return false;
    }
    this.counts.clamped++;
    // The time is canonical ISO-8601, and the duration a validated one: nothing in them needs escaping.
    this.decide({ ...normalized, timeMs: referenceMs }, `,"clamped":{"decidedAt":"${new Date(referenceMs).toISOString()}","maxFutureSkew":"${maxFutureSkew}"}`);
    return true;
  }

  /** `clamped`: the explanation member of an alert decided at the stream's time rather than its own. */
  private decide(normalized: NormalizedAlert, clamped: string | undefined): void {
    const { alert, timeMs } = normalized;
    if (timeMs > this.watermarkMs) {
      this.watermarkMs = timeMs;
      this.closeIncidents();
      // Groups of absence rules that fell silent before this time: each is an alert alertgate makes, decided first.
      for (const silence of this.evaluator.silences(this.watermarkMs)) {
        this.counts.alerts++;
        this.decide(silence, undefined);
      }
    }
    const verdict = this.evaluator.evaluate(normalized);
    let incidentId: string | undefined;
    const counts = this.counts;
    const facts = this.facts;
    facts.opened = false;
    facts.incident = undefined;
    if (verdict.kind === 'rule' && verdict.decision === 'promote') {
      incidentId = this.group(verdict.outcome, normalized);
      facts.opened = this.openedIncident;
      facts.incident = this.groupedIncident;
      counts.promoted++;
    } else if (verdict.kind === 'none') {
      counts.passed++;
    } else {
      counts.suppressed++;
      if (verdict.kind === 'exception') {
        counts.suppressedByException++;
        this.stats.exception(verdict.exception);
      }
    }
    if (verdict.late) counts.late++;
    if (verdict.lossy) counts.lossy++;
    if (verdict.kind === 'rule') this.countRule(verdict);
    facts.ruleId = verdict.kind === 'rule' ? verdict.outcome.rule.rule.id : verdict.kind === 'exception' ? verdict.exception.exception.id : null;
    facts.decision = verdict.kind === 'rule' ? verdict.decision : verdict.kind === 'exception' ? 'suppress' : 'pass';
    this.stats.decided(alert, facts.decision);
    facts.timeMs = timeMs;
    facts.incidentId = incidentId;
    facts.alert = alert;
    this.options.sinks.decision(this.options.decisionRecords === false ? '' : this.decisions.write(verdict, normalized, incidentId, clamped), alert.id, facts);
  }

  /** An alert that came before: decided `duplicate`, naming its first occurrence; no window or incident sees it. */
  private duplicate(normalized: NormalizedAlert, first: FirstOccurrence): void {
    this.counts.duplicate++;
    this.stats.decided(normalized.alert, 'duplicate');
    const facts = this.facts;
    facts.ruleId = null;
    facts.decision = 'duplicate';
    facts.timeMs = normalized.timeMs;
    facts.incidentId = undefined;
    facts.opened = false;
    facts.alert = normalized.alert;
    this.options.sinks.decision(this.decisions.duplicate(normalized, first), normalized.alert.id, facts);
  }

  private countRule(verdict: Extract<Verdict, { kind: 'rule' }>): void {
    const id = verdict.outcome.rule.rule.id;
    let perRule = this.counts.byRule.get(id);
    if (!perRule) this.counts.byRule.set(id, (perRule = { promoted: 0, suppressed: 0 }));
    perRule[verdict.decision === 'promote' ? 'promoted' : 'suppressed']++;
  }

  private group({ rule: compiled, aggregates }: RuleOutcome, { alert, timeMs }: NormalizedAlert): string {
    const spec = compiled.incident!;
    const groupFields = groupFieldsOf(spec.groupBy, spec.groupReaders, alert);
    // Alerts missing a grouping field still get an incident: they group under the empty value.
    const groupKey = groupKeyOf(spec.groupReaders, alert) ?? JSON.stringify(Object.values(groupFields));
    const { incidentId, opened, incident } = this.incidents.record(groupingOf(compiled), groupKey, groupFields, alert, timeMs, aggregates);
    // The case is decided when the incident opens, in event order, so every run files it the same way.
    const mergeable = spec.spec.merge !== false;
    if (opened) this.incidents.assignCase(incident, this.cases.open(incidentId, alert.entities, timeMs, mergeable));
    else if (mergeable && incident.caseId !== undefined) this.cases.join(incident.caseId, alert.entities, timeMs);
    this.touched?.add(incident);
    this.openedIncident = opened;
    this.groupedIncident = incident;
    if (opened) this.counts.incidents++;
    else this.counts.grouped++;
    this.stats.incident(compiled, opened);
    // This alert closed an incident early (a new burst, a straggler, maxOpen): write it now.
    if (this.incidents.hasClosed) this.closeIncidents();
    return incidentId;
  }

  /** Moves windows and incidents to the watermark: called whenever an alert advances it. */
  private closeIncidents(): void {
    this.evaluator.advance(this.watermarkMs);
    for (const incident of this.incidents.advance(this.watermarkMs - this.closeDelayMs)) this.options.sinks.incident(incident);
    this.cases.advance(this.watermarkMs - this.closeDelayMs);
  }

  /** The still-open incidents of this batch, by id, as they are now (the closed ones were written when they closed). */
  private writeIncidentUpdates(touched: Set<IncidentView>): void {
    const open = [...touched].filter((i) => i.status === 'open').sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    touched.clear();
    for (const incident of open) this.options.sinks.incident(incident as IncidentRecord);
  }

  private invalid(line: number, kind: DeadLetterReason, reason: string, text: string): void {
    this.counts.invalid++;
    this.stats.deadLetter(kind);
    this.options.sinks.deadLetter(deadLetter(line, reason, text));
  }
}

function isoOrNone(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'none';
}

/** A lead in the largest unit that keeps it readable: `36.5 hours`, `2914.2 years`. */
function aheadText(ms: number): string {
  const [unit, size] = ms >= 365 * 86_400_000 ? ['years', 365 * 86_400_000] : ms >= 86_400_000 ? ['days', 86_400_000] : ms >= 3_600_000 ? ['hours', 3_600_000] : ['minutes', 60_000];
  return `${(ms / size).toFixed(1)} ${unit}`;
}

/** Each promote rule's incident grouping, made once: a promoted alert is most of a run's cost, and the grouping never changes with the alert. */
const groupings = new WeakMap<CompiledRule, IncidentGrouping>();

function groupingOf(compiled: CompiledRule): IncidentGrouping {
  let grouping = groupings.get(compiled);
  if (grouping === undefined) {
    const { rule } = compiled;
    const spec = compiled.incident!;
    grouping = {
      ruleId: rule.id,
      ruleVersion: rule.version,
      severity: rule.severity,
      category: rule.category,
      title: spec.title,
      windowMs: spec.windowMs,
      ...(spec.maxSpanMs !== undefined ? { maxSpanMs: spec.maxSpanMs } : {}),
    };
    groupings.set(compiled, grouping);
  }
  return grouping;
}

/** Incidents close this far behind the watermark: the largest allowed lateness of any rule. */
function closeDelayOf(ruleset: CompiledRuleSet): number {
  const rules = [...ruleset.suppressRules, ...ruleset.promoteRules];
  return Math.max(0, ...rules.map((r) => r.window?.allowedLatenessMs ?? 0));
}
