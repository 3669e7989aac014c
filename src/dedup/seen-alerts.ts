import { z } from 'zod';

/**
 * The deduplication stage: alert ids remembered over an event-time horizon, so that an alert that
 * comes again (a forwarder's retry, a producer's redelivery) is decided as `duplicate` and never
 * reaches the windows or incidents a second time. docs/outputs.md, "Duplicates", says what counts as
 * the same alert and how to size it.
 */

/** 10 minutes of event time: forwarders and Kafka producers retry within seconds to minutes. */
export const DEFAULT_DEDUP_HORIZON_MS = 10 * 60_000;
/** ~12 MB of ids (docs/outputs.md: ~120 B per id): 166 alerts/s sustained over the default horizon. */
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

/** The ring's first capacity; it doubles as ids arrive, up to maxIds (rounded up to a power of two). */
const INITIAL_CAPACITY = 1024;
const DECISION_CODES: Readonly<Record<FirstDecision, number>> = { promote: 0, suppress: 1, pass: 2 };

/**
 * Alert ids with the event time they came with and how their first occurrence was decided, in the
 * order they were first seen: a ring of parallel arrays indexed by arrival (no object per alert, which
 * the young generation would copy as the ids outlive it) and a Map from id to its place in the ring.
 * Memory per id (docs/outputs.md measures it): the id string, its Map entry and five array slots; at
 * most maxIds of them.
 */
export class SeenAlerts {
  /** Id → its sequence number (arrival order); the ring slot is the sequence number modulo the capacity. */
  private readonly byId = new Map<string, number>();
  private capacity = INITIAL_CAPACITY;
  private ids: (string | undefined)[] = new Array<string | undefined>(INITIAL_CAPACITY).fill(undefined);
  private times = new Float64Array(INITIAL_CAPACITY);
  private decisions = new Uint8Array(INITIAL_CAPACITY);
  private ruleIds: (string | null)[] = new Array<string | null>(INITIAL_CAPACITY).fill(null);
  private incidentIds: (string | undefined)[] = new Array<string | undefined>(INITIAL_CAPACITY).fill(undefined);
  /** 1 while the slot's id is remembered; 0 once its id came again with another time (replaced) or went. */
  private live = new Uint8Array(INITIAL_CAPACITY);
  /** Sequence numbers of the oldest slot held and of the next one. */
  private head = 0;
  private tail = 0;
  private newestMs = Number.NEGATIVE_INFINITY;
  private reused = 0;
  private evicted = 0;

  constructor(private readonly options: DedupOptions) {}

  /**
   * The first occurrence when this alert is a duplicate of one (the same id and the same event time,
   * within the horizon); otherwise undefined, and the alert is remembered as a first occurrence whose
   * decision the caller fills in (decided()). The same id with another event time is a new alert (a
   * detector that keys its alerts by rule or entity reuses ids): it is decided, and remembered in
   * place of the older one.
   */
  check(id: string, timeMs: number, clockMs: number = timeMs): FirstOccurrence | undefined {
    // `clockMs`: how far this alert may move the horizon's event time (the pipeline bounds it, as it
    // bounds the watermark, so one alert dated 9999 does not make every id expire).
    if (clockMs > this.newestMs) this.newestMs = clockMs;
    const horizon = this.newestMs - this.options.horizonMs;
    this.expire(horizon);
    const seq = this.byId.get(id);
    if (seq !== undefined) {
      const slot = seq & (this.capacity - 1);
      const seenMs = this.times[slot]!;
      if (seenMs > horizon) {
        if (seenMs === timeMs) return this.occurrence(slot);
        this.reused++;
      }
      this.live[slot] = 0;
    }
    this.remember(id, timeMs, 2, null, undefined);
    return undefined;
  }

  /** Fills in the decision of the occurrence check() just remembered. */
  decided(decision: FirstDecision, ruleId: string | null, incidentId: string | undefined): void {
    const slot = (this.tail - 1) & (this.capacity - 1);
    this.decisions[slot] = DECISION_CODES[decision];
    this.ruleIds[slot] = ruleId;
    this.incidentIds[slot] = incidentId;
  }

  /** Forgets the occurrence check() just remembered: it was not decided (a dead letter), so a copy is no duplicate of it. */
  withdraw(): void {
    const slot = (this.tail - 1) & (this.capacity - 1);
    if (this.tail > this.head && this.live[slot] === 1) {
      this.byId.delete(this.ids[slot]!);
      this.live[slot] = 0;
    }
  }

  stats(): SeenAlertsStats {
    return { ids: this.byId.size, reused: this.reused, evicted: this.evicted };
  }

