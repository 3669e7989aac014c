import { z } from 'zod';
import type { AggregatePlan, AggregateValue } from './aggregate-plan.js';
import { hash32 } from './hash.js';
import { SlidingHll, SlidingHllSnapshot } from './sliding-hll.js';

/** One key's retained events as plain data (see WindowStore.snapshot). */
export const KeyWindowSnapshot = z
  .object({
    key: z.string(),
    /** Retained event times, non-decreasing. */
    times: z.array(z.number()),
    /** `stride` value cells per event (undefined, a missing distinct value, is written as null). */
    cells: z.array(z.union([z.string(), z.number(), z.null()])),
    /** Running sums exactly as accumulated: recomputing them could round differently. */
    sums: z.array(z.number()),
    /** Index in `times` where the running window starts. */
    windowStart: z.number().int().nonnegative(),
    /** Events of this key's windows before this time may be missing (KeyWindow.lossyAt). */
    lossyUntilMs: z.number().optional(),
    /** Approximate distinct columns that went over their exact limit: their sketches, by distinct column. */
    sketches: z.array(z.object({ column: z.number().int().nonnegative(), sketch: SlidingHllSnapshot }).strict()).optional(),
  })
  .strict();
export type KeyWindowSnapshot = z.infer<typeof KeyWindowSnapshot>;

/** What every key of one store shares: the aggregates, the window size and a scratch set for slow-path distincts. */
export interface WindowShape {
  readonly plan: AggregatePlan;
  readonly sizeMs: number;
  readonly scratch: Set<AggregateValue>;
}

/** Below this many forgotten events the array is not compacted: splicing a few slots costs more than it frees. */
const COMPACT_MIN = 16;

/**
 * An approximate distinct count is exact while its window holds at most this many distinct values
 * (2^p / 16: 256 at p = 12, where exact state costs about what the sketch does); beyond, the key
 * switches to its sketch for good (until the key is dropped).
 */
export function exactLimitOf(precision: number): number {
  return 2 ** precision / 16;
}

/** A distinct column's value as the sketch hashes it: numbers apart from the strings that print the same, as the exact count keeps them. */
function hashOf(value: string | number): number {
  return typeof value === 'string' ? hash32(value) : hash32(String(value), 1);
}

/**
 * One key's retained events, sorted by time, and the running aggregates of the "running window":
 * the events within sizeMs of the key's newest event. In-order events (time ≥ newest) slide the
 * running window in O(1) amortized; out-of-order events are inserted in place (O(events after it)) and
 * their window is derived from the running one or scanned, whichever touches fewer events. One object
 * and one small array per key (plus value rows only if an aggregate needs them) keeps a million keys
 * affordable.
 */
export class KeyWindow {
  /** Links of the store's recency list (least recently recorded first). */
  older: KeyWindow | undefined = undefined;
  newer: KeyWindow | undefined = undefined;

  /** Event times, non-decreasing. Entries before `head` are forgotten and dropped at the next compaction. */
  private readonly times: number[];
  private head = 0;
  /** First index of the running window; every index from here to the end is within sizeMs of the newest event. */
  private winStart = 0;
  /** `stride` value cells per event, indexed like `times`; undefined for count-only stores. */
  private readonly cells: AggregateValue[] | undefined;
  /** Running sum per sum column over the running window. */
  private readonly sums: number[] | undefined;
  /** Running value → occurrences per distinct column over the running window (emptied when the column switches to a sketch). */
  private readonly seen: Map<AggregateValue, number>[] | undefined;
  /** Per distinct column, its sketch once an approximate column outgrew exact counting; undefined while all are exact. */
  private sketches: (SlidingHll | undefined)[] | undefined = undefined;
  /**
   * Windows ending before this time may miss events this key had (events dropped at maxEvents, or
   * the key itself evicted at maxKeys and made again); undefined when nothing was lost.
   */
  lossyUntilMs: number | undefined = undefined;

