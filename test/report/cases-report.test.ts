import { expect, it } from 'vitest';
import { caseIdOf } from '../../src/cases/case-id.js';
import { buildReport } from '../../src/report/build.js';
import { renderReport } from '../../src/report/render.js';
import { describeLedger } from '../ledger/backends.js';
import { incidentRecord } from '../ledger/fixtures.js';
import { markdownTables } from './tables.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);

describeLedger('report: cases', (fresh) => {
  it('counts the period\'s cases by classification with their verdicts, MTTA and MTTR (medians, wall clock)', async () => {
    let now = T0;
    const ledger = await fresh({ now: () => now });
    const records = [1, 2, 3, 4].map((n) => incidentRecord({ n }));
    await ledger.writeBatch({ incidents: records, openings: [], counts: [], source: 's' });
    const [a, b, c] = records.map((r) => caseIdOf(r.id));
    now += 10 * MIN;
    await ledger.cases.act(a!, 'acknowledge', { actor: 't' });
    await ledger.cases.act(a!, 'classify', { actor: 't', classification: 'malware' });
    now += 20 * MIN;
    await ledger.cases.act(b!, 'classify', { actor: 't', classification: 'malware' });
    await ledger.cases.act(b!, 'resolve', { actor: 't' });
    now += 90 * MIN;
    await ledger.cases.act(a!, 'resolve', { actor: 't' });
    await ledger.cases.act(c!, 'classify', { actor: 't', classification: 'phishing' });
    await ledger.addFeedback({ incidentId: records[0]!.id, verdict: 'true_positive', reason: 'r', analyst: 'x' }, 't');
    await ledger.addFeedback({ incidentId: records[2]!.id, verdict: 'false_positive', reason: 'r', analyst: 'x' }, 't');

    const report = await buildReport(ledger, { fromMs: T0, toMs: T0 + 86_400_000, minutesPerIncident: 15, top: 5 });
    expect(report.cases.total).toEqual({ cases: 4, acknowledged: 2, resolved: 2, truePositive: 1, benignPositive: 0, falsePositive: 1, unreviewed: 2, medianMinutesToAcknowledge: 20, medianMinutesToResolve: 75 });
    expect(report.cases.byClassification).toEqual([
      { classification: 'malware', cases: 2, acknowledged: 2, resolved: 2, truePositive: 1, benignPositive: 0, falsePositive: 0, unreviewed: 1, medianMinutesToAcknowledge: 20, medianMinutesToResolve: 75 },
      { classification: 'phishing', cases: 1, acknowledged: 0, resolved: 0, truePositive: 0, benignPositive: 0, falsePositive: 1, unreviewed: 0, medianMinutesToAcknowledge: null, medianMinutesToResolve: null },
      { classification: 'unclassified', cases: 1, acknowledged: 0, resolved: 0, truePositive: 0, benignPositive: 0, falsePositive: 0, unreviewed: 1, medianMinutesToAcknowledge: null, medianMinutesToResolve: null },
    ]);
    const table = markdownTables(renderReport(report, 'md')).find((t) => t.head[0] === 'classification')!;
    expect(table.head).toEqual(['classification', 'cases', 'acknowledged', 'resolved', 'TP', 'BP', 'FP', 'unreviewed', 'MTTA', 'MTTR']);
    expect(table.rows.map((r) => [r[0], r[8], r[9]])).toEqual([
      ['malware', '20 min', '75 min'],
      ['phishing', '-', '-'],
      ['unclassified', '-', '-'],
      ['all', '20 min', '75 min'],
    ]);
    // Cases first seen outside the period are not counted.
    expect((await buildReport(ledger, { fromMs: T0 + 86_400_000, toMs: T0 + 2 * 86_400_000, minutesPerIncident: 15, top: 5 })).cases.total.cases).toBe(0);
  });
});
