import { DECISION_KINDS, type DecisionKind } from '../decide/decision-record.js';
import type { CanonicalAlert } from '../normalize/alert.js';
import { FORMAT_NAMES, type FormatName } from '../normalize/index.js';
import { compileFieldPath, keyPart, type FieldReader } from '../rules/field-path.js';
import { DEAD_LETTER_REASONS, type DeadLetterReason } from '../pipeline/dead-letter.js';
import type { CompiledException, CompiledRule } from '../rules/ruleset.js';
import { FixedHistogram } from './histogram.js';
import { SourceLabels } from './source-labels.js';

/** The clocks the latency histograms read; tests inject their own. */
export interface StatsClock {
  /** Wall clock, epoch ms: compared with alerts' event times. */
  wallMs(): number;
  /** Monotonic ms, for durations. */
  monotonicMs(): number;
}

export const SYSTEM_CLOCK: StatsClock = { wallMs: () => Date.now(), monotonicMs: () => performance.now() };

/** Per-alert evaluation time: a few µs normally; the top buckets catch GC pauses and slow sinks. */
export const EVALUATION_BUCKETS_SECONDS = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 0.025, 0.1];
/** Event time to decision on a live stream: detector and transport delay, from 10 ms to an hour. */
export const DECISION_LATENCY_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

const FORMAT_INDEX = Object.fromEntries(FORMAT_NAMES.map((f, i) => [f, i])) as Record<FormatName, number>;

/** How often one mapped field found nothing, among the alerts of its format. */
export interface FieldAbsence {
  readonly format: FormatName;
  /** The canonical field: `entities.process`, `category`, `tags`, ... */
  readonly field: string;
  /** Alerts of the format whose input had none of the field's paths. */
  readonly absent: number;
  /** Alerts of the format (valid ones, all sources). */
  readonly alerts: number;
}

/** How many watermark changes PipelineStats.watermarks keeps. */
export const WATERMARK_HISTORY = 50;

/** A change of the watermark: after a batch of alerts that moved it, or by an operator's reset. */
export interface WatermarkChange {
  /** Wall clock when it was seen (epoch ms). */
  readonly atMs: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly cause: 'alerts' | 'reset';
}

/** Incidents opened and alerts that joined one, for one rule's (id, severity, category). */
export interface IncidentCounts {
  readonly ruleId: string;
  readonly severity: string;
  readonly category: string;
  opened: number;
  grouped: number;
}

export interface PipelineStatsOptions {
  /** Sources that always get their own `source` label. */
  readonly sources?: readonly string[];
  /** Further sources labelled in the order they are first seen; the rest are "other". */
  readonly maxFirstSeenSources?: number;
  readonly clock?: StatsClock;
  /** Decisions counted by the alert's tenant (config metrics.tenantLabel); off without it. */
  readonly tenantLabel?: TenantLabelOptions | undefined;
}

/** The `tenant` label of alertgate_tenant_decisions_total: which field, and how many values get their own label. */
export interface TenantLabelOptions {
  /** Alert field path of the tenant: `entities.tenant`. */
  readonly field: string;
  /** Tenants that always get their own label. */
  readonly values?: readonly string[];
  /** Further tenants labelled in the order they are first seen; the rest (and alerts without the field) are "other". */
  readonly maxValues: number;
}

/** Decisions by tenant slot and decision: [slot * DECISION_KINDS.length + decision]. */
export interface TenantDecisions {
  readonly read: FieldReader;
  readonly labels: SourceLabels;
  readonly counts: Float64Array;
}

/**
 * What the metrics need beyond PipelineCounts, counted by the pipeline as it goes in plain numbers and
 * typed arrays (no prom-client call, no allocation per alert) and read by metrics.ts at scrape time.
 * Bounded by construction: sources through SourceLabels, reasons and formats are enums, incidents are
 * keyed by rule. Not part of the pipeline's snapshot: like any Prometheus counter, these start at zero
 * with the process.
 *
 * Latency: evaluation time is measured once per processBatch() (two clock reads) and spread evenly over
 * its lines, so a per-alert clock read never costs more than the alert; the histogram shows how the
 * per-alert cost of batches is distributed, not single outliers inside a batch. The wall clock for
 * alert-time → decision is read once per batch too (a batch takes well under a millisecond per hundred
 * alerts, so it is the decision time to within that).
 */
export class PipelineStats {
  /**
   * Off while the pipeline decides alerts again only to rebuild its state (the Kafka worker's replay
   * after a takeover): they were counted when they were first decided.
   */
  recording = true;
  readonly sources: SourceLabels;
  /** With metrics.tenantLabel: decisions by tenant. */
  readonly tenants: TenantDecisions | undefined;
  /** Valid alerts by [source slot * formats + format]. */
  readonly accepted: Float64Array;
  /** Dead letters by DEAD_LETTER_REASONS index. */
  readonly deadLetters = new Float64Array(DEAD_LETTER_REASONS.length);
  readonly evaluationSeconds = new FixedHistogram(EVALUATION_BUCKETS_SECONDS);
  readonly decisionLatencySeconds = new FixedHistogram(DECISION_LATENCY_BUCKETS_SECONDS);
  /** By `ruleId severity category`: a reload that changes a rule's severity starts new series. */
  readonly incidents = new Map<string, IncidentCounts>();
  /** Alerts suppressed by each exception, by exception id. */
  readonly exceptions = new Map<string, number>();
  /** Mapping-based formats: alerts whose input had none of a mapped field's paths, by format and field. */
  readonly absentFields = new Map<FormatName, Map<string, number>>();
  /** The last WATERMARK_HISTORY changes of the watermark, oldest first (GET /watermark). */
  readonly watermarks: WatermarkChange[] = [];
  private lastWatermarkMs = Number.NEGATIVE_INFINITY;
  private readonly incidentsOfRule = new WeakMap<CompiledRule, IncidentCounts>();
  private readonly clock: StatsClock;
  private batchWallMs: number;
  private batchStartMs = 0;

