import { z } from 'zod';
import { AGGREGATE_KINDS, AggregatePlan, type AggregateValue } from './aggregate-plan.js';
import { hash32 } from './hash.js';
import { KeyWindow, KeyWindowSnapshot, type WindowShape } from './key-window.js';
import { RecencyList } from './recency-list.js';
import { HLL_MAX_PRECISION, HLL_MIN_PRECISION } from './sliding-hll.js';

/** Default bound on the events one rule's window holds over all its keys. */
export const DEFAULT_MAX_EVENTS = 1_000_000;
/** Default bound on the events one key holds. */
export const DEFAULT_MAX_EVENTS_PER_KEY = 100_000;

export const WindowStoreOptions = z.object({
  /** Window length: an event sees the events of its key in (t - sizeMs, t]. */
  sizeMs: z.number().positive(),
  /** How far behind the watermark an event may be and still be recorded. */
  allowedLatenessMs: z.number().nonnegative(),
  /** Hard cap on keys held; a new key beyond it evicts the least recently recorded key. */
  maxKeys: z.number().int().positive(),
  /** Hard cap on events held over all keys: at it, a key drops its oldest event to take a new one (a new key evicts the least recently recorded key). */
  maxEvents: z.number().int().positive().default(DEFAULT_MAX_EVENTS),
  /** Hard cap on events held by one key: at it, the key drops its oldest event to take a new one. */
  maxEventsPerKey: z.number().int().positive().default(DEFAULT_MAX_EVENTS_PER_KEY),
  aggregates: z
    .array(
      z.object({
        kind: z.enum(AGGREGATE_KINDS),
        approximate: z.object({ precision: z.number().int().min(HLL_MIN_PRECISION).max(HLL_MAX_PRECISION) }).optional(),
      }),
    )
    .readonly(),
});
export type WindowStoreOptions = z.input<typeof WindowStoreOptions>;

export type ObserveVerdict = 'ok' | 'late';

/** A store's whole state: keys from least to most recently recorded, so eviction order survives. */
export const WindowStoreSnapshot = z
  .object({
    /** -Infinity (nothing seen yet) is written as null. */
    watermarkMs: z.number().nullable(),
    sweptAtMs: z.number().nullable(),
    lateEvents: z.number().int().nonnegative(),
    idleEvictions: z.number().int().nonnegative(),
    overflowEvictions: z.number().int().nonnegative(),
    /** (Absent from version 1 checkpoints, as are the following.) */
    droppedEvents: z.number().int().nonnegative().default(0),
    lossyObservations: z.number().int().nonnegative().default(0),
    /** The evicted-key slots that can still mark a window lossy: [slot, until when windows may miss events]. */
    evictedSlots: z.array(z.tuple([z.number().int().nonnegative(), z.number()])).default([]),
    keys: z.array(KeyWindowSnapshot),
  })
  .strict();
export type WindowStoreSnapshot = z.infer<typeof WindowStoreSnapshot>;

export interface WindowStoreStats {
  /** Keys held, idle ones not yet swept included. */
  keys: number;
  /** Events held across all keys, forgotten ones not yet compacted away excluded. */
  events: number;
  /** Events refused as later than allowedLatenessMs behind the watermark. */
  lateEvents: number;
  /** Keys dropped because none of their events could matter any more. */
  idleEvictions: number;
  /** Keys dropped while still holding live events, to stay within maxKeys or maxEvents: counts may read low after one. */
  overflowEvictions: number;
  /** Events a key let go before their time, to stay within maxEvents or maxEventsPerKey. */
  droppedEvents: number;
  /** Alerts whose aggregates read a window that had lost state (lossy in their decision's explanation). */
  lossyObservations: number;
}

/**
 * Slots remembering, by key hash, until when windows of keys evicted while live would have held their
 * events (newest event + size, or later if the key had dropped events): a key made again before then
 * may have lost events. Sharing a slot can only mark a window lossy that was not (never the reverse).
 * 16,384 slots (128 KiB), allocated at the first such eviction.
 */
const EVICTED_SLOTS = 1 << 14;

