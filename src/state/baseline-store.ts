import { z } from 'zod';

/**
 * Spikes against a per-key baseline, for one rule's `spike` aggregate. Event time is cut into periods
 * of `periodMs` aligned to the epoch; each key counts its alerts per period. For an alert at `t` in
 * period p, the value is (the key's count in p, this alert included) / max(1, mean count over the
 * `periods` periods before p): 6 means six times the usual rate. A key seen for the first time less
 * than `periods` periods ago has no baseline yet: its value is 0 (it is new, not spiking).
 *
 * The store follows its rule's WindowStore as the sequence store does: the caller says whether the
 * window recorded the alert (a late one is answered as if counted, and not recorded). Periods older
 * than the baseline are forgotten; a key silent for `periods` periods is dropped (if it comes back, its
 * baseline starts again); maxKeys drops the least recently recorded key.
 */
export interface BaselineStoreOptions {
  readonly periodMs: number;
  readonly periods: number;
  readonly maxKeys: number;
}

export const BaselineStoreSnapshot = z
  .object({
    watermarkMs: z.number().nullable(),
    /** [key, first period seen, [period, count] from oldest to newest]. */
    keys: z.array(z.tuple([z.string(), z.number().int(), z.array(z.tuple([z.number().int(), z.number().int().nonnegative()]))])),
  })
  .strict();
export type BaselineStoreSnapshot = z.infer<typeof BaselineStoreSnapshot>;

interface KeyPeriods {
  first: number;
  /** [period, count], ascending by period. */
  counts: [number, number][];
}

export class BaselineStore {
  /** Map order is recency order: a recorded key is moved to the end. */
  private readonly keys = new Map<string, KeyPeriods>();
  private watermark = Number.NEGATIVE_INFINITY;
  private sweptPeriod = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: BaselineStoreOptions) {}

  /** The spike ratio for an alert at `timeMs` that `counts` (its where held); `record`: the window took it. */
  observe(key: string, timeMs: number, counts: boolean, record: boolean): number {
    if (record) this.advance(timeMs);
    const period = Math.floor(timeMs / this.options.periodMs);
    let held = this.keys.get(key);
    if (record && counts) {
      if (held) this.keys.delete(key);
      else {
        while (this.keys.size >= this.options.maxKeys) this.keys.delete(this.keys.keys().next().value!);
        held = { first: period, counts: [] };
      }
      this.keys.set(key, held);
      held.first = Math.min(held.first, period);
      increment(held.counts, period);
      this.forgetOld(held);
    }
    return this.ratio(held, period, counts && !record ? 1 : 0);
  }

  advance(watermarkMs: number): void {
    if (!(watermarkMs > this.watermark)) return;
    this.watermark = watermarkMs;
    const period = Math.floor(watermarkMs / this.options.periodMs);
    if (period === this.sweptPeriod) return;
    this.sweptPeriod = period;
    for (const [key, held] of this.keys) if (held.counts.length === 0 || held.counts[held.counts.length - 1]![0] < period - this.options.periods) this.keys.delete(key);
  }

  /** A watermark repair: the counts of periods after `toMs`'s period go, and so do keys first seen after it. */
  rewind(toMs: number): void {
    const period = Math.floor(toMs / this.options.periodMs);
    for (const [key, held] of this.keys) {
      held.counts = held.counts.filter(([p]) => p <= period);
      if (held.counts.length === 0 || held.first > period) this.keys.delete(key);
    }
    this.watermark = Math.min(this.watermark, toMs);
    this.sweptPeriod = Math.min(this.sweptPeriod, period);
  }

  snapshot(): BaselineStoreSnapshot {
    return {
      watermarkMs: Number.isFinite(this.watermark) ? this.watermark : null,
      keys: [...this.keys].map(([key, { first, counts }]) => [key, first, counts.map(([p, n]): [number, number] => [p, n])]),
    };
  }

  restore(snapshot: BaselineStoreSnapshot): void {
    this.keys.clear();
    for (const [key, first, counts] of snapshot.keys) this.keys.set(key, { first, counts: counts.map(([p, n]): [number, number] => [p, n]) });
    this.watermark = snapshot.watermarkMs ?? Number.NEGATIVE_INFINITY;
    this.sweptPeriod = Number.isFinite(this.watermark) ? Math.floor(this.watermark / this.options.periodMs) : Number.NEGATIVE_INFINITY;
  }

  private forgetOld(held: KeyPeriods): void {
    const oldest = Math.floor(this.watermark / this.options.periodMs) - this.options.periods - 1;
    let drop = 0;
    while (drop < held.counts.length && held.counts[drop]![0] < oldest) drop++;
    if (drop > 0) held.counts.splice(0, drop);
  }

  private ratio(held: KeyPeriods | undefined, period: number, extra: number): number {
    const { periods } = this.options;
    if (held === undefined || held.first > period - periods) return 0;
    let current = extra;
    let before = 0;
    for (const [p, n] of held.counts) {
      if (p === period) current += n;
      else if (p < period && p >= period - periods) before += n;
    }
    return current / Math.max(1, before / periods);
  }
}

function increment(counts: [number, number][], period: number): void {
  let i = counts.length;
  while (i > 0 && counts[i - 1]![0] > period) i--;
  if (i > 0 && counts[i - 1]![0] === period) counts[i - 1]![1]++;
  else counts.splice(i, 0, [period, 1]);
}
