import { z } from 'zod';
import type { CanonicalAlert, NormalizedAlert } from '../normalize/alert.js';
import type { DecisionKind } from '../decide/decision-record.js';
import { DEFAULT_MAX_LINE_BYTES, type InputLine } from '../source/index.js';
import type { Normalizer } from '../normalize/index.js';
import { Evaluator, EvaluatorSnapshot, type RuleOutcome, type Verdict } from '../decide/evaluator.js';
import { groupFieldsOf, groupKeyOf } from '../decide/group-key.js';
import { IncidentTracker, IncidentTrackerSnapshot, type IncidentRecord, type IncidentView } from '../incidents/index.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { PipelineStats } from '../metrics/pipeline-stats.js';
import { deadLetter, type DeadLetterReason, type DeadLetterRecord } from './dead-letter.js';
import { DecisionWriter } from './decision-json.js';
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
   * open, once, at the end of that call (status "open"): a stream's consumers see incidents as they grow,
   * not only when they close. Off for files, where an incident is written once, closed (or open at the end).
   */
  readonly incidentUpdates?: boolean;
  /** Where the metrics' breakdowns are counted (source labels, clock); a fresh default one if left out. */
  readonly stats?: PipelineStats;
  /** Deduplication by alert id (src/dedup); DEFAULT_DEDUP if left out, horizonMs 0 turns it off. */
  readonly dedup?: DedupOptions;
}

/** Every input record ends in exactly one of these: `alerts = promoted + suppressed + passed + duplicate + invalid`. */
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

const SnapshotV2 = z
  .object({
    version: z.literal(2),
    /** The rule set it was taken under (CompiledRuleSet.fingerprint). */
    rulesFingerprint: z.string(),
    watermarkMs: z.number().nullable(),
    counts: SnapshotCountsV1.extend({ duplicate: count, lossy: count }).strict(),
    windows: EvaluatorSnapshot,
    incidents: IncidentTrackerSnapshot,
    /** The ids the dedup stage remembers. */
    dedup: SeenAlertsSnapshot,
  })
  .strict();

/** What checkpoints held before deduplication: read as a version 2 snapshot with no ids remembered. */
const SnapshotV1 = SnapshotV2.omit({ dedup: true })
  .extend({ version: z.literal(1), counts: SnapshotCountsV1 })
  .strict()
  .transform((v1): z.infer<typeof SnapshotV2> => ({ ...v1, version: 2, counts: { ...v1.counts, duplicate: 0, lossy: 0 }, dedup: EMPTY_SEEN_ALERTS }));

/**
 * Everything a pipeline holds between two alerts: windows, open incidents, the watermark, the dedup
 * stage's ids and the counts. A fresh pipeline restored from it decides the following alerts exactly
 * as this one would have (property-tested); the Kafka worker checkpoints it (docs/kafka.md, "State").
 * Version 1 snapshots (before deduplication) are still read.
 */