/**
 * Sliding-window aggregates (count, distinct, sum) per group key over event time, for one rule.
 *
 * - The watermark is the largest event time observed (or passed to advance()).
 * - An event more than allowedLatenessMs behind the watermark is late: it is not recorded, and its
 *   `out` is computed over what the store still retains, i.e. the events in
 *   (watermark - sizeMs - allowedLatenessMs, t], plus the late event itself.
 * - Retention: events at or before watermark - sizeMs - allowedLatenessMs can no longer fall inside
 *   the window of an accepted event, so they are forgotten (lazily, when their key is next recorded).
 *   Keys whose newest event is that old are idle and are swept each time the watermark advances by a
 *   quarter of (sizeMs + allowedLatenessMs); a sweep walks the recency list from the least recently
 *   recorded key and stops at the first key recent enough that no later key can be idle.
 * - maxKeys: a new key beyond the cap evicts the least recently *recorded* key (not the oldest
 *   created), so a long-running, busy key survives a flood of one-off keys.
 * - maxEventsPerKey and maxEvents: a key at its bound, or any key while the store holds maxEvents,
 *   drops its own oldest event to record a new one (a new key then evicts the least recently recorded
 *   key), so one busy key cannot take the others' room.
 * - Lost state is said, not hidden: an alert whose window ends before (dropped event's time + size), or
 *   whose key was evicted live and made again within size of its newest event, is observed as lossy
 *   (`lossy` after observe(); counted), and its aggregates may read low.
 */
export class WindowStore {
  private readonly shape: WindowShape;
  private readonly latenessMs: number;
  private maxKeys: number;
  private maxEvents: number;
  private maxEventsPerKey: number;
  private readonly sweepEveryMs: number;
  private readonly keys = new Map<string, KeyWindow>();
  private readonly recency = new RecencyList<KeyWindow>();
  private watermark = -Infinity;
  private sweptAt = -Infinity;
  private events = 0;
  private lateEvents = 0;
  private idleEvictions = 0;
  private overflowEvictions = 0;
  private droppedEvents = 0;
  private lossyObservations = 0;
  /** Until when windows may miss evicted live keys' events, by slot (EVICTED_SLOTS); undefined before the first. */
  private evicted: Float64Array | undefined;
  private lastLossy = false;

  constructor(options: WindowStoreOptions) {
    const parsed = WindowStoreOptions.safeParse(options);
    if (!parsed.success) throw new Error(`invalid window store options:\n${z.prettifyError(parsed.error)}`);
    const { sizeMs, allowedLatenessMs, maxKeys, maxEvents, maxEventsPerKey, aggregates } = parsed.data;
    this.shape = { plan: new AggregatePlan(aggregates), sizeMs, scratch: new Set() };
    this.latenessMs = allowedLatenessMs;
    this.maxKeys = maxKeys;
    this.maxEvents = maxEvents;
    this.maxEventsPerKey = maxEventsPerKey;
    this.sweepEveryMs = (sizeMs + allowedLatenessMs) / 4;
  }

  get watermarkMs(): number {
    return this.watermark;
  }

  /** Whether the last observe() read a window that had lost state (its aggregates may read low). */
  get lossy(): boolean {
    return this.lastLossy;
  }

  /** New memory bounds (a rule reload that changed only them keeps the state); the next records move within them. */
  setLimits(limits: { maxKeys: number; maxEvents: number; maxEventsPerKey: number }): void {
    this.maxKeys = limits.maxKeys;
    this.maxEvents = limits.maxEvents;
    this.maxEventsPerKey = limits.maxEventsPerKey;
  }

  /**
   * Records one event of `key` at event time `timeMs` and writes into `out[i]` aggregate i over
   * (timeMs - sizeMs, timeMs], this event included and later events excluded. `values[i]` is
   * aggregate i's input: a distinct aggregate counts distinct values (SameValueZero; undefined is
   * no value), a sum adds finite numbers only (anything else adds 0; the caller parses strings).
   */
  observe(key: string, timeMs: number, values: readonly AggregateValue[], out: Float64Array): ObserveVerdict {
    if (!Number.isFinite(timeMs)) throw new RangeError(`event time must be a finite number of ms, got ${timeMs}`);
    if (timeMs < this.watermark - this.latenessMs) {
      this.lateEvents++;
      this.answerLate(key, timeMs, values, out);
      return 'late';
    }
    this.advance(timeMs);
    let window = this.keys.get(key);
    if (window === undefined) {
      window = this.create(key, timeMs, values);
      this.shape.plan.writeLone(values, out);
    } else {
      while (window.retained > 0 && (window.retained >= this.maxEventsPerKey || this.events >= this.maxEvents)) {
        window.dropOldest(this.shape);
        this.events--;
        this.droppedEvents++;
      }
      const before = window.retained;
      window.record(timeMs, values, this.horizon(), out, this.shape);
      this.events += window.retained - before;
      this.recency.touch(window);
    }
    this.noteLossy(window.lossyAt(timeMs));
    return 'ok';
  }

