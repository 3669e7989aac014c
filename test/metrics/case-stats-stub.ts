import type { CaseStats } from '../../src/ledger/case-store.js';
import type { DrillStats } from '../../src/ledger/drill-store.js';
import type { ObligationStats } from '../../src/ledger/obligation-store.js';
import type { ReceiverTally } from '../../src/ledger/outbox.js';

/** Case and notification figures as a ledger would give them: every case family present in a scrape. */
export const CASE_STATS: CaseStats = {
  cases: [
    { state: 'acknowledged', severity: 'high', count: 2 },
    { state: 'open', severity: 'critical', count: 1 },
  ],
  oldestUnacknowledged: [{ severity: 'critical', seconds: 1200 }],
  escalations: [
    { level: '1', count: 3 },
    { level: '2', count: 1 },
  ],
  acknowledge: { count: 2, sum: 660, cumulative: () => [{ le: '60', count: 1 }, { le: '600', count: 2 }, { le: '+Inf', count: 2 }] },
  resolve: { count: 1, sum: 5400, cumulative: () => [{ le: '3600', count: 0 }, { le: '14400', count: 1 }, { le: '+Inf', count: 1 }] },
};

export const TALLY: ReceiverTally[] = [{ receiver: 'pagerduty-primary', delivered: 3, dead: 1, pending: 0, failedAttempts: 4 }];

/** Obligations as a ledger would give them: one running (GDPR, 20 hours left), one missed. */
export const OBLIGATION_STATS: ObligationStats = {
  running: [{ obligation: 'gdpr-art33-supervisory-authority', seconds: 72_000 }],
  missed: [{ obligation: 'customer-sla-example', count: 1 }],
  byStatus: [
    { obligation: 'customer-sla-example', status: 'missed', count: 1 },
    { obligation: 'gdpr-art33-supervisory-authority', status: 'running', count: 1 },
  ],
};

export const DRILL_STATS: DrillStats = { last: [{ drill: 'ransomware-file-server', atMs: Date.UTC(2026, 11, 1, 9), passed: true }] };
