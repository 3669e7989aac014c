import type { Ledger } from '../ledger/ledger.js';
import { sinceMsOf } from '../ledger/since.js';

/** What `alertgate report` and GET /report use when not told. */
export const REPORT_DEFAULTS = { since: '7d', minutesPerIncident: 15, top: 5 } as const;

/** A period that cannot be reported on; the message says what to give instead. */
export class ReportPeriodError extends Error {
  override name = 'ReportPeriodError';
}

/**
 * The period [from, to] of event time: it ends at `nowMs`, by default at the newest decision in the
 * ledger (the end of its event-time hour, the ledger's resolution for decisions: so every decision
 * recorded is in a default period, and a report over a replayed ledger reads the same every time),
 * and starts `since` before that (a duration) or at `since` (an ISO date-time).
 */
export async function reportPeriod(ledger: Ledger, since: string, nowMs: number | undefined): Promise<{ fromMs: number; toMs: number }> {
  // Not the newest incident: the decisions after it (passes, suppressions) belong in the period too.
  const toMs = nowMs ?? (await ledger.latestDecisionTimeMs());
  if (toMs === undefined) throw new ReportPeriodError(`${ledger.describe()} has no decisions to take the period's end from: give now (--now, ?now=)`);
  const fromMs = sinceMsOf(since, toMs)!;
  if (fromMs > toMs) throw new ReportPeriodError(`since ${since} is after the period's end ${new Date(toMs).toISOString()}`);
  return { fromMs, toMs };
}
