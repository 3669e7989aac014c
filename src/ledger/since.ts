import { parseDuration } from '../state/index.js';

/**
 * `--since` and `?since=`: an ISO date-time, or a duration (`30d`, `12h`) counted back from `newestMs`,
 * the newest event time in the ledger. Event time, not the wall clock: a ledger of replayed data
 * reads the same as a live one. Undefined `text` means no bound.
 */
export function sinceMsOf(text: string | undefined, newestMs: number | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+(ms|s|m|h|d)$/.test(text)) return newestMs === undefined ? undefined : newestMs - parseDuration(text);
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) throw new Error(`since: expected an ISO date-time or a duration such as 30d, got "${text}"`);
  return ms;
}

/** The pattern `since` values must match (for schemas). */
export const SINCE_PATTERN = /^(\d+(ms|s|m|h|d)|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:\d{2}))?)$/;