export const PipelineSnapshot = z.union([SnapshotV2, SnapshotV1]);
export type PipelineSnapshot = z.infer<typeof PipelineSnapshot>;

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
    byRule: new Map(),
  };
  /** Counted for metrics alongside `counts`: breakdowns and latencies (not part of the snapshot). */
  readonly stats: PipelineStats;
  /** Newest event time seen: incidents close relative to it, never to the wall clock. */
  private watermarkMs = Number.NEGATIVE_INFINITY;
  private readonly evaluator: Evaluator;
  /** The dedup stage; undefined when it is off. */
  private readonly seen: SeenAlerts | undefined;
  private ruleset: CompiledRuleSet;
  private decisions: DecisionWriter;
  private readonly incidents: IncidentTracker;
  /** Incidents close this far behind the watermark, so an alert within its rule's lateness can still join. */
  private closeDelayMs: number;
  private readonly maxLineBytes: number;
  /** Incidents opened or joined in the current processBatch() call (incidentUpdates only). */
  private readonly touched: Set<IncidentView> | undefined;
  /** Handed to the decision sink with every decision; refilled per alert rather than allocated. */
  private readonly facts: DecisionFacts = { ruleId: null, decision: 'pass', timeMs: 0, incidentId: undefined, opened: false, alert: undefined as unknown as CanonicalAlert };
  /** Whether the last group() call opened its incident. */
  private openedIncident = false;

  constructor(private readonly options: PipelineOptions) {
    this.ruleset = options.ruleset;
    this.evaluator = new Evaluator(options.ruleset);
    this.decisions = new DecisionWriter(options.ruleset);
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.closeDelayMs = closeDelayOf(options.ruleset);
    this.incidents = new IncidentTracker({
      maxAlertIds: options.maxAlertIdsPerIncident ?? 100,
      maxOpen: options.maxOpenIncidents ?? 100_000,
    });
    this.touched = options.incidentUpdates ? new Set() : undefined;
    this.stats = options.stats ?? new PipelineStats();
    const dedup = DedupOptions.parse(options.dedup ?? DEFAULT_DEDUP);
    this.seen = dedup.horizonMs > 0 ? new SeenAlerts(dedup) : undefined;
  }

  processBatch(lines: readonly InputLine[]): void {
    this.stats.beginBatch();
    for (const line of lines) this.processLine(line);
    if (this.touched !== undefined && this.touched.size > 0) this.writeIncidentUpdates(this.touched);
    this.stats.endBatch(lines.length);
  }

  processLine(input: InputLine): void {
    this.counts.alerts++;
    if ('oversized' in input) {
      this.invalid(input.line, 'oversized', `line is ${input.bytes} bytes, over the ${this.maxLineBytes}-byte limit; split the record or raise the limit (replay: --max-line-bytes; run: input.maxLineBytes)`, input.head);
      return;
    }
    const result = (input.format === undefined ? this.options.normalize : normalizerNamed(input.format))(input.text, input.line);
    if (!result.ok) {
      this.invalid(input.line, result.problem, result.reason, input.text);
      return;
    }
    this.stats.alert(result.format, result.alert.source, result.timeMs);
    if (this.seen === undefined) {
      this.decide(result);
      return;
    }
    // Before any window or incident sees it: a duplicate is decided here and goes nowhere else.
    const first = this.seen.check(result.alert.id, result.timeMs);
    if (first !== undefined) {
      this.duplicate(result, first);
      return;
    }
    this.decide(result);
    const facts = this.facts;
    this.seen.decided(facts.decision as FirstDecision, facts.ruleId, facts.incidentId);
  }

  /**
   * Decides the following alerts with a new rule set (hot reload). Windows whose meaning did not change
   * keep their counts (Evaluator.reload); open incidents stay open and keep joining.
   */
  reload(ruleset: CompiledRuleSet): { kept: string[]; reset: string[] } {
    const report = this.evaluator.reload(ruleset);
    this.ruleset = ruleset;
    this.decisions = new DecisionWriter(ruleset);
    this.closeDelayMs = closeDelayOf(ruleset);
    return report;
  }

  /** Writes the incidents still open. Call once, after the last input. */
  finish(): void {
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
      counts: { alerts: 0, promoted: 0, suppressed: 0, passed: 0, duplicate: 0, invalid: 0, incidents: 0, grouped: 0, late: 0, lossy: 0, suppressedByException: 0, byRule: {} },
      windows: [],
      incidents: { open: [], pending: [], recorded: 0, opened: 0, forcedCloses: 0 },
      dedup: EMPTY_SEEN_ALERTS,
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
      windows: this.evaluator.snapshot(),
      incidents: this.incidents.snapshot(),
      dedup: this.seen?.snapshot() ?? EMPTY_SEEN_ALERTS,
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
    this.incidents.restore(snapshot.incidents);
    this.seen?.restore(snapshot.dedup);
    return this.evaluator.restore(snapshot.windows);
  }

  /** The dedup stage's ids and counts (for metrics); undefined when deduplication is off. */
  dedupStats(): SeenAlertsStats | undefined {
    return this.seen?.stats();
  }

  private decide(normalized: NormalizedAlert): void {
    const { alert, timeMs } = normalized;
    if (timeMs > this.watermarkMs) {
      this.watermarkMs = timeMs;
      this.closeIncidents();
    }
    const verdict = this.evaluator.evaluate(normalized);
    let incidentId: string | undefined;
    const counts = this.counts;
    const facts = this.facts;
    facts.opened = false;
    if (verdict.kind === 'rule' && verdict.decision === 'promote') {
      incidentId = this.group(verdict.outcome, normalized);
      facts.opened = this.openedIncident;
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
    facts.timeMs = timeMs;
    facts.incidentId = incidentId;
    facts.alert = alert;
    this.options.sinks.decision(this.decisions.write(verdict, normalized, incidentId), alert.id, facts);
  }

  /** An alert that came before: decided `duplicate`, naming its first occurrence; no window or incident sees it. */
  private duplicate(normalized: NormalizedAlert, first: FirstOccurrence): void {
    this.counts.duplicate++;
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
    const { rule } = compiled;
    const groupFields = groupFieldsOf(spec.groupBy, spec.groupReaders, alert);
    // Alerts missing a grouping field still get an incident: they group under the empty value.
    const groupKey = groupKeyOf(spec.groupReaders, alert) ?? JSON.stringify(Object.values(groupFields));
    const { incidentId, opened, incident } = this.incidents.record(
      {
        ruleId: rule.id,
        ruleVersion: rule.version,
        severity: rule.severity,
        category: rule.category,
        title: spec.title,
        windowMs: spec.windowMs,
        ...(spec.maxSpanMs !== undefined ? { maxSpanMs: spec.maxSpanMs } : {}),
      },
      groupKey,
      groupFields,
      alert,
      timeMs,
      aggregates,
    );
    this.touched?.add(incident);
    this.openedIncident = opened;
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

/** Incidents close this far behind the watermark: the largest allowed lateness of any rule. */
function closeDelayOf(ruleset: CompiledRuleSet): number {
  const rules = [...ruleset.suppressRules, ...ruleset.promoteRules];
  return Math.max(0, ...rules.map((r) => r.window?.allowedLatenessMs ?? 0));
}
