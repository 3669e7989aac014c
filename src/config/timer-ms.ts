import { z } from 'zod';

/** The longest delay Node's timers take (2^31 − 1 ms, ~24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A config field in milliseconds that ends up in a timer: positive, whole, and within what a timer can wait. */
export function timerMs(defaultMs: number) {
  return z.number().int().positive().max(MAX_TIMER_MS, `at most ${MAX_TIMER_MS} ms (about 24.8 days): Node's timers cannot wait longer`).default(defaultMs);
}