  constructor(options: PipelineStatsOptions = {}) {
    const named = options.sources ?? [];
    const firstSeen = options.maxFirstSeenSources ?? 20;
    this.sources = new SourceLabels(named, firstSeen);
    this.accepted = new Float64Array(SourceLabels.capacity(named, firstSeen) * FORMAT_NAMES.length);
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.batchWallMs = this.clock.wallMs();
    const tenant = options.tenantLabel;
    this.tenants = tenant && {
      read: compileFieldPath(tenant.field),
      labels: new SourceLabels(tenant.values, tenant.maxValues),
      counts: new Float64Array(SourceLabels.capacity(tenant.values ?? [], tenant.maxValues) * DECISION_KINDS.length),
    };
  }

  /** A decision made (any kind but a dead letter): counted by the alert's tenant, when tenants are labelled. */
  decided(alert: CanonicalAlert, decision: DecisionKind): void {
    const tenants = this.tenants;
    if (tenants === undefined || !this.recording) return;
    const tenant = keyPart(tenants.read(alert));
    const slot = tenant === undefined ? 0 : tenants.labels.slotOf(tenant);
    tenants.counts[slot * DECISION_KINDS.length + DECISION_KINDS.indexOf(decision)]!++;
  }

  beginBatch(): void {
    if (!this.recording) return;
    this.batchWallMs = this.clock.wallMs();
    this.batchStartMs = this.clock.monotonicMs();
  }

  /** `lines`: the input lines the batch held (valid or not); `watermarkMs`: the pipeline's after it. */
  endBatch(lines: number, watermarkMs: number): void {
    if (lines === 0 || !this.recording) return;
    if (watermarkMs !== this.lastWatermarkMs) this.watermarkChanged(this.lastWatermarkMs, watermarkMs, 'alerts');
    const seconds = Math.max(0, this.clock.monotonicMs() - this.batchStartMs) / 1000;
    this.evaluationSeconds.observe(seconds / lines, lines);
  }

  /**
   * A valid alert about to be decided, with the mapped fields its input lacked (NormalizeSuccess.absent).
   * Event times ahead of the clock count as 0 s.
   */
  alert(format: FormatName, source: string, timeMs: number, absent?: readonly string[]): void {
    if (!this.recording) return;
    this.accepted[this.sources.slotOf(source) * FORMAT_NAMES.length + FORMAT_INDEX[format]]!++;
    const delayMs = this.batchWallMs - timeMs;
    this.decisionLatencySeconds.observe(delayMs > 0 ? delayMs / 1000 : 0);
    if (absent !== undefined) this.countAbsent(format, absent);
  }

  /** Valid alerts of a format, all sources together. */
  acceptedOf(format: FormatName): number {
    let total = 0;
    for (let i = FORMAT_INDEX[format]; i < this.accepted.length; i += FORMAT_NAMES.length) total += this.accepted[i]!;
    return total;
  }

  /** Every mapped field that was absent at least once, by format then field (in first-seen order). */
  fieldAbsences(): FieldAbsence[] {
    return [...this.absentFields].flatMap(([format, fields]) => {
      const alerts = this.acceptedOf(format);
      return [...fields].map(([field, absent]) => ({ format, field, absent, alerts }));
    });
  }

  /** An operator moved the watermark back (Pipeline.resetWatermark). */
  watermarkReset(fromMs: number, toMs: number): void {
    this.watermarkChanged(fromMs, toMs, 'reset');
  }

  deadLetter(reason: DeadLetterReason): void {
    if (!this.recording) return;
    this.deadLetters[DEAD_LETTER_REASONS.indexOf(reason)]!++;
  }

  incident(rule: CompiledRule, opened: boolean): void {
    if (!this.recording) return;
    let counts = this.incidentsOfRule.get(rule);
    if (counts === undefined) this.incidentsOfRule.set(rule, (counts = this.incidentCounts(rule)));
    if (opened) counts.opened++;
    else counts.grouped++;
  }

  exception({ exception }: CompiledException): void {
    if (!this.recording) return;
    this.exceptions.set(exception.id, (this.exceptions.get(exception.id) ?? 0) + 1);
  }

  private countAbsent(format: FormatName, absent: readonly string[]): void {
    // Fields come from the mapping (user configuration or a built-in), so the map stays bounded.
    let fields = this.absentFields.get(format);
    if (fields === undefined) this.absentFields.set(format, (fields = new Map()));
    for (const field of absent) fields.set(field, (fields.get(field) ?? 0) + 1);
  }

  private watermarkChanged(fromMs: number, toMs: number, cause: WatermarkChange['cause']): void {
    this.lastWatermarkMs = toMs;
    if (this.watermarks.length === WATERMARK_HISTORY) this.watermarks.shift();
    this.watermarks.push({ atMs: this.clock.wallMs(), fromMs, toMs, cause });
  }

  private incidentCounts({ rule }: CompiledRule): IncidentCounts {
    const key = `${rule.id}\u0000${rule.severity}\u0000${rule.category}`;
    let counts = this.incidents.get(key);
    if (counts === undefined) {
      counts = { ruleId: rule.id, severity: rule.severity, category: rule.category, opened: 0, grouped: 0 };
      this.incidents.set(key, counts);
    }
    return counts;
  }
}
