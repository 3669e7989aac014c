import { z } from 'zod';

/**
 * Ordered sequences per group key over event time, for one rule's `sequence` aggregate: "5 failed
 * logins, then a success, from one address within 10 minutes".
 *
 * Each event carries a step mask (bit i: step i's condition holds for it); only events that match some
 * step are held. For an event at `t`, the value is the number of steps completed in order by the held
 * events of its key in (t − size, t], in event-time order (equal times in arrival order): a greedy scan
 * that lets step i count its `counts[i]` matching events, then moves to step i + 1. The earliest
 * completion is the one a greedy scan finds, so it never misses a sequence that is there.
 *
 * The store follows its rule's WindowStore: the caller says whether the window recorded the event (a
 * late one is not recorded: it is answered over what is held plus itself), and moves both watermarks
 * together. Retention, idle sweeps, maxKeys (least recently recorded key goes) and maxEventsPerKey
 * (a key drops its oldest event) follow the window's rules.
 */
export interface SequenceStoreOptions {
  readonly sizeMs: number;
  readonly allowedLatenessMs: number;
  /** Events each step needs, in order. */
  readonly counts: readonly number[];
  readonly maxKeys: number;
  readonly maxEventsPerKey: number;
}

/** A store's whole state; keys from least to most recently recorded, so eviction order survives. */
export const SequenceStoreSnapshot = z
  .object({
    watermarkMs: z.number().nullable(),
    sweptAtMs: z.number().nullable(),
    /** [key, event times (non-decreasing), step masks]. */
    keys: z.array(z.tuple([z.string(), z.array(z.number()), z.array(z.number().int().nonnegative())])),
  })
  .strict();
export type SequenceStoreSnapshot = z.infer<typeof SequenceStoreSnapshot>;

interface KeyEvents {
  times: number[];
  masks: number[];
}

export class SequenceStore {
  /** Map order is recency order: a recorded key is moved to the end. */
  private readonly keys = new Map<string, KeyEvents>();
  private watermark = Number.NEGATIVE_INFINITY;
  private sweptAt = Number.NEGATIVE_INFINITY;
  private readonly sweepEveryMs: number;

  constructor(private readonly options: SequenceStoreOptions) {
    this.sweepEveryMs = (options.sizeMs + options.allowedLatenessMs) / 4;
  }

  /**
   * The steps completed in order by the key's events in (timeMs − size, timeMs], this one included.
   * `record`: the window took the event (not late); it is then held for later events.
   */
  observe(key: string, timeMs: number, mask: number, record: boolean): number {
    if (record) this.advance(timeMs);
    const held = this.keys.get(key);
    if (!record || mask === 0) return this.scan(held, timeMs, mask);
    const events = held ?? this.create(key);
    if (held) {
      this.keys.delete(key);
      this.keys.set(key, held);
    }
    this.forgetOld(events);
    if (events.times.length >= this.options.maxEventsPerKey) {
      events.times.shift();
      events.masks.shift();
    }
    // After every event at the same time: equal times keep their arrival order.
    let at = events.times.length;
    while (at > 0 && events.times[at - 1]! > timeMs) at--;
    events.times.splice(at, 0, timeMs);
    events.masks.splice(at, 0, mask);
    return this.scan(events, timeMs, 0);
  }

  advance(watermarkMs: number): void {
    if (!(watermarkMs > this.watermark)) return;
    this.watermark = watermarkMs;
    if (this.watermark - this.sweptAt < this.sweepEveryMs) return;
    this.sweptAt = this.watermark;
    const horizon = this.horizon();
    for (const [key, events] of this.keys) if (events.times[events.times.length - 1]! <= horizon) this.keys.delete(key);
  }

  /** A watermark repair (WindowStore.rewind): events after `toMs` go, as if never recorded. */
  rewind(toMs: number): number {
    let dropped = 0;
    for (const [key, events] of this.keys) {
      let keep = events.times.length;
      while (keep > 0 && events.times[keep - 1]! > toMs) keep--;
      dropped += events.times.length - keep;
      events.times.length = keep;
      events.masks.length = keep;
      if (keep === 0) this.keys.delete(key);
    }
    this.watermark = Math.min(this.watermark, toMs);
    this.sweptAt = Math.min(this.sweptAt, toMs);
    return dropped;
  }

  snapshot(): SequenceStoreSnapshot {
    return {
      watermarkMs: Number.isFinite(this.watermark) ? this.watermark : null,
      sweptAtMs: Number.isFinite(this.sweptAt) ? this.sweptAt : null,
      keys: [...this.keys].map(([key, { times, masks }]) => [key, [...times], [...masks]]),
    };
  }

  restore(snapshot: SequenceStoreSnapshot): void {
    this.keys.clear();
    for (const [key, times, masks] of snapshot.keys) this.keys.set(key, { times: [...times], masks: [...masks] });
    this.watermark = snapshot.watermarkMs ?? Number.NEGATIVE_INFINITY;
    this.sweptAt = snapshot.sweptAtMs ?? Number.NEGATIVE_INFINITY;
  }

  get size(): number {
    return this.keys.size;
  }

  private create(key: string): KeyEvents {
    while (this.keys.size >= this.options.maxKeys) this.keys.delete(this.keys.keys().next().value!);
    const events: KeyEvents = { times: [], masks: [] };
    this.keys.set(key, events);
    return events;
  }

  private horizon(): number {
    return this.watermark - this.options.sizeMs - this.options.allowedLatenessMs;
  }

  private forgetOld(events: KeyEvents): void {
    const horizon = this.horizon();
    let drop = 0;
    while (drop < events.times.length && events.times[drop]! <= horizon) drop++;
    if (drop > 0) {
      events.times.splice(0, drop);
      events.masks.splice(0, drop);
    }
  }

  /** The greedy scan of (timeMs − size, timeMs]; `extraMask` (≠ 0) is an unrecorded event at timeMs, after the held ones at that time. */
  private scan(events: KeyEvents | undefined, timeMs: number, extraMask: number): number {
    const { counts } = this.options;
    const from = Math.max(timeMs - this.options.sizeMs, this.horizon());
    let step = 0;
    let seen = 0;
    const take = (mask: number): boolean => {
      if ((mask & (1 << step)) !== 0 && ++seen === counts[step]) {
        step++;
        seen = 0;
      }
      return step === counts.length;
    };
    if (events !== undefined) {
      const { times, masks } = events;
      for (let i = 0; i < times.length && times[i]! <= timeMs; i++) if (times[i]! > from && take(masks[i]!)) return step;
    }
    if (extraMask !== 0) take(extraMask);
    return step;
  }
}
