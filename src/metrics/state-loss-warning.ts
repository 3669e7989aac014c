import type { Logger } from 'pino';
import type { WindowStoreStats } from '../state/index.js';

/** At most one warning per this much wall-clock time while windows keep losing state. */
export const STATE_LOSS_WARNING_INTERVAL_MS = 60_000;

type RuleWindowStats = { readonly ruleId: string; readonly stats: WindowStoreStats };

/**
 * Logs, at most once a minute (injected clock) while it goes on, that windows are deciding on lost
 * state: which rules, how many alerts were decided on it since the last warning, and why (keys
 * evicted live at maxKeys, events dropped at maxEvents). The metrics count the same; this is the line
 * an operator sees without a dashboard. Call check() after each input batch.
 */
export class StateLossWarning {
  private last = new Map<string, WindowStoreStats>();
  private warnedAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: Pick<Logger, 'warn'>,
    private readonly now: () => number = Date.now,
  ) {}

  check(windows: readonly RuleWindowStats[]): void {
    const nowMs = this.now();
    if (nowMs - this.warnedAtMs < STATE_LOSS_WARNING_INTERVAL_MS) return;
    const rules = [];
    for (const { ruleId, stats } of windows) {
      const before = this.last.get(ruleId);
      const lossy = stats.lossyObservations - (before?.lossyObservations ?? 0);
      if (lossy <= 0) continue;
      rules.push({
        rule: ruleId,
        lossyDecisions: lossy,
        overflowEvictions: stats.overflowEvictions - (before?.overflowEvictions ?? 0),
        droppedEvents: stats.droppedEvents - (before?.droppedEvents ?? 0),
        keys: stats.keys,
        events: stats.events,
      });
    }
    if (rules.length === 0) return;
    this.warnedAtMs = nowMs;
    this.last = new Map(windows.map((w) => [w.ruleId, { ...w.stats }]));
    this.log.warn(
      { rules },
      'windows at their memory bounds decided alerts on incomplete counts (explanations say window.lossy): raise window.maxKeys, maxEvents or maxEventsPerKey, or narrow groupBy (docs/rules.md, "Memory bounds")',
    );
  }
}