  snapshot(): SeenAlertsSnapshot {
    const ids: SeenAlertsSnapshot['ids'] = [];
    for (let seq = this.head; seq < this.tail; seq++) {
      const slot = seq & (this.capacity - 1);
      if (this.live[slot] === 1) ids.push([this.ids[slot]!, this.times[slot]!, FIRST_DECISIONS[this.decisions[slot]!]!, this.ruleIds[slot]!, this.incidentIds[slot] ?? null]);
    }
    return { newestMs: Number.isFinite(this.newestMs) ? this.newestMs : null, reused: this.reused, evicted: this.evicted, ids };
  }

  restore(snapshot: SeenAlertsSnapshot): void {
    this.byId.clear();
    this.head = 0;
    this.tail = 0;
    this.live.fill(0);
    for (const [id, timeMs, decision, ruleId, incidentId] of snapshot.ids) {
      this.remember(id, timeMs, DECISION_CODES[decision], ruleId, incidentId ?? undefined);
    }
    this.newestMs = snapshot.newestMs ?? Number.NEGATIVE_INFINITY;
    this.reused = snapshot.reused;
    this.evicted = snapshot.evicted;
  }

  private occurrence(slot: number): FirstOccurrence {
    return { id: this.ids[slot]!, timeMs: this.times[slot]!, decision: FIRST_DECISIONS[this.decisions[slot]!]!, ruleId: this.ruleIds[slot]!, incidentId: this.incidentIds[slot] };
  }

  private remember(id: string, timeMs: number, decision: number, ruleId: string | null, incidentId: string | undefined): void {
    // The ring holds replaced entries too: bounding it by maxIds bounds the ids as well.
    if (this.tail - this.head >= this.options.maxIds) this.dropOldest(true);
    else if (this.tail - this.head >= this.capacity) this.grow();
    const slot = this.tail & (this.capacity - 1);
    this.byId.set(id, this.tail);
    this.ids[slot] = id;
    this.times[slot] = timeMs;
    this.decisions[slot] = decision;
    this.ruleIds[slot] = ruleId;
    this.incidentIds[slot] = incidentId;
    this.live[slot] = 1;
    this.tail++;
  }

  /**
   * Forgets the oldest-remembered ids at or before the horizon. The ring is in arrival order, not
   * event-time order, so an out-of-order id can stay behind a newer one a little longer; check()
   * compares its time with the horizon, so that never makes it a duplicate.
   */
  private expire(horizon: number): void {
    while (this.head < this.tail) {
      const slot = this.head & (this.capacity - 1);
      if (this.live[slot] === 1 && this.times[slot]! > horizon) return;
      this.dropOldest(false);
    }
  }

  /** Lets the oldest slot go; `early`: to stay within maxIds (counted when its id was still remembered). */
  private dropOldest(early: boolean): void {
    const slot = this.head & (this.capacity - 1);
    if (this.live[slot] === 1) {
      this.byId.delete(this.ids[slot]!);
      this.live[slot] = 0;
      if (early) this.evicted++;
    }
    this.ids[slot] = undefined;
    this.ruleIds[slot] = null;
    this.incidentIds[slot] = undefined;
    this.head++;
  }

  /**
   * Doubles the ring (to at most maxIds rounded up to a power of two), each slot kept at its sequence
   * number. A sequence number's slot in the doubled ring is its old slot or that plus the old capacity,
   * so the typed arrays are copied whole into both halves (two block copies; the slots outside the held
   * range are rewritten before they are read), and the arrays of strings slot by slot over the held
   * range only, so no string is kept alive twice.
   */
  private grow(): void {
    const capacity = this.capacity * 2;
    this.times = doubled(this.times, new Float64Array(capacity));
    this.decisions = doubled(this.decisions, new Uint8Array(capacity));
    this.live = doubled(this.live, new Uint8Array(capacity));
    this.ids = this.moved(this.ids, new Array<string | undefined>(capacity).fill(undefined), capacity);
    this.ruleIds = this.moved(this.ruleIds, new Array<string | null>(capacity).fill(null), capacity);
    this.incidentIds = this.moved(this.incidentIds, new Array<string | undefined>(capacity).fill(undefined), capacity);
    this.capacity = capacity;
  }

  private moved<T>(from: T[], to: T[], capacity: number): T[] {
    for (let seq = this.head; seq < this.tail; seq++) to[seq & (capacity - 1)] = from[seq & (this.capacity - 1)]!;
    return to;
  }
}

/** `to` (twice `from`'s length) holding `from` in both halves. */
function doubled<T extends Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  to.set(from, from.length);
  return to;
}
