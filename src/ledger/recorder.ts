import { DECISION_KINDS, type DecisionKind } from '../decide/decision-record.js';
import type { IncidentRecord } from '../incidents/index.js';
import type { DecisionFacts, PipelineSinks } from '../pipeline/pipeline.js';
import type { CaseChange } from './case-store.js';
import type { CountedDecision, LedgerBatch } from './ledger.js';
import { hourBucketMs } from './records.js';

const DECISION_INDEX = { promote: 0, suppress: 1, pass: 2, duplicate: 3 } as const satisfies Record<DecisionKind, number>;

/** What a recorder writes to: the ledger (Ledger.writeBatch). */
export interface LedgerWriter {
  writeBatch(batch: LedgerBatch, options?: { readonly escalate?: boolean }): Promise<readonly CaseChange[] | void>;
}

export interface LedgerRecorderOptions {
  /** Names the run's decision counts in the ledger: `replay:<input>`, `run:<input>`, `kafka:<group>`. */
  readonly source: string;
  /**
   * Count each alert id's decision once for this source (the Kafka worker: a chunk decided and sent
   * again after a crash must not count twice). `duplicate` decisions are counted as they come: each
   * copy is one.
   */
  readonly countEachAlertOnce?: boolean;
  /** New cases are due for escalation at once (a worker that notifies people); off for replay. */
  readonly escalate?: boolean;
  /** Sees the case events each flush wrote (audit log, the escalation's wake-up). */
  readonly onCaseChanges?: (changes: readonly CaseChange[]) => void;
  /** `due` turns true this long after the last flush (wall clock). */
  readonly flushIntervalMs?: number;
  /** ... or once this many incidents or openings are buffered. */
  readonly maxBuffered?: number;
  readonly now?: () => number;
}

export interface LedgerRecorderStats {
  flushes: number;
  incidentsWritten: number;
  openingsWritten: number;
  /** Flushes that failed (their records stay buffered for the next one). */
  failedFlushes: number;
}

type Opening = LedgerBatch['openings'][number];

/**
 * The ledger's writer on the hot path: decisions and incidents are buffered in memory, synchronously
 * and without a promise per alert, and written in one transaction per flush(). Decisions are not
 * stored one by one: they are counted per rule, decision and event-time hour. The alert that opened
 * an incident keeps its decision JSON (its explanation) and its name, source, severity and entities.
 *
 * Call flush() where the outputs are made durable (after an input chunk; on Kafka before the
 * offsets are committed) and once at the end. `due` says when a flush is worth its round trip.
 */
export class LedgerRecorder {
  readonly stats: LedgerRecorderStats = { flushes: 0, incidentsWritten: 0, openingsWritten: 0, failedFlushes: 0 };
  private incidents = new Map<string, IncidentRecord>();
  private openings: Opening[] = [];
  /** Event-time hour → rule id ('' for pass) → counts by DECISION_INDEX. */
  private counts = new Map<number, Map<string, number[]>>();
  /** With countEachAlertOnce: the decisions to count once per alert id. */
  private counted: CountedDecision[] = [];
  private lastBucket = Number.NaN;
  private lastBucketCounts: Map<string, number[]> | undefined;
  private lastFlushMs: number;
  /** Off while a worker decides alerts again only to rebuild its state (their decisions were counted the first time). */
  private counting = true;
  private flushing: Promise<void> = Promise.resolve();
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly now: () => number;

  constructor(
    private readonly ledger: LedgerWriter,
    private readonly options: LedgerRecorderOptions,
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.maxBuffered = options.maxBuffered ?? 5000;
    this.now = options.now ?? Date.now;
    this.lastFlushMs = this.now();
  }

  get source(): string {
    return this.options.source;
  }

  /**
   * Counting on or off: a Kafka worker that re-decides recorded chunks after a takeover (silently, to
   * rebuild windows and incidents) turns it off for them, so their decisions are not counted twice.
   * Incidents and openings are still recorded: writing them again changes nothing.
   */
  setCounting(on: boolean): void {
    this.counting = on;
  }

