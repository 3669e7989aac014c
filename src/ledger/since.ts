import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../state/duration.js';

/**
 * The longest period anything looks back over: a `since` duration (API, CLI, config) and a report's
 * period. docs/api.md and docs/report.md say so; longer asks for an ISO date-time (a report's period is
 * still at most this long once clipped to the ledger's data).
 */
export const MAX_PERIOD = '400d';
export const MAX_PERIOD_MS = parseDuration(MAX_PERIOD);

/** An ISO date-time as `--now`, `--at` and `since` take it: a date, or a date and time with a zone. */
export const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?$/;

/** The pattern `since` values must match (for schemas: the OpenAPI document shows it). */
export const SINCE_PATTERN = /^(\d+(ms|s|m|h|d)|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?)$/;

/** `since` as written: a duration back from the newest event time in the ledger, or a moment (epoch ms). */
export type Since = { readonly kind: 'duration'; readonly ms: number } | { readonly kind: 'time'; readonly ms: number };

/**
 * `--since` and `?since=` (one parser for every place that takes one): an ISO date-time, or a duration
 * (`30d`, `12h`) of at most MAX_PERIOD. Throws an Error saying what is expected; the caller names the
 * option or field.
 */
export function parseSince(text: string): Since {
  if (DURATION_PATTERN.test(text)) return { kind: 'duration', ms: parseDuration(text, MAX_PERIOD) };
  const ms = Date.parse(text);
  if (!ISO_TIME.test(text) || Number.isNaN(ms)) throw new Error(`expected a duration such as 7d or 36h (at most ${MAX_PERIOD}), or an ISO date-time, got ${JSON.stringify(text)}`);
  return { kind: 'time', ms };
}

/**
 * The epoch ms a `since` means: a duration counts back from `newestMs`, the newest event time in the
 * ledger. Event time, not the wall clock: a ledger of replayed data reads the same as a live one.
 * Undefined `text` means no bound, as does a duration over an empty ledger (there is nothing to bound).
 */
export function sinceMsOf(text: string | undefined, newestMs: number | undefined): number | undefined {
  if (text === undefined) return undefined;
  const since = parseSince(text);
  if (since.kind === 'time') return since.ms;
  return newestMs === undefined ? undefined : newestMs - since.ms;
}

/** A `since` field of an API query or body: the pattern, and parseSince's checks as located 400s. */
export function sinceField(example: string) {
  return z
    .string()
    .regex(SINCE_PATTERN, `expected an ISO date-time or a duration such as ${example}`)
    .superRefine((text, ctx) => {
      if (!SINCE_PATTERN.test(text)) return;
      try {
        parseSince(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    });
}
