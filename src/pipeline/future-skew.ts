import { z } from 'zod';
import { EVENT_TIME_DEFAULTS, type EventTimeConfig } from '../config/event-time.js';
import { parseDuration } from '../state/duration.js';

/**
 * Consecutive future-dated alerts, within maxFutureSkew of each other and from two sources or more (or
 * from the one source of a one-source stream), that show the stream jumped.
 */
export const JUMP_ALERTS = 10;
/** The alerts decided at their own time that streamTime() is taken from. */
export const STREAM_TIME_ALERTS = 16;

/**
 * The bound's state (part of PipelineSnapshot): the event times the recent alerts claimed and those of
 * the last ones decided at their own time, oldest first; the future-dated alerts since the last alert
 * decided at its own time ([time, source], up to JUMP_ALERTS).
 */
export const FutureSkewSnapshot = z
  .object({
    recent: z.array(z.number()),
    decided: z.array(z.number()).max(STREAM_TIME_ALERTS),
    /** The sources of the last alerts decided at their own time, oldest first (whether the stream has one source). */
    decidedSources: z.array(z.string()).max(STREAM_TIME_ALERTS).default([]),
    run: z.array(z.tuple([z.number(), z.string()])).max(JUMP_ALERTS),
  })
  .strict();
export type FutureSkewSnapshot = z.infer<typeof FutureSkewSnapshot>;

/** A fixed number of the latest values, oldest first. */
class Ring {
  private readonly values: Float64Array;
  private next = 0;
  size = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  push(value: number): void {
    if (this.values.length === 0) return;
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.values.length;
    if (this.size < this.values.length) this.size++;
  }

  /** The values, oldest first, into `out` (from index 0); returns how many. */
  copyTo(out: Float64Array | number[]): number {
    const start = this.size < this.values.length ? 0 : this.next;
    for (let i = 0; i < this.size; i++) out[i] = this.values[(start + i) % this.values.length]!;
    return this.size;
  }

  toArray(): number[] {
    const out: number[] = [];
    this.copyTo(out);
    return out;
  }

  fill(values: readonly number[]): void {
    this.next = 0;
    this.size = 0;
    for (let i = Math.max(0, values.length - this.values.length); i < values.length; i++) this.push(values[i]!);
  }
}

/**
 * The bound on how far one alert may move event time ahead of the others (docs/rules.md, "Event time
 * and clock skew"). An alert is future-dated when its event time is more than maxFutureSkew past
 *
 *     reference = max(watermark, median of the event times the last `recentAlerts` alerts claimed)
 *
 * unless it completes a jump of the whole stream. A future-dated alert never moves the watermark (a
 * clamp decides it at the reference, which the watermark has reached already or may move to), so no
 * number of alerts from a source whose clock is ahead by more than maxFutureSkew can.
 *
 * - The watermark (newest event time decided) makes the bound cost nothing on an ordinary stream: an
 *   alert at most maxFutureSkew past it is decided at its own time without looking further, however
 *   quiet the stream was before it (up to maxFutureSkew).
 * - A jump: the stream itself moves on by more than maxFutureSkew (an input down for longer, its backlog
 *   lost; a quiet night on a small stream). Its first alerts are future-dated; JUMP_ALERTS of them in a
 *   row (no alert decided at its own time in between), within maxFutureSkew of each other and from at
 *   least two sources, show that it is the stream and not one wrong clock, whose alerts come between
 *   the others' (which break the run) or all from one source: the last of them is decided at its own
 *   time and moves the watermark. On a stream of one source (its last STREAM_TIME_ALERTS alerts decided
 *   at their own time all came from it), a run of that source alone shows the jump: there is no other
 *   clock to tell a wrong one from.
 * - The median is the last resort of a jump no run shows: once more than half of the recent alerts
 *   claim times past it, the reference follows. A minority of future-dated alerts never moves the
 *   median.
 *
 * Everything here is a function of the sequence of alerts, never of a clock: a replay gives the same
 * decisions, and a pipeline restored from a snapshot continues exactly.
 */
export class FutureSkewBound {
  readonly maxFutureSkewMs: number;
  /** Claimed event times of the last `recentAlerts` alerts. */
  private readonly recent: Ring;
  /** Claimed event times of the last STREAM_TIME_ALERTS alerts decided at their own time. */
  private readonly decided = new Ring(STREAM_TIME_ALERTS);
  /** The sources of those alerts, in a ring of their own (slot `decidedSlot` is the next to write). */
  private decidedSources: string[] = [];
  private decidedSlot = 0;
  /** The future-dated alerts since the last alert decided at its own time: [claimed time, source], the last JUMP_ALERTS. */
  private run: [number, string][] = [];
  /** Where the median is selected, so that no alert allocates. */
  private readonly scratch: Float64Array;

