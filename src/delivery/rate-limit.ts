/** A rate: `perSecond` tokens a second, at most `burst` saved up. */
export interface Rate {
  readonly perSecond: number;
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/**
 * Token buckets, one per key (a receiver, or a receiver and its target such as a Slack channel), on an
 * injected clock: take() spends a token when there is one, or says how long until there is.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly rateOf: (key: string) => Rate) {}

  /** 0 when a token was spent for `key` at `nowMs`; otherwise the ms until one is free (nothing spent). */
  take(key: string, nowMs: number): number {
    const rate = this.rateOf(key);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, (bucket = { tokens: rate.burst, atMs: nowMs }));
    bucket.tokens = Math.min(rate.burst, bucket.tokens + (Math.max(0, nowMs - bucket.atMs) * rate.perSecond) / 1000);
    bucket.atMs = nowMs;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / rate.perSecond);
  }
}
