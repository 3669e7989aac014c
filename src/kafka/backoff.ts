/** Waits between attempts: doubling from `initialMs`, capped at `maxMs`. Deterministic, so tests can reason about it. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 10_000 };

/** The wait before attempt `attempt` (1 = the first retry). */
export function backoffMs(attempt: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
}

/**
 * The doubling backoff scaled by a jitter in [0.5, 1) from `random`, so that loops failing together
 * (a broker restart fails every client at once) do not come back together.
 */
export function jitteredBackoffMs(attempt: number, backoff: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  return Math.round(backoffMs(attempt, backoff) * (0.5 + random() / 2));
}
