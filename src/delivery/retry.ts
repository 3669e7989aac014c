import { backoffMs, type Backoff } from '../kafka/backoff.js';

/**
 * The wait before retry `attempt` (1 = the first retry): the doubling backoff, scaled by a jitter in
 * [0.5, 1) from `random` so that many notifications failing together do not come back together; never
 * less than what the receiver asked for (429 Retry-After).
 */
export function retryDelayMs(attempt: number, backoff: Backoff, random: () => number, retryAfterMs?: number): number {
  const jittered = Math.round(backoffMs(attempt, backoff) * (0.5 + random() / 2));
  return Math.max(jittered, retryAfterMs ?? 0);
}