  constructor(
    readonly key: string,
    timeMs: number,
    values: readonly AggregateValue[],
    shape: WindowShape,
  ) {
    const { plan } = shape;
    // A one-element literal, not push(): V8 would reserve 17 slots on the first push.
    this.times = [timeMs];
    const distinctColumns = plan.stride - plan.sumColumns;
    this.cells = plan.stride > 0 ? plan.row(values) : undefined;
    this.sums = plan.sumColumns > 0 ? new Array<number>(plan.sumColumns).fill(0) : undefined;
    this.seen = distinctColumns > 0 ? Array.from({ length: distinctColumns }, () => new Map()) : undefined;
    this.enter(0, shape);
  }

  /** A key's window rebuilt from its snapshot: the same events, running window, sums and sketches. */
  static restore(snapshot: KeyWindowSnapshot, shape: WindowShape): KeyWindow {
    const { plan } = shape;
    const { times, cells, sums, windowStart } = snapshot;
    if (times.length === 0 || cells.length !== times.length * plan.stride || sums.length !== plan.sumColumns) {
      throw new Error(`window snapshot of key ${JSON.stringify(snapshot.key)} does not fit its rule's aggregates`);
    }
    const window = new KeyWindow(snapshot.key, times[0]!, [], shape);
    window.times.length = 0;
    window.times.push(...times);
    if (window.cells !== undefined) {
      window.cells.length = 0;
      for (const cell of cells) window.cells.push(cell === null ? undefined : cell);
    }
    if (window.sums !== undefined) for (let c = 0; c < sums.length; c++) window.sums[c] = sums[c]!;
    window.sketches = undefined;
    for (const { column, sketch } of snapshot.sketches ?? []) {
      const precision = plan.precisions[column];
      if (!precision) throw new Error(`window snapshot of key ${JSON.stringify(snapshot.key)} has a sketch for an exact column`);
      (window.sketches ??= new Array<SlidingHll | undefined>(plan.precisions.length).fill(undefined))[column] = SlidingHll.restore(sketch, precision, shape.sizeMs);
    }
    if (window.seen !== undefined) {
      for (const seen of window.seen) seen.clear();
      for (let e = windowStart; e < times.length; e++) {
        for (let c = plan.sumColumns; c < plan.stride; c++) {
          if (window.sketches?.[c - plan.sumColumns] === undefined) tally(window.seen[c - plan.sumColumns]!, window.cells![e * plan.stride + c], 1);
        }
      }
    }
    window.winStart = windowStart;
    if (snapshot.lossyUntilMs !== undefined) window.lossyUntilMs = snapshot.lossyUntilMs;
    return window;
  }

  snapshot(plan: AggregatePlan): KeyWindowSnapshot {
    const head = this.head;
    const stride = plan.stride;
    const cells = this.cells === undefined ? [] : this.cells.slice(head * stride).map((c) => (c === undefined ? null : c));
    const snapshot: KeyWindowSnapshot = { key: this.key, times: this.times.slice(head), cells, sums: this.sums ? [...this.sums] : [], windowStart: this.winStart - head };
    if (this.lossyUntilMs !== undefined) snapshot.lossyUntilMs = this.lossyUntilMs;
    const sketches = this.sketches?.flatMap((sketch, column) => (sketch ? [{ column, sketch: sketch.snapshot() }] : []));
    if (sketches && sketches.length > 0) snapshot.sketches = sketches;
    return snapshot;
  }

  /** Whether the window ending at `timeMs` may miss events this key had (dropped or evicted state). */
  lossyAt(timeMs: number): boolean {
    return this.lossyUntilMs !== undefined && timeMs < this.lossyUntilMs;
  }

  /** Marks windows ending before `untilMs` as possibly missing events. */
  markLossy(untilMs: number): void {
    if (this.lossyUntilMs === undefined || untilMs > this.lossyUntilMs) this.lossyUntilMs = untilMs;
  }

  /**
   * Forgets the oldest retained event before its time, to stay within a memory bound (maxEvents):
   * windows that would have held it are marked lossy. Call only with at least one event retained.
   */
  dropOldest(shape: WindowShape): void {
    const at = this.head;
    const timeMs = this.times[at]!;
    if (at === this.winStart) {
      this.leave(at, shape.plan);
      this.winStart++;
    }
    this.head = at + 1;
    this.markLossy(timeMs + shape.sizeMs);
    this.compact(shape.plan.stride);
  }

