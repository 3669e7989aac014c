import { z } from 'zod';

/**
 * The deduplication stage: alert ids remembered over an event-time horizon, so that an alert that
 * comes again (a forwarder's retry, a producer's redelivery) is decided as `duplicate` and never
 * reaches the windows or incidents a second time. docs/outputs.md, "Duplicates", says what counts as
 * the same alert and how to size it.
 */

/** 10 minutes of event time: forwarders and Kafka producers retry within seconds to minutes. */
export const DEFAULT_DEDUP_HORIZON_MS = 10 * 60_000;
/** ~18 MB of ids (docs/outputs.md: ~175 B per id): 166 alerts/s sustained over the default horizon. */
export const DEFAULT_DEDUP_MAX_IDS = 100_000;

export const DedupOptions = z
  .object({
    /** How long, in event time behind the newest alert, an id is remembered; 0 turns deduplication off. */
    horizonMs: z.number().int().nonnegative(),
    /** Ids remembered at most; beyond it the oldest remembered is forgotten early (counted). */
    maxIds: z.number().int().positive(),
  })
  .strict();
export type DedupOptions = z.infer<typeof DedupOptions>;

export const DEFAULT_DEDUP: DedupOptions = { horizonMs: DEFAULT_DEDUP_HORIZON_MS, maxIds: DEFAULT_DEDUP_MAX_IDS };

/** The decisions a first occurrence can have had (a duplicate is never a first occurrence). */
export const FIRST_DECISIONS = ['promote', 'suppress', 'pass'] as const;
export type FirstDecision = (typeof FIRST_DECISIONS)[number];

/** The first occurrence of an id, as a duplicate's decision names it. */
export interface FirstOccurrence {
  readonly id: string;
  readonly timeMs: number;
  decision: FirstDecision;
  /** The deciding rule or exception; null for pass. */
  ruleId: string | null;
  /** The incident a promoted first occurrence opened or joined. */
  incidentId: string | undefined;
}

/** Remembered ids oldest first, each `[id, timeMs, decision, ruleId, incidentId]`: compact, as checkpoints hold them all. */
export const SeenAlertsSnapshot = z
  .object({
    /** The newest event time seen (null: none yet). */
    newestMs: z.number().nullable(),
    reused: z.number().int().nonnegative(),
    evicted: z.number().int().nonnegative(),
    ids: z.array(z.tuple([z.string(), z.number(), z.enum(FIRST_DECISIONS), z.string().nullable(), z.string().nullable()])),
  })
  .strict();
export type SeenAlertsSnapshot = z.infer<typeof SeenAlertsSnapshot>;

export const EMPTY_SEEN_ALERTS: SeenAlertsSnapshot = { newestMs: null, reused: 0, evicted: 0, ids: [] };

export interface SeenAlertsStats {
  /** Ids remembered now. */
  ids: number;
  /** Alerts whose id was remembered with another event time: decided as new alerts (see check()). */
  reused: number;
  /** Ids forgotten before the horizon to stay within maxIds: a duplicate of one would be decided again. */
  evicted: number;
}

/** Below this many dead slots at the head of the queue it is not compacted. */
const COMPACT_MIN = 1024;

/**
 * Alert ids with the event time they came with and what their first occurrence was decided, in
 * the order they were first seen. Memory: one Map entry, one small object and one queue slot per id
 * (docs/outputs.md measures it); at most maxIds of them.
 */
export class SeenAlerts {
  private readonly byId = new Map<string, FirstOccurrence>();
  /** Occurrences in the order they were remembered; entries before `head` are gone, and an entry no longer in byId was replaced. */
  private queue: FirstOccurrence[] = [];
  private head = 0;
  private newestMs = Number.NEGATIVE_INFINITY;
  private reused = 0;
  private evicted = 0;

  constructor(private readonly options: DedupOptions) {}

  get enabled(): boolean {
    return this.options.horizonMs > 0;
  }

  /**
   * The first occurrence when this alert is a duplicate of one (the same id and the same event time,
   * within the horizon); otherwise undefined, and the alert is remembered as a first occurrence whose
   * decision the caller fills in (decided()). The same id with another event time is a new alert (a
   * detector that keys its alerts by rule or entity reuses ids): it is decided, and remembered in
   * place of the older one.
   */
  check(id: string, timeMs: number): FirstOccurrence | undefined {
    if (timeMs > this.newestMs) this.newestMs = timeMs;
    const horizon = this.newestMs - this.options.horizonMs;
    this.expire(horizon);
    const seen = this.byId.get(id);
    if (seen !== undefined && seen.timeMs > horizon) {
      if (seen.timeMs === timeMs) return seen;
      this.reused++;
    }
    this.remember({ id, timeMs, decision: 'pass', ruleId: null, incidentId: undefined });
    return undefined;
  }

  /** Fills in the decision of the occurrence check() just remembered. */
  decided(decision: FirstDecision, ruleId: string | null, incidentId: string | undefined): void {
    const seen = this.queue[this.queue.length - 1]!;
    seen.decision = decision;
    seen.ruleId = ruleId;
    seen.incidentId = incidentId;
  }

  stats(): SeenAlertsStats {
    return { ids: this.byId.size, reused: this.reused, evicted: this.evicted };
  }

  snapshot(): SeenAlertsSnapshot {
    const ids: SeenAlertsSnapshot['ids'] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const s = this.queue[i]!;
      if (this.byId.get(s.id) === s) ids.push([s.id, s.timeMs, s.decision, s.ruleId, s.incidentId ?? null]);
    }
    return { newestMs: Number.isFinite(this.newestMs) ? this.newestMs : null, reused: this.reused, evicted: this.evicted, ids };
  }

  restore(snapshot: SeenAlertsSnapshot): void {
    this.byId.clear();
    this.queue = [];
    this.head = 0;
    for (const [id, timeMs, decision, ruleId, incidentId] of snapshot.ids) {
      this.remember({ id, timeMs, decision, ruleId, incidentId: incidentId ?? undefined });
    }
    this.newestMs = snapshot.newestMs ?? Number.NEGATIVE_INFINITY;
    this.reused = snapshot.reused;
    this.evicted = snapshot.evicted;
  }

  private remember(seen: FirstOccurrence): void {
    this.byId.set(seen.id, seen);
    this.queue.push(seen);
    // The queue can hold replaced entries too: bounding it bounds both.
    while (this.queue.length - this.head > this.options.maxIds) {
      const oldest = this.queue[this.head++]!;
      if (this.byId.get(oldest.id) === oldest) {
        this.byId.delete(oldest.id);
        this.evicted++;
      }
    }
    this.compact();
  }

  /**
   * Forgets the oldest-remembered ids at or before the horizon. The queue is in arrival order, not
   * event-time order, so an out-of-order id can stay behind a newer one a little longer; check()
   * compares its time with the horizon, so that never makes it a duplicate.
   */
  private expire(horizon: number): void {
    while (this.head < this.queue.length) {
      const oldest = this.queue[this.head]!;
      const live = this.byId.get(oldest.id) === oldest;
      if (live && oldest.timeMs > horizon) break;
      if (live) this.byId.delete(oldest.id);
      this.head++;
    }
    this.compact();
  }

  /** Drops the dead head of the queue once it is half of it: O(1) amortized. */
  private compact(): void {
    if (this.head >= COMPACT_MIN && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
