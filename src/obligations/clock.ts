/**
 * The obligations clock's pure decisions: when it acts next on a running obligation, and what it does
 * then (remind, or record it missed). src/obligations/keeper.ts runs them on the injected clock.
 */

/** The first reminder after `afterMs` (reminders `remindMs` before the due time), else the due time itself. */
export function nextAt(dueMs: number, remindMs: readonly number[], afterMs: number): number {
  const times = remindMs.map((lead) => dueMs - lead).filter((t) => t > afterMs);
  return times.length > 0 ? Math.min(...times) : dueMs;
}

export type ObligationStep = { readonly kind: 'remind'; readonly nextAtMs: number } | { readonly kind: 'missed' };

/**
 * What a running obligation whose next moment has come does at `nowMs`: past its due time it is missed;
 * before it, a reminder goes out (one, however many were skipped while nothing ran) and the clock waits
 * for the next reminder or the due time.
 */
export function obligationStep(dueMs: number, remindMs: readonly number[], nowMs: number): ObligationStep {
  if (nowMs >= dueMs) return { kind: 'missed' };
  return { kind: 'remind', nextAtMs: nextAt(dueMs, remindMs, nowMs) };
}

/** `3d 4h`, `45m`: how long until (or since) a deadline, for people. */
export function formatSpan(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / 60_000);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const parts = [d > 0 ? `${d}d` : '', h > 0 ? `${h}h` : '', m > 0 && d === 0 ? `${m}m` : ''].filter((p) => p !== '');
  return parts.length > 0 ? parts.join(' ') : '0m';
}
