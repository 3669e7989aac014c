import { expect, it } from 'vitest';
import { buildReport } from '../../src/report/build.js';
import { reportPeriod, ReportPeriodError } from '../../src/report/period.js';
import { Report } from '../../src/report/report.js';
import { incidentRecord } from '../ledger/fixtures.js';
import { describeLedger } from '../ledger/backends.js';
import { DAY, handBuiltLedger, HOSTILE_SIGNATURE, PERIOD, T0 } from './fixtures.js';

const options = { ...PERIOD, minutesPerIncident: 20, top: 2 };

describeLedger('buildReport', (fresh) => {
  it('counts per rule: decisions over every source, incidents first seen in the period, verdicts, precision, time to feedback, minutes, noisiest keys', async () => {
    const ledger = await fresh();
    await handBuiltLedger(ledger);
    const report = await buildReport(ledger, options);
    expect(Report.parse(report)).toEqual(report);
    expect(report.period).toEqual({ from: '2026-11-20T00:00:00.000Z', to: '2026-11-21T23:59:59.999Z', days: 2 });
    // a0 and the decisions 14 hours before the period are outside it.
    expect(report.totals).toEqual({
      alertsMatched: 22,
      promoted: 17,
      suppressed: 5,
      passed: 150,
      incidents: 4,
      truePositive: 1,
      benignPositive: 1,
      falsePositive: 1,
      unreviewed: 1,
      precision: 0.5,
      falsePositiveRate: 0.3333,
      medianMinutesToFeedback: 30,
      analystMinutes: 60,
      falsePositiveMinutes: 20,
    });
    expect(report.rules.map((r) => r.ruleId)).toEqual(['a', 'b', 's']);
    const [a, b, s] = report.rules;
    expect(a).toEqual({
      ruleId: 'a',
      alertsMatched: 7,
      promoted: 7,
      suppressed: 0,
      incidents: 3,
      truePositive: 1,
      benignPositive: 0,
      falsePositive: 1,
      unreviewed: 1,
      precision: 0.5,
      falsePositiveRate: 0.5,
      medianMinutesToFeedback: 60,
      analystMinutes: 40,
      falsePositiveMinutes: 20,
      signatures: [
        { key: HOSTILE_SIGNATURE, incidents: 2, alerts: 6, falsePositive: 1 },
        { key: 'other', incidents: 1, alerts: 1, falsePositive: 0 },
      ],
      // host=web-1 is in a1 and a2 (grouped by and in the opening alert: once each); then by alerts.
      entities: [
        { key: 'host=web-1', incidents: 2, alerts: 6, falsePositive: 1 },
        { key: 'src_ip=10.0.0.1', incidents: 1, alerts: 4, falsePositive: 1 },
      ],
    });
    expect(b).toMatchObject({ alertsMatched: 10, incidents: 1, benignPositive: 1, precision: null, falsePositiveRate: 0, medianMinutesToFeedback: 10, signatures: [], entities: [{ key: 'user=bob', incidents: 1, alerts: 10 }] });
    expect(s).toMatchObject({ alertsMatched: 5, suppressed: 5, incidents: 0, precision: null, falsePositiveRate: null, medianMinutesToFeedback: null, analystMinutes: 0 });
  });

  it('per UTC day: every decision and the incidents first seen that day', async () => {
    const ledger = await fresh();
    await handBuiltLedger(ledger);
    const { days } = await buildReport(ledger, options);
    expect(days).toEqual([
      { day: '2026-11-20', alerts: 106, passed: 100, alertsMatched: 6, promoted: 6, suppressed: 0, incidents: 2, truePositive: 1, benignPositive: 0, falsePositive: 1, unreviewed: 0, precision: 0.5, falsePositiveRate: 0.5 },
      { day: '2026-11-21', alerts: 66, passed: 50, alertsMatched: 16, promoted: 11, suppressed: 5, incidents: 2, truePositive: 0, benignPositive: 1, falsePositive: 0, unreviewed: 1, precision: null, falsePositiveRate: 0 },
    ]);
  });

  it('tuning changes applied in the period, measured in equal windows before and after, beside what the tuner predicted', async () => {
    const ledger = await fresh();
    await handBuiltLedger(ledger);
    const { tuningChanges } = await buildReport(ledger, options);
    expect(tuningChanges.map((c) => c.id)).toEqual(['tc-in-period']);
    // Applied at the start of day 2: the period leaves one day (less 1 ms) after it, so one day either side.
    expect(tuningChanges[0]).toMatchObject({
      ruleId: 'a',
      param: 'minCount',
      from: 20,
      to: 30,
      appliedAt: '2026-11-21T00:00:00.000Z',
      revertedAt: null,
      windowDays: 1,
      before: { from: '2026-11-20T00:00:00.001Z', to: '2026-11-21T00:00:00.000Z', alertsMatched: 6, incidents: 2, falsePositive: 1, truePositive: 1, falsePositiveRate: 0.5, incidentsPerDay: 2 },
      after: { from: '2026-11-21T00:00:00.000Z', to: '2026-11-21T23:59:59.999Z', alertsMatched: 1, incidents: 1, unreviewed: 1, falsePositiveRate: null, incidentsPerDay: 1 },
      predicted: { falsePositiveRemoved: 1, incidentsPerDayBefore: 2, incidentsPerDayAfter: 1 },
    });

    // Over a longer period the windows grow to at most 7 days, and the before window reaches a0 outside the period.
    const longer = await buildReport(ledger, { ...options, toMs: T0 + 9 * DAY });
    expect(longer.tuningChanges[0]).toMatchObject({ windowDays: 7, before: { incidents: 3, falsePositive: 2, alertsMatched: 9 }, after: { incidents: 1 } });
    expect(longer.days).toHaveLength(10);
    // A change without the tuner's evidence has no prediction.
    const all = await buildReport(ledger, { ...options, fromMs: T0 - 11 * DAY });
    expect(all.tuningChanges.map((c) => [c.id, c.predicted === null])).toEqual([['tc-long-ago', true], ['tc-in-period', false]]);
  });

  it('a period with nothing in it: zeros, nulls and empty days, no rules', async () => {
    const ledger = await fresh();
    await handBuiltLedger(ledger);
    const empty = await buildReport(ledger, { ...options, fromMs: T0 + 30 * DAY, toMs: T0 + 30 * DAY + 1 });
    expect(empty.rules).toEqual([]);
    expect(empty.tuningChanges).toEqual([]);
    expect(empty.totals).toMatchObject({ incidents: 0, alertsMatched: 0, precision: null, falsePositiveRate: null, medianMinutesToFeedback: null, analystMinutes: 0 });
    expect(empty.days).toEqual([expect.objectContaining({ day: '2026-12-20', alerts: 0, incidents: 0 })]);
  });

  it('a period is at most 400 days of the ledger\'s data: longer is refused naming the maximum, before anything is read', async () => {
    const ledger = await fresh();
    await handBuiltLedger(ledger);
    // Data from 2025-06-01 to 2026-11-21: 538 days.
    await ledger.writeBatch({ incidents: [incidentRecord({ n: 99, ruleId: 'a', firstSeen: '2025-06-01T00:00:00.000Z' })], openings: [], counts: [], source: 'old' });
    // The period ends with the newest decision's hour (docs/report.md).
    await expect(reportPeriod(ledger, '2000-01-01T00:00:00Z', undefined)).rejects.toThrow(
      new ReportPeriodError('the period 2025-06-01T00:00:00.000Z … 2026-11-21T15:59:59.999Z (within the ledger\'s data) is longer than the maximum of 400d: give a later since or an earlier now'),
    );
    expect(await reportPeriod(ledger, '2025-12-01T00:00:00Z', undefined)).toEqual({ fromMs: Date.UTC(2025, 11, 1), toMs: Date.parse('2026-11-21T15:59:59.999Z') });
    await expect(buildReport(ledger, { ...options, fromMs: 0, toMs: T0 })).rejects.toThrow(/longer than the maximum of 400d/);
  });
});