  get newestMs(): number {
    return this.times[this.times.length - 1]!;
  }

  /** Events not yet forgotten. */
  get retained(): number {
    return this.times.length - this.head;
  }

  /**
   * Records an event the store accepted (not late) and writes the aggregates over (t - sizeMs, t]
   * into `out`. `horizon` is the store's retention bound: events at or before it are forgotten.
   */
  record(timeMs: number, values: readonly AggregateValue[], horizon: number, out: Float64Array, shape: WindowShape): void {
    if (timeMs >= this.newestMs) {
      this.append(timeMs, values, shape);
      this.writeRunning(out, shape.plan);
    } else {
      const at = this.insert(timeMs, values, shape);
      const from = upperBound(this.times, this.head, at, timeMs - shape.sizeMs);
      this.writeRange(from, at + 1, undefined, out, shape);
    }
    this.forgetThrough(horizon, shape.plan.stride);
  }

  /**
   * Keeps only the events in (horizonMs, timeMs] (a watermark moved back to timeMs; the store may have
   * forgotten anything at or before horizonMs already) and rebuilds the running window over them.
   * Returns how many events after timeMs went. With none left (`retained` 0) the store removes the key.
   */
  rewind(timeMs: number, horizonMs: number, shape: WindowShape): number {
    const { plan } = shape;
    const times = this.times;
    const keep = upperBound(times, this.head, times.length, timeMs);
    const dropped = times.length - keep;
    const head = upperBound(times, this.head, keep, horizonMs);
    if (dropped === 0 && head === this.head) return 0;
    times.length = keep;
    if (this.cells !== undefined) this.cells.length = keep * plan.stride;
    this.head = head;
    this.sums?.fill(0);
    if (this.seen !== undefined) for (const seen of this.seen) seen.clear();
    // A sketch cannot give values back: it counts the dropped events until they leave its window, so
    // the windows until then are marked as possibly wrong.
    if (this.sketches !== undefined) this.markLossy(timeMs + shape.sizeMs);
    this.winStart = keep === head ? keep : upperBound(times, head, keep, times[keep - 1]! - shape.sizeMs);
    for (let e = this.winStart; e < keep; e++) this.enter(e, shape);
    return dropped;
  }

  /**
   * Writes the aggregates over (fromMs, t] plus one unrecorded event at t, without changing anything:
   * how a late event is answered.
   */
  peek(timeMs: number, values: readonly AggregateValue[], fromMs: number, out: Float64Array, shape: WindowShape): void {
    const from = upperBound(this.times, this.head, this.times.length, fromMs);
    const to = upperBound(this.times, from, this.times.length, timeMs);
    this.writeRange(from, to, shape.plan.row(values), out, shape);
  }

  /** The fast path: slide the running window to end at t, then add the event at the end. */
  private append(timeMs: number, values: readonly AggregateValue[], shape: WindowShape): void {
    const { plan } = shape;
    const cutoff = timeMs - shape.sizeMs;
    const times = this.times;
    let start = this.winStart;
    while (start < times.length && times[start]! <= cutoff) this.leave(start++, plan);
    this.winStart = start;
    times.push(timeMs);
    if (this.cells !== undefined) {
      for (let c = 0; c < plan.stride; c++) this.cells.push(plan.cell(values, c));
    }
    this.enter(times.length - 1, shape);
  }

  /** The slow path: sorted insert after any equal times; returns the new event's index. */
  private insert(timeMs: number, values: readonly AggregateValue[], shape: WindowShape): number {
    const { plan } = shape;
    const at = upperBound(this.times, this.head, this.times.length, timeMs);
    this.times.splice(at, 0, timeMs);
    this.cells?.splice(at * plan.stride, 0, ...plan.row(values));
    // The event lands either inside the running window or before it, shifting its start.
    if (timeMs > this.newestMs - shape.sizeMs) this.enter(at, shape);
    else {
      this.winStart++;
      // A sketch counts by time, not by running window: it still takes the value (it ignores values too old for any window).
      if (this.sketches !== undefined) this.sketchValues(at, shape);
    }
    return at;
  }

