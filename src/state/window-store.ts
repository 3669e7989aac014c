import { z } from 'zod';
import { AGGREGATE_KINDS, AggregatePlan, type AggregateValue } from './aggregate-plan.js';
import { KeyWindow, KeyWindowSnapshot, type WindowShape } from './key-window.js';
import { RecencyList } from './recency-list.js';

export const WindowStoreOptions = z.object({
  /** Window length: an event sees the events of its key in (t - sizeMs, t]. */
  sizeMs: z.number().positive(),
  /** How far behind the watermark an event may be and still be recorded. */
  allowedLatenessMs: z.number().nonnegative(),
  /** Hard cap on keys held; a new key beyond it evicts the least recently recorded key. */
  maxKeys: z.number().int().positive(),
  aggregates: z.array(z.object({ kind: z.enum(AGGREGATE_KINDS) })).readonly(),
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
  /** Keys dropped while still holding live events, to stay within maxKeys: counts may read low after one. */
  overflowEvictions: number;
}

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
 */
export class WindowStore {
  private readonly shape: WindowShape;
  private readonly latenessMs: number;
  private readonly maxKeys: number;
  private readonly sweepEveryMs: number;
  private readonly keys = new Map<string, KeyWindow>();
  private readonly recency = new RecencyList<KeyWindow>();
  private watermark = -Infinity;
  private sweptAt = -Infinity;
  private events = 0;
  private lateEvents = 0;
  private idleEvictions = 0;
  private overflowEvictions = 0;

  constructor(options: WindowStoreOptions) {
    const parsed = WindowStoreOptions.safeParse(options);
    if (!parsed.success) throw new Error(`invalid window store options:\n${z.prettifyError(parsed.error)}`);
    const { sizeMs, allowedLatenessMs, maxKeys, aggregates } = parsed.data;
    this.shape = { plan: new AggregatePlan(aggregates.map((a) => a.kind)), sizeMs, scratch: new Set() };
    this.latenessMs = allowedLatenessMs;
    this.maxKeys = maxKeys;
    this.sweepEveryMs = (sizeMs + allowedLatenessMs) / 4;
  }

  get watermarkMs(): number {
    return this.watermark;
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
    const window = this.keys.get(key);
    if (window === undefined) {
      this.create(key, timeMs, values);
      this.shape.plan.writeLone(values, out);
      return 'ok';
    }
    const before = window.retained;
    window.record(timeMs, values, this.horizon(), out, this.shape);
    this.events += window.retained - before;
    this.recency.touch(window);
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
      keys,
    };
  }

  /** Replaces the store's state with a snapshot's. */
  restore(snapshot: WindowStoreSnapshot): void {
    this.keys.clear();
    while (this.recency.oldest !== undefined) this.recency.remove(this.recency.oldest);
    this.events = 0;
    for (const keySnapshot of snapshot.keys) {
      const window = KeyWindow.restore(keySnapshot, this.shape.plan);
      this.keys.set(window.key, window);
      this.recency.pushNewest(window);
      this.events += window.retained;
    }
    this.watermark = snapshot.watermarkMs ?? -Infinity;
    this.sweptAt = snapshot.sweptAtMs ?? -Infinity;
    this.lateEvents = snapshot.lateEvents;
    this.idleEvictions = snapshot.idleEvictions;
    this.overflowEvictions = snapshot.overflowEvictions;
  }

  stats(): WindowStoreStats {
    return {
      keys: this.keys.size,
      events: this.events,
      lateEvents: this.lateEvents,
      idleEvictions: this.idleEvictions,
      overflowEvictions: this.overflowEvictions,
    };
  }

  /** Events at or before this time can no longer fall inside an accepted event's window. */
  private horizon(): number {
    return this.watermark - this.shape.sizeMs - this.latenessMs;
  }

  private answerLate(key: string, timeMs: number, values: readonly AggregateValue[], out: Float64Array): void {
    const window = this.keys.get(key);
    if (window === undefined) this.shape.plan.writeLone(values, out);
    else window.peek(timeMs, values, Math.max(timeMs - this.shape.sizeMs, this.horizon()), out, this.shape);
  }

  private create(key: string, timeMs: number, values: readonly AggregateValue[]): void {
    if (this.keys.size >= this.maxKeys) {
      const victim = this.recency.oldest!;
      if (victim.newestMs <= this.horizon()) this.idleEvictions++;
      else this.overflowEvictions++;
      this.evict(victim);
    }
    const window = new KeyWindow(key, timeMs, values, this.shape.plan);
    this.keys.set(key, window);
    this.recency.pushNewest(window);
    this.events++;
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
      if (window.newestMs <= horizon) {
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
