import type { Metric, Registry } from 'prom-client';
/** What a histogram family exports: FixedHistogram, or one read from the ledger. */
export interface HistogramSource {
  readonly sum: number;
  readonly count: number;
  cumulative(): { le: string; count: number }[];
}

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One sample of a family: `suffix` is appended to the family's name (`_bucket`, `_sum`, `_count`). */
export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
  readonly suffix?: string;
}

export interface FamilySpec {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** Every label its samples may carry (documented, and checked in tests): rule ids and enums only. */
  readonly labelNames?: readonly string[];
  /** Reads the current samples at scrape time. */
  readonly collect: () => readonly Sample[] | Promise<readonly Sample[]>;
}

/**
 * A metric family whose samples are read from plain counts at scrape time, registered with prom-client
 * (which formats and serves it). Unlike prom-client's Counter, which can only be incremented, it shows
 * the source's value as it is: the pipeline's counts are the counters, so the hot path never calls
 * prom-client, and a count that starts again from zero (a reset window, a new process) is a counter
 * reset, which rate() and increase() handle.
 */
class CollectedMetric {
  constructor(private readonly spec: FamilySpec) {}

  get name(): string {
    return this.spec.name;
  }

  get help(): string {
    return this.spec.help;
  }

  get type(): MetricType {
    return this.spec.type;
  }

  async get() {
    const { name, help, type } = this.spec;
    const samples = await this.spec.collect();
    return {
      name,
      help,
      type,
      aggregator: 'sum' as const,
      values: samples.map((s) => ({ labels: { ...s.labels }, value: s.value, metricName: s.suffix === undefined ? name : name + s.suffix })),
    };
  }

  reset(): void {}
}

export function registerFamily(registry: Registry, spec: FamilySpec): void {
  // prom-client's Registry takes any object with its metrics' get() shape; its types name only its own classes.
  registry.registerMetric(new CollectedMetric(spec) as unknown as Metric);
}

/** The `_bucket`, `_sum` and `_count` samples of a histogram, with the given labels. */
export function histogramSamples(histogram: HistogramSource, labels: Readonly<Record<string, string>> = {}): Sample[] {
  const samples: Sample[] = histogram.cumulative().map(({ le, count }) => ({ labels: { ...labels, le }, value: count, suffix: '_bucket' }));
  samples.push({ labels, value: histogram.sum, suffix: '_sum' }, { labels, value: histogram.count, suffix: '_count' });
  return samples;
}