  /** Moves the watermark forward (never back), e.g. from the event time of other rules' alerts, so idle keys can go. */
  advance(watermarkMs: number): void {
    if (!(watermarkMs > this.watermark)) return;
    this.watermark = watermarkMs;
    if (this.watermark - this.sweptAt >= this.sweepEveryMs) this.sweepIdle();
  }

  /**
   * Moves the watermark back to `toMs` and drops every event after it, as if they had not been recorded
   * (a watermark repair: they were counted at times the stream never reached). What the later watermark
   * allowed it to forget is forgotten, whether or not it had been yet (so what is kept does not depend on
   * when keys were last recorded): the store then holds the events in (old horizon, toMs]. A key left
   * with no event goes. Returns the events dropped after `toMs`.
   */
  rewind(toMs: number): number {
    const horizon = this.horizon();
    let dropped = 0;
    for (const window of [...this.keys.values()]) {
      const before = window.retained;
      dropped += window.rewind(toMs, horizon, this.shape);
      this.events -= before - window.retained;
      if (window.retained === 0) this.evict(window);
    }
    this.watermark = Math.min(this.watermark, toMs);
    this.sweptAt = Math.min(this.sweptAt, toMs);
    return dropped;
  }

  /** Everything the store holds, as JSON-safe data; restore() into a store of the same options continues exactly. */
  snapshot(): WindowStoreSnapshot {
    const keys: KeyWindowSnapshot[] = [];
    for (let w = this.recency.oldest; w !== undefined; w = w.newer) keys.push(w.snapshot(this.shape.plan));
    return {
      watermarkMs: finiteOrNull(this.watermark),
      sweptAtMs: finiteOrNull(this.sweptAt),
      lateEvents: this.lateEvents,
      idleEvictions: this.idleEvictions,
      overflowEvictions: this.overflowEvictions,
      droppedEvents: this.droppedEvents,
      lossyObservations: this.lossyObservations,
      evictedSlots: this.liveEvictedSlots(),
      keys,
    };
  }

  /** Replaces the store's state with a snapshot's. */
  restore(snapshot: WindowStoreSnapshot): void {
    this.keys.clear();
    while (this.recency.oldest !== undefined) this.recency.remove(this.recency.oldest);
    this.events = 0;
    for (const keySnapshot of snapshot.keys) {
      const window = KeyWindow.restore(keySnapshot, this.shape);
      this.keys.set(window.key, window);
      this.recency.pushNewest(window);
      this.events += window.retained;
    }
    this.watermark = snapshot.watermarkMs ?? -Infinity;
    this.sweptAt = snapshot.sweptAtMs ?? -Infinity;
    this.lateEvents = snapshot.lateEvents;
    this.idleEvictions = snapshot.idleEvictions;
    this.overflowEvictions = snapshot.overflowEvictions;
    this.droppedEvents = snapshot.droppedEvents;
    this.lossyObservations = snapshot.lossyObservations;
    this.evicted = undefined;
    for (const [slot, until] of snapshot.evictedSlots) (this.evicted ??= new Float64Array(EVICTED_SLOTS).fill(Number.NEGATIVE_INFINITY))[slot] = until;
    this.lastLossy = false;
  }

  stats(): WindowStoreStats {
    return {
      keys: this.keys.size,
      events: this.events,
      lateEvents: this.lateEvents,
      idleEvictions: this.idleEvictions,
      overflowEvictions: this.overflowEvictions,
      droppedEvents: this.droppedEvents,
      lossyObservations: this.lossyObservations,
    };
  }

  /** Events at or before this time can no longer fall inside an accepted event's window. */
  private horizon(): number {
    return this.watermark - this.shape.sizeMs - this.latenessMs;
  }