  /**
   * Forgets events at or before `horizon`. Only events before the running window go: the store's
   * horizon never reaches into the window of an accepted event, and stopping there keeps the running
   * aggregates exact. Compaction waits until half the array is forgotten, so it is O(1) amortized.
   */
  private forgetThrough(horizon: number, stride: number): void {
    const times = this.times;
    let head = this.head;
    while (head < this.winStart && times[head]! <= horizon) head++;
    this.head = head;
    this.compact(stride);
  }

  /** Drops the forgotten head once it is half the array, so forgetting is O(1) amortized. */
  private compact(stride: number): void {
    const head = this.head;
    if (head >= COMPACT_MIN && head * 2 >= this.times.length) {
      this.times.splice(0, head);
      this.cells?.splice(0, head * stride);
      this.winStart -= head;
      this.head = 0;
    }
  }

  private enter(index: number, shape: WindowShape): void {
    if (this.cells === undefined) return;
    const { plan } = shape;
    const base = index * plan.stride;
    for (let c = 0; c < plan.sumColumns; c++) this.sums![c]! += this.cells[base + c] as number;
    for (let c = plan.sumColumns; c < plan.stride; c++) {
      const d = c - plan.sumColumns;
      const sketch = this.sketches?.[d];
      const value = this.cells[base + c];
      if (sketch !== undefined) {
        if (value !== undefined) sketch.add(hashOf(value), this.times[index]!);
        this.cells[base + c] = undefined;
        continue;
      }
      const seen = this.seen![d]!;
      tally(seen, value, 1);
      const precision = plan.precisions[d]!;
      if (precision > 0 && seen.size > exactLimitOf(precision)) this.switchToSketch(d, precision, shape);
    }
  }

  /** Gives the values of an event that did not enter the running window to the column sketches. */
  private sketchValues(index: number, { plan }: WindowShape): void {
    const base = index * plan.stride;
    for (let d = 0; d < this.sketches!.length; d++) {
      const sketch = this.sketches![d];
      if (sketch === undefined) continue;
      const value = this.cells![base + plan.sumColumns + d];
      if (value !== undefined) sketch.add(hashOf(value), this.times[index]!);
      this.cells![base + plan.sumColumns + d] = undefined;
    }
  }

  /**
   * An approximate distinct column outgrew exact counting: its retained values go into a sketch and
   * are let go, and the column is counted by the sketch from now on.
   */
  private switchToSketch(column: number, precision: number, { plan, sizeMs }: WindowShape): void {
    const sketch = new SlidingHll(precision, sizeMs);
    const c = plan.sumColumns + column;
    for (let e = this.head; e < this.times.length; e++) {
      const value = this.cells![e * plan.stride + c];
      if (value !== undefined) sketch.add(hashOf(value), this.times[e]!);
      this.cells![e * plan.stride + c] = undefined;
    }
    (this.sketches ??= new Array<SlidingHll | undefined>(plan.precisions.length).fill(undefined))[column] = sketch;
    this.seen![column]!.clear();
  }

  private leave(index: number, plan: AggregatePlan): void {
    if (this.cells === undefined) return;
    const base = index * plan.stride;
    // An empty window resets sums to exactly 0, so floating-point residue cannot pile up forever.
    const emptied = index === this.times.length - 1;
    for (let c = 0; c < plan.sumColumns; c++) {
      this.sums![c] = emptied ? 0 : this.sums![c]! - (this.cells[base + c] as number);
    }
    // A sketch column's cells are empty: tallying them changes nothing.
    for (let c = plan.sumColumns; c < plan.stride; c++) tally(this.seen![c - plan.sumColumns]!, this.cells[base + c], -1);
  }

  /** A distinct column's count over the running window: its exact values, or its sketch's estimate. */
  private distinctRunning(column: number): number {
    const sketch = this.sketches?.[column];
    return sketch !== undefined ? sketch.estimate() : this.seen![column]!.size;
  }