  /**
   * A PipelineSinks decision: counts it, and keeps it when it opened an incident. The incident a promoted
   * alert opened or joined is kept too (live: written as it is at the flush), so the ledger, and the
   * case, know of an incident as soon as it opens, not only when it closes.
   */
  decision(json: string, alertId: string, facts: Readonly<DecisionFacts>): void {
    if (facts.incident !== undefined) this.incidents.set(facts.incident.id, facts.incident as IncidentRecord);
    if (facts.opened && facts.incidentId !== undefined) {
      const { name, source, severity, entities, tags } = facts.alert;
      this.openings.push({ incidentId: facts.incidentId, alertId, decisionJson: json, alert: { name, source, severity, entities, tags } });
    }
    if (!this.counting) return;
    const bucket = hourBucketMs(facts.timeMs);
    if (this.options.countEachAlertOnce && facts.decision !== 'duplicate') {
      this.counted.push({ alertId, ruleId: facts.ruleId ?? '', decision: facts.decision, bucketMs: bucket });
      return;
    }
    let perRule = this.lastBucketCounts;
    if (bucket !== this.lastBucket || perRule === undefined) {
      perRule = this.counts.get(bucket);
      if (perRule === undefined) this.counts.set(bucket, (perRule = new Map()));
      this.lastBucket = bucket;
      this.lastBucketCounts = perRule;
    }
    const key = facts.ruleId ?? '';
    let tally = perRule.get(key);
    if (tally === undefined) perRule.set(key, (tally = [0, 0, 0, 0]));
    tally[DECISION_INDEX[facts.decision]]!++;
  }

  /** A PipelineSinks incident: the last record of each id before a flush is the one written. */
  incident(record: IncidentRecord): void {
    this.incidents.set(record.id, record);
  }

  /** True when enough time has passed or enough is buffered to make a flush worth it. */
  get due(): boolean {
    return this.incidents.size + this.openings.length >= this.maxBuffered || this.now() - this.lastFlushMs >= this.flushIntervalMs;
  }

  /** Writes everything buffered in one transaction. Flushes run one after another; a failed one keeps its records for the next. */
  flush(): Promise<void> {
    const next = this.flushing.then(() => this.writeBuffered());
    // The chain goes on after a failure; the caller still sees it.
    this.flushing = next.catch(() => undefined);
    return next;
  }

  private async writeBuffered(): Promise<void> {
    this.lastFlushMs = this.now();
    if (this.incidents.size === 0 && this.openings.length === 0 && this.counts.size === 0 && this.counted.length === 0) return;
    const incidents = this.incidents;
    const openings = this.openings;
    const counts = this.counts;
    const counted = this.counted;
    this.incidents = new Map();
    this.openings = [];
    this.counts = new Map();
    this.counted = [];
    this.lastBucketCounts = undefined;
    this.lastBucket = Number.NaN;
    let changes: readonly CaseChange[] | void;
    try {
      changes = await this.ledger.writeBatch(
        { incidents: [...incidents.values()], openings, counts: countRows(counts), counted, source: this.options.source },
        { escalate: this.options.escalate ?? false },
      );
    } catch (err) {
      this.stats.failedFlushes++;
      this.restore(incidents, openings, counts, counted);
      throw err;
    }
    this.stats.flushes++;
    this.stats.incidentsWritten += incidents.size;
    this.stats.openingsWritten += openings.length;
    if (changes && changes.length > 0) this.options.onCaseChanges?.(changes);
  }

  /** Puts a failed flush's records back under what arrived since (newer incident records win; counts add). */
  private restore(incidents: Map<string, IncidentRecord>, openings: Opening[], counts: Map<number, Map<string, number[]>>, counted: CountedDecision[]): void {
    for (const [id, record] of incidents) if (!this.incidents.has(id)) this.incidents.set(id, record);
    this.openings = [...openings, ...this.openings];
    this.counted = [...counted, ...this.counted];
    for (const [bucket, perRule] of counts) {
      let into = this.counts.get(bucket);
      if (into === undefined) this.counts.set(bucket, (into = new Map()));
      for (const [rule, tally] of perRule) {
        const existing = into.get(rule);
        if (existing === undefined) into.set(rule, tally);
        else for (let i = 0; i < tally.length; i++) existing[i]! += tally[i]!;
      }
    }
    this.lastBucketCounts = undefined;
    this.lastBucket = Number.NaN;
  }
}

function countRows(counts: Map<number, Map<string, number[]>>): LedgerBatch['counts'] {
  const rows: LedgerBatch['counts'][number][] = [];
  for (const [bucketMs, perRule] of counts) {
    for (const [ruleId, tally] of perRule) {
      tally.forEach((count, i) => {
        if (count > 0) rows.push({ ruleId, decision: DECISION_KINDS[i]!, bucketMs, count });
      });
    }
  }
  return rows;
}

/**
 * Sinks that also feed a recorder: what a worker wraps its own sinks with (the Kafka worker's batch
 * processor, runStream). Without a recorder the sinks are returned as they are.
 */
export function recordingSinks(sinks: PipelineSinks, recorder: LedgerRecorder | undefined): PipelineSinks {
  if (!recorder) return sinks;
  return {
    decision: (json, alertId, facts) => {
      sinks.decision(json, alertId, facts);
      recorder.decision(json, alertId, facts);
    },
    incident: (record) => {
      sinks.incident(record);
      recorder.incident(record);
    },
    deadLetter: (record) => sinks.deadLetter(record),
  };
}
