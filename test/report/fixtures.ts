import type { Ledger } from '../../src/ledger/ledger.js';
import { incidentRecord } from '../ledger/fixtures.js';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** The period of the hand-built ledger: the UTC days 2026-11-20 and 2026-11-21. */
export const T0 = Date.UTC(2026, 10, 20);
export const PERIOD = { fromMs: T0, toMs: T0 + 2 * DAY - 1 };
export const HOSTILE_SIGNATURE = 'SIG <script>alert(1)</script> | "x" & y';

const at = (ms: number) => new Date(ms).toISOString();

/**
 * A ledger with known numbers (test/report/build.test.ts says what they add up to): rules a and b
 * with incidents, verdicts and openings; s only suppresses; one incident and some decisions before
 * the period; a tuning change of a at the start of the second day and one long before.
 */
export async function handBuiltLedger(ledger: Ledger): Promise<void> {
  const incident = (n: number, ruleId: string, firstSeenMs: number, alertCount: number, groupKey: Record<string, string>) =>
    incidentRecord({ n, ruleId, firstSeen: at(firstSeenMs), lastSeen: at(firstSeenMs + 10 * 60_000), alertCount, groupKey });
  const a0 = incident(0, 'a', T0 - 14 * HOUR, 3, { 'entities.host': 'web-1' });
  const a1 = incident(1, 'a', T0 + 10 * HOUR, 4, { 'entities.host': 'web-1' });
  const a2 = incident(2, 'a', T0 + 12 * HOUR, 2, { 'entities.host': 'web-1' });
  const a3 = incident(3, 'a', T0 + DAY + 9 * HOUR, 1, { 'entities.host': 'web-2' });
  const b1 = incident(4, 'b', T0 + DAY + 15 * HOUR, 10, { 'entities.user': 'bob' });
  const opening = (incidentId: string, name: string, entities: Record<string, string>) => ({
    incidentId,
    alertId: `open-${incidentId}`,
    decisionJson: '{}',
    alert: { name, source: 'suricata', severity: 'low', entities },
  });
  const count = (ruleId: string, decision: 'promote' | 'suppress' | 'pass', bucketMs: number, n: number) => ({ ruleId, decision, bucketMs, count: n });
  await ledger.writeBatch({
    incidents: [a0, a1, a2, a3, b1],
    openings: [
      opening(a0.id, HOSTILE_SIGNATURE, { host: 'web-1' }),
      opening(a1.id, HOSTILE_SIGNATURE, { host: 'web-1', src_ip: '10.0.0.1' }),
      opening(a2.id, HOSTILE_SIGNATURE, { host: 'web-1' }),
      opening(a3.id, 'other', { host: 'web-2' }),
    ],
    counts: [
      count('a', 'promote', T0 - 14 * HOUR, 3),
      count('a', 'promote', T0 + 10 * HOUR, 4),
      count('a', 'promote', T0 + 12 * HOUR, 2),
      count('', 'pass', T0 + 8 * HOUR, 100),
    ],
    source: 'replay:one',
  });
  await ledger.writeBatch({
    incidents: [],
    openings: [],
    counts: [count('a', 'promote', T0 + DAY + 9 * HOUR, 1), count('s', 'suppress', T0 + DAY + 13 * HOUR, 5), count('b', 'promote', T0 + DAY + 15 * HOUR, 10), count('', 'pass', T0 + DAY + 8 * HOUR, 50)],
    source: 'replay:two',
  });
  const verdict = async (id: string, firstSeenMs: number, verdictOf: 'true_positive' | 'benign_positive' | 'false_positive', minutes: number) =>
    ledger.addFeedback({ incidentId: id, verdict: verdictOf, reason: 'test', analyst: 'ana', at: at(firstSeenMs + minutes * 60_000) }, 'test');
  await verdict(a0.id, T0 - 14 * HOUR, 'false_positive', 5);
  await verdict(a1.id, T0 + 10 * HOUR, 'false_positive', 30);
  await verdict(a2.id, T0 + 12 * HOUR, 'true_positive', 90);
  // A later verdict on a2 changes nothing of its time to feedback (the first one counts).
  await verdict(a2.id, T0 + 12 * HOUR, 'true_positive', 200);
  await verdict(b1.id, T0 + DAY + 15 * HOUR, 'benign_positive', 10);
  const change = {
    ruleId: 'a',
    file: 'a.yaml',
    param: 'minCount',
    from: 20,
    to: 30,
    versionBefore: 1,
    versionAfter: 2,
    beforeText: 'x\n',
    afterText: 'y\n',
    author: 'eng',
    reason: 'noise',
    evidence: { falsePositiveRemoved: 1, falsePositiveTotal: 1, truePositiveKept: 1, truePositiveTotal: 1, incidentsPerDayBefore: 2, incidentsPerDayAfter: 1 },
  };
  await ledger.recordTuningChange({ ...change, id: 'tc-in-period', appliedAtMs: T0 + DAY });
  await ledger.recordTuningChange({ ...change, id: 'tc-long-ago', evidence: {}, appliedAtMs: T0 - 10 * DAY });
}