  private writeRunning(out: Float64Array, plan: AggregatePlan): void {
    const count = this.times.length - this.winStart;
    for (let i = 0; i < plan.kinds.length; i++) {
      const c = plan.columns[i]!;
      out[i] = c < 0 ? count : c < plan.sumColumns ? this.sums![c]! : this.distinctRunning(c - plan.sumColumns);
    }
  }

  /**
   * Aggregates over events [from, to) plus an optional unrecorded `extra` row. When the range ends
   * inside the running window, it is the running window with both ends adjusted: for an event a little
   * out of order that touches a few events instead of a whole busy window. Otherwise it is scanned.
   */
  private writeRange(from: number, to: number, extra: AggregateValue[] | undefined, out: Float64Array, shape: WindowShape): void {
    const { plan } = shape;
    const n = this.times.length;
    const start = this.winStart;
    const adjusted = to > start && n - to + Math.abs(start - from) < to - from;
    for (let i = 0; i < plan.kinds.length; i++) {
      const c = plan.columns[i]!;
      if (c < 0) {
        out[i] = to - from + (extra === undefined ? 0 : 1);
      } else if (c < plan.sumColumns) {
        const sum = adjusted
          ? this.sums![c]! - this.sumOf(c, to, n, plan) + (from <= start ? this.sumOf(c, from, start, plan) : -this.sumOf(c, start, from, plan))
          : this.sumOf(c, from, to, plan);
        out[i] = sum + (extra === undefined ? 0 : (extra[c] as number));
      } else if (this.sketches?.[c - plan.sumColumns] !== undefined) {
        // A sketch only knows the window ending at the key's newest event (docs/rules.md: out-of-order alerts).
        out[i] = this.distinctRunning(c - plan.sumColumns);
      } else {
        out[i] = adjusted ? this.distinctAdjusted(c, from, to, extra?.[c], plan) : this.distinctScanned(c, from, to, extra?.[c], shape);
      }
    }
  }

  private sumOf(column: number, from: number, to: number, plan: AggregatePlan): number {
    let sum = 0;
    for (let e = from; e < to; e++) sum += this.cells![e * plan.stride + column] as number;
    return sum;
  }

  private distinctScanned(column: number, from: number, to: number, extra: AggregateValue, shape: WindowShape): number {
    const { plan, scratch } = shape;
    if (extra !== undefined) scratch.add(extra);
    for (let e = from; e < to; e++) {
      const value = this.cells![e * plan.stride + column];
      if (value !== undefined) scratch.add(value);
    }
    const size = scratch.size;
    scratch.clear();
    return size;
  }

  /** Shifts the running value counts to [from, to), reads the size, and shifts them back. */
  private distinctAdjusted(column: number, from: number, to: number, extra: AggregateValue, plan: AggregatePlan): number {
    const seen = this.seen![column - plan.sumColumns]!;
    const start = this.winStart;
    const [lo, hi, sign] = from <= start ? [from, start, 1] : [start, from, -1];
    this.tallyRange(seen, column, to, this.times.length, -1, plan);
    this.tallyRange(seen, column, lo, hi, sign, plan);
    const size = seen.size + (extra !== undefined && !seen.has(extra) ? 1 : 0);
    this.tallyRange(seen, column, lo, hi, -sign, plan);
    this.tallyRange(seen, column, to, this.times.length, 1, plan);
    return size;
  }

  private tallyRange(seen: Map<AggregateValue, number>, column: number, from: number, to: number, delta: number, plan: AggregatePlan): void {
    for (let e = from; e < to; e++) tally(seen, this.cells![e * plan.stride + column], delta);
  }
}

/** Adds `delta` occurrences of a value; a value with none left is removed, so size is the distinct count. */
function tally(seen: Map<AggregateValue, number>, value: AggregateValue, delta: number): void {
  if (value === undefined) return;
  const n = (seen.get(value) ?? 0) + delta;
  if (n === 0) seen.delete(value);
  else seen.set(value, n);
}

/** First index in [lo, hi) whose time is > `timeMs` (hi if none): binary search over sorted times. */
function upperBound(times: readonly number[], lo: number, hi: number, timeMs: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= timeMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
