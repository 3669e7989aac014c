import { expect, it } from 'vitest';
import { AUTO_TUNE_RUNS_KEPT } from '../../src/ledger/auto-tune-runs.js';
import { describeLedger } from './backends.js';

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);

describeLedger('auto-tune runs', (fresh) => {
  it('are kept newest first, by when they ran and then by the order recorded; only the newest AUTO_TUNE_RUNS_KEPT stay', async () => {
    const ledger = await fresh({ now: () => T0 });
    // Recorded out of time order, and two in one millisecond.
    await ledger.autoTuneRuns.record(T0 + 1000, { n: 'later' });
    await ledger.autoTuneRuns.record(T0, { n: 'first of the ms' });
    await ledger.autoTuneRuns.record(T0, { n: 'second of the ms' });
    expect(await ledger.autoTuneRuns.list()).toEqual([
      { runAtMs: T0 + 1000, run: { n: 'later' } },
      { runAtMs: T0, run: { n: 'second of the ms' } },
      { runAtMs: T0, run: { n: 'first of the ms' } },
    ]);
    expect(await ledger.autoTuneRuns.list(1)).toEqual([{ runAtMs: T0 + 1000, run: { n: 'later' } }]);
    for (let i = 1; i <= AUTO_TUNE_RUNS_KEPT; i++) await ledger.autoTuneRuns.record(T0 + 1000 + i, { n: i });
    const kept = await ledger.autoTuneRuns.list(AUTO_TUNE_RUNS_KEPT + 10);
    expect(kept).toHaveLength(AUTO_TUNE_RUNS_KEPT);
    expect(kept[0]).toEqual({ runAtMs: T0 + 1000 + AUTO_TUNE_RUNS_KEPT, run: { n: AUTO_TUNE_RUNS_KEPT } });
    expect(kept.at(-1)).toEqual({ runAtMs: T0 + 1001, run: { n: 1 } });
    await ledger.close();
  });
});
