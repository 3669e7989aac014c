import type { CaseStats } from '../ledger/case-store.js';
import type { DrillStats } from '../ledger/drill-store.js';
import type { ObligationStats } from '../ledger/obligation-store.js';
import type { ReceiverTally } from '../ledger/outbox.js';

/** What the ledger tells the metrics: read at scrape time. */
export interface LedgerStats {
  /** Incidents with feedback, by rule id and current verdict (the latest verdict per incident). */
  feedbackCounts(): Promise<{ ruleId: string; verdict: 'true_positive' | 'benign_positive' | 'false_positive'; count: number }[]>;
  /** Per rule: TP / (TP + FP) over incidents opened within the last horizonMs (rules with no TP or FP verdict left out). */
  precision(horizonMs: number, nowMs: number): Promise<{ ruleId: string; precision: number }[]>;
  /** Tuning changes applied and not reverted, by rule id. */
  tuningChangesApplied(): Promise<{ ruleId: string; count: number }[]>;
  /** Cases by state and severity, time to acknowledge and resolve, escalations, the oldest unacknowledged case. */
  caseStats(nowMs: number): Promise<CaseStats>;
  /** Notifications per receiver: delivered, dead-lettered, pending, failed attempts. */
  notificationTally(): Promise<ReceiverTally[]>;
  /** Running obligations with their time left, missed ones by name, all by status (docs/obligations.md). */
  obligationStats(nowMs: number): Promise<ObligationStats>;
  /** Each drill's last run (docs/drills.md). */
  drillStats(): Promise<DrillStats>;
}
