import { jitteredBackoffMs, type Backoff } from '../kafka/backoff.js';

/**
 * The wait before retry `attempt` (1 = the first retry): the jittered doubling backoff, so that many
 * notifications failing together do not come back together; never less than what the receiver asked
 * for (429 Retry-After).
 */
export function retryDelayMs(attempt: number, backoff: Backoff, random: () => number, retryAfterMs?: number): number {
  return Math.max(jitteredBackoffMs(attempt, backoff, random), retryAfterMs ?? 0);
}