  private answerLate(key: string, timeMs: number, values: readonly AggregateValue[], out: Float64Array): void {
    const window = this.keys.get(key);
    if (window === undefined) {
      this.shape.plan.writeLone(values, out);
      this.noteLossy(timeMs < this.evictedUntil(key));
    } else {
      window.peek(timeMs, values, Math.max(timeMs - this.shape.sizeMs, this.horizon()), out, this.shape);
      this.noteLossy(window.lossyAt(timeMs));
    }
  }

  private noteLossy(lossy: boolean): void {
    this.lastLossy = lossy;
    if (lossy) this.lossyObservations++;
  }

  private create(key: string, timeMs: number, values: readonly AggregateValue[]): KeyWindow {
    while (this.keys.size > 0 && (this.keys.size >= this.maxKeys || this.events >= this.maxEvents)) {
      const victim = this.recency.oldest!;
      if (this.latestEventMs(victim) <= this.horizon()) this.idleEvictions++;
      else {
        this.overflowEvictions++;
        this.rememberEvicted(victim);
      }
      this.evict(victim);
    }
    const window = new KeyWindow(key, timeMs, values, this.shape);
    // Out-of-order and late events of the key can still reach back before timeMs: keep the whole bound.
    const lostUntil = this.evictedUntil(key);
    if (lostUntil > this.horizon()) window.markLossy(lostUntil);
    this.keys.set(key, window);
    this.recency.pushNewest(window);
    this.events++;
    return window;
  }

  /**
   * The newest event a key had, dropped ones included: after dropping its oldest retained event, an
   * out-of-order event can leave a key whose retained events are all older than the one it dropped.
   * Only a key whose every event is at or before the horizon is idle.
   */
  private latestEventMs(window: KeyWindow): number {
    return window.lossyUntilMs === undefined ? window.newestMs : Math.max(window.newestMs, window.lossyUntilMs - this.shape.sizeMs);
  }

  /**
   * A live key is evicted: windows of a key in its slot ending before its newest event + size (or its
   * own lossy bound, when it had already dropped newer events) may miss its events.
   */
  private rememberEvicted(victim: KeyWindow): void {
    const slots = (this.evicted ??= new Float64Array(EVICTED_SLOTS).fill(Number.NEGATIVE_INFINITY));
    const slot = hash32(victim.key) & (EVICTED_SLOTS - 1);
    const until = Math.max(victim.newestMs + this.shape.sizeMs, victim.lossyUntilMs ?? Number.NEGATIVE_INFINITY);
    if (until > slots[slot]!) slots[slot] = until;
  }

  /** Until when windows of `key` may miss the events of an evicted key (-Infinity: nothing lost). */
  private evictedUntil(key: string): number {
    return this.evicted === undefined ? Number.NEGATIVE_INFINITY : this.evicted[hash32(key) & (EVICTED_SLOTS - 1)]!;
  }

  /** The slots that can still mark a window lossy: those whose bound is past the retention horizon. */
  private liveEvictedSlots(): [number, number][] {
    const slots: [number, number][] = [];
    if (this.evicted === undefined) return slots;
    const horizon = this.horizon();
    for (let slot = 0; slot < EVICTED_SLOTS; slot++) {
      const until = this.evicted[slot]!;
      if (until > horizon) slots.push([slot, until]);
    }
    return slots;
  }

  /**
   * Keys are in recency-list order of their last recording, and an accepted event is at most
   * allowedLatenessMs behind the watermark, so a key's newest time is at least (newest time of any
   * key recorded before it) - allowedLatenessMs. Once a key's newest time is past watermark - sizeMs,
   * no later key can be idle: the walk stops there.
   */
  private sweepIdle(): void {
    this.sweptAt = this.watermark;
    const horizon = this.horizon();
    const stopAfter = this.watermark - this.shape.sizeMs;
    let window = this.recency.oldest;
    while (window !== undefined && window.newestMs <= stopAfter) {
      const next = window.newer;
      if (this.latestEventMs(window) <= horizon) {
        this.evict(window);
        this.idleEvictions++;
      }
      window = next;
    }
  }

  private evict(window: KeyWindow): void {
    this.keys.delete(window.key);
    this.recency.remove(window);
    this.events -= window.retained;
  }
}

function finiteOrNull(ms: number): number | null {
  return Number.isFinite(ms) ? ms : null;
}
