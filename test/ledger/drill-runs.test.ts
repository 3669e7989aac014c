import { expect, it } from 'vitest';
import { describeLedger } from './backends.js';
import { incidentRecord } from './fixtures.js';

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);
const run = (name: string, runAtMs: number, passed: boolean) => ({ id: `drill-${name}-${runAtMs}`, name, file: `drills/${name}.yaml`, runAtMs, passed, failures: passed ? 0 : 2, gaps: 1, report: { drill: name, passed } });

describeLedger('drill runs', (fresh) => {
  it('are recorded apart from cases: listed newest first (by period), each drill\'s last passed and last failed run for the metrics, recorded once by id', async () => {
    const ledger = await fresh({ now: () => T0 });
    await ledger.writeBatch({ incidents: [incidentRecord({ n: 1 })], openings: [], counts: [], source: 's' });
    await ledger.drills.record(run('ransomware-file-server', T0 - 200 * 86_400_000, true));
    await ledger.drills.record(run('ransomware-file-server', T0, false));
    await ledger.drills.record(run('ddos-public-site', T0 - 3_600_000, true));
    await ledger.drills.record(run('ddos-public-site', T0 - 3_600_000, true));
    expect((await ledger.drills.list()).map((d) => [d.name, d.runAt, d.passed, d.failures, d.gaps, d.report])).toEqual([
      ['ransomware-file-server', new Date(T0).toISOString(), false, 2, 1, { drill: 'ransomware-file-server', passed: false }],
      ['ddos-public-site', new Date(T0 - 3_600_000).toISOString(), true, 0, 1, { drill: 'ddos-public-site', passed: true }],
      ['ransomware-file-server', new Date(T0 - 200 * 86_400_000).toISOString(), true, 0, 1, { drill: 'ransomware-file-server', passed: true }],
    ]);
    expect((await ledger.drills.list({ fromMs: T0 - 86_400_000, toMs: T0 - 1 })).map((d) => d.name)).toEqual(['ddos-public-site']);
    // A failed run does not hide when the drill last passed (what AlertgateDrillOverdue reads).
    expect((await ledger.drillStats()).last).toEqual([
      { drill: 'ddos-public-site', atMs: T0 - 3_600_000, passed: true },
      { drill: 'ransomware-file-server', atMs: T0 - 200 * 86_400_000, passed: true },
      { drill: 'ransomware-file-server', atMs: T0, passed: false },
    ]);
    expect((await ledger.cases.stats(T0)).cases.reduce((n, c) => n + c.count, 0)).toBe(1);
  });
});
