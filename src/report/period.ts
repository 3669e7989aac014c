import type { Ledger } from '../ledger/ledger.js';
import { MAX_PERIOD, MAX_PERIOD_MS, parseSince, type Since } from '../ledger/since.js';

/** What `alertgate report` and GET /report use when not told. */
export const REPORT_DEFAULTS = { since: '7d', minutesPerIncident: 15, top: 5 } as const;

const DAY_MS = 86_400_000;

/** A period that cannot be reported on; the message says what to give instead. */
export class ReportPeriodError extends Error {
  override name = 'ReportPeriodError';
}

/**
 * The period [from, to] of event time: it ends at `nowMs`, by default at the newest decision in the
 * ledger (the end of its event-time hour, the ledger's resolution for decisions: so every decision
 * recorded is in a default period, and a report over a replayed ledger reads the same every time),
 * and starts `since` before that (a duration) or at `since` (an ISO date-time). It is then clipped to
 * the UTC days the ledger has data on (its oldest and newest event), so a period reaching back to year
 * 1 costs what the data costs; what remains may be at most MAX_PERIOD long.
 */
export async function reportPeriod(ledger: Ledger, since: string, nowMs: number | undefined): Promise<{ fromMs: number; toMs: number }> {
  // Not the newest incident: the decisions after it (passes, suppressions) belong in the period too.
  let toMs = nowMs ?? (await ledger.latestDecisionTimeMs());
  if (toMs === undefined) throw new ReportPeriodError(`${ledger.describe()} has no decisions to take the period's end from: give now (--now, ?now=)`);
  let start: Since;
  try {
    start = parseSince(since);
  } catch (err) {
    throw new ReportPeriodError(`since: ${(err as Error).message}`);
  }
  let fromMs = start.kind === 'duration' ? toMs - start.ms : start.ms;
  if (fromMs > toMs) throw new ReportPeriodError(`since ${since} is after the period's end ${iso(toMs)}`);
  const data = await ledger.eventTimeSpan();
  if (data !== undefined) {
    const clippedFrom = Math.max(fromMs, Math.floor(data.oldestMs / DAY_MS) * DAY_MS);
    const clippedTo = Math.min(toMs, Math.floor(data.newestMs / DAY_MS) * DAY_MS + DAY_MS - 1);
    // A period wholly outside the data stays as asked: its report is empty, and says so.
    if (clippedFrom <= clippedTo) [fromMs, toMs] = [clippedFrom, clippedTo];
  }
  checkPeriodLength(fromMs, toMs);
  return { fromMs, toMs };
}

/** The bound every report holds: at most MAX_PERIOD of event time (one row per UTC day of it). */
export function checkPeriodLength(fromMs: number, toMs: number): void {
  if (!(toMs - fromMs <= MAX_PERIOD_MS)) {
    throw new ReportPeriodError(
      `the period ${iso(fromMs)} … ${iso(toMs)} (within the ledger's data) is longer than the maximum of ${MAX_PERIOD}: give a later since or an earlier now`,
    );
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