  constructor(readonly options: EventTimeConfig = EVENT_TIME_DEFAULTS) {
    const off = options.maxFutureSkew === 'off';
    this.maxFutureSkewMs = off ? Number.POSITIVE_INFINITY : parseDuration(options.maxFutureSkew);
    this.recent = new Ring(off ? 0 : options.recentAlerts);
    this.scratch = new Float64Array(off ? 0 : options.recentAlerts);
  }

  /**
   * The time to decide an alert from `source` claiming `timeMs` at: `timeMs` itself, or, when it is
   * future-dated, the reference (a clamp decides it there; a dead letter names it).
   */
  place(timeMs: number, watermarkMs: number, source: string): number {
    const skew = this.maxFutureSkewMs;
    if (skew === Number.POSITIVE_INFINITY) return timeMs;
    let at = timeMs;
    // Within maxFutureSkew of the watermark: the common case, decided without looking further.
    if (!(timeMs <= watermarkMs + skew)) {
      const reference = Math.max(watermarkMs, this.median());
      // The first alert of a fresh state has nothing to be compared with.
      if (reference > Number.NEGATIVE_INFINITY && timeMs > reference + skew && !this.jumped(timeMs, source)) at = reference;
    }
    if (at === timeMs) {
      // Setting an array's length is a runtime call in V8 (it cost a tenth of the pipeline's time per alert): only when there is a run.
      if (this.run.length !== 0) this.run.length = 0;
      this.decided.push(timeMs);
      this.decidedSources[this.decidedSlot] = source;
      this.decidedSlot = (this.decidedSlot + 1) % STREAM_TIME_ALERTS;
    }
    this.recent.push(timeMs);
    return at;
  }

  /**
   * The stream's event time, for people (GET /watermark, alertgate_watermark_lead_seconds, a reset to
   * `recent`): the newest of the last STREAM_TIME_ALERTS alerts decided at their own time that is within
   * maxFutureSkew of their median, so one odd alert among them does not count. -Infinity before any.
   */
  streamTime(): number {
    const times = this.decided.toArray().sort((a, b) => a - b);
    if (times.length === 0) return Number.NEGATIVE_INFINITY;
    const limit = times[(times.length - 1) >> 1]! + this.maxFutureSkewMs;
    let newest = Number.NEGATIVE_INFINITY;
    for (const time of times) if (time <= limit) newest = time;
    return newest;
  }

  /** The lower median of the recent claimed times; -Infinity before any alert. */
  median(): number {
    const n = this.recent.copyTo(this.scratch);
    return n === 0 ? Number.NEGATIVE_INFINITY : select(this.scratch, n, (n - 1) >> 1);
  }

  /** How many claimed times the median is taken from now (up to recentAlerts). */
  get sampled(): number {
    return this.recent.size;
  }

  snapshot(): FutureSkewSnapshot {
    const sources = this.decidedSources;
    const decidedSources = sources.length < STREAM_TIME_ALERTS ? [...sources] : [...sources.slice(this.decidedSlot), ...sources.slice(0, this.decidedSlot)];
    return { recent: this.recent.toArray(), decided: this.decided.toArray(), decidedSources, run: this.run.map(([time, source]) => [time, source]) };
  }

  /** Replaces the state with a snapshot's (its newest `recentAlerts` times, if it holds more). */
  restore(snapshot: FutureSkewSnapshot): void {
    this.recent.fill(snapshot.recent);
    this.decided.fill(snapshot.decided);
    this.decidedSources = [...snapshot.decidedSources];
    this.decidedSlot = this.decidedSources.length % STREAM_TIME_ALERTS;
    this.run = snapshot.run.map(([time, source]) => [time, source]);
  }

  /** Adds a future-dated alert to the run; whether the run now shows a jump of the whole stream. */
  private jumped(timeMs: number, source: string): boolean {
    const run = this.run;
    if (run.length === JUMP_ALERTS) run.shift();
    run.push([timeMs, source]);
    if (run.length < JUMP_ALERTS) return false;
    let low = timeMs;
    let high = timeMs;
    let sources = false;
    for (const [time, from] of run) {
      if (time < low) low = time;
      if (time > high) high = time;
      if (from !== source) sources = true;
    }
    return (sources || this.oneSourceStream(source)) && high - low <= this.maxFutureSkewMs;
  }

  /** The last alerts decided at their own time all came from `source` (and there were enough to say so). */
  private oneSourceStream(source: string): boolean {
    const sources = this.decidedSources;
    return sources.length === STREAM_TIME_ALERTS && sources.every((s) => s === source);
  }
}

/** The k-th smallest of values[0, n) (Hoare's quickselect; reorders them). */
function select(values: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const swap = values[i]!;
        values[i++] = values[j]!;
        values[j--] = swap;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k]!;
  }
  return values[k]!;
}
