/**
 * A Prometheus histogram kept as plain numbers, for the hot path: observe() is a few comparisons and
 * three additions, no allocation and no prom-client call; metrics.ts exports it at scrape time.
 */
export class FixedHistogram {
  /** Upper bounds (`le`), ascending. */
  readonly bounds: Float64Array;
  /** Observations per bucket, not cumulative; the last one is `+Inf`. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new RangeError(`histogram bounds must ascend: ${bounds.join(', ')}`);
    }
    this.bounds = Float64Array.from(bounds);
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records `times` observations of `value` (a finite number: the caller clamps). */
  observe(value: number, times = 1): void {
    const bounds = this.bounds;
    // Beyond the top bound at once: a replay of old data puts every alert there.
    let i = value > bounds[bounds.length - 1]! ? bounds.length : 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]! += times;
    this.sum += value * times;
    this.count += times;
  }

  /** Cumulative counts per bound, `+Inf` last: the `_bucket` series. */
  cumulative(): { le: string; count: number }[] {
    const out: { le: string; count: number }[] = [];
    let running = 0;
    for (let i = 0; i < this.counts.length; i++) {
      running += this.counts[i]!;
      out.push({ le: i < this.bounds.length ? String(this.bounds[i]) : '+Inf', count: running });
    }
    return out;
  }
}
