import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/cli/logger.js';
import { TuningConfig } from '../../src/config/tuning.js';
import { limitRuleset } from '../../src/tune/auto-limits.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { AutoTuner, type AutoTunerOptions } from '../../src/tune/auto-tune.js';
import { TuningService } from '../../src/tune/service.js';
import { rule, ruleset } from '../helpers.js';
import { BURST_RULES, BURST_THRESHOLD_SCENARIO } from './fixtures.js';
import { tuningWorld, type Burst } from './world.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);

/** Three false-positive bursts of 11 alerts and one of 13, two confirmed true positives: unbounded, the tuner moves burst's minCount 10 → 14. */
const BURSTS: Burst[] = [
  { size: 11, verdict: 'false_positive' },
  { size: 11, verdict: 'false_positive' },
  { size: 11, verdict: 'false_positive' },
  { size: 13, verdict: 'false_positive' },
  { size: 40, verdict: 'true_positive' },
  { size: 30, verdict: 'true_positive' },
];

/** An auto-tuner over a real ledger and rules directory, on a clock the test moves; its log lines kept. */
async function autoWorld(auto: Record<string, unknown>, files: Record<string, unknown> = BURST_RULES, options: { runs?: (ledger: Ledger) => AutoTunerOptions['runs'] } = {}) {
  const world = await tuningWorld(files, BURSTS);
  const clock = { now: T0 };
  const tuning = TuningConfig.parse({ minVerdicts: 3, auto: { enabled: true, ...auto } });
  const service = new TuningService({ rulesDir: world.rulesDir, ledger: world.ledger, tuning, now: () => clock.now });
  const logs: Record<string, unknown>[] = [];
  const log = createLogger('info', { destination: new Writable({ write: (chunk, _enc, done) => (logs.push(JSON.parse(String(chunk))), done()) }) });
  const newTuner = () => new AutoTuner({ service, auto: tuning.auto, log, now: () => clock.now, runs: options.runs?.(world.ledger) });
  const tuner = newTuner();
  const minCount = () => Number(/value: (\d+)/.exec(readFileSync(join(world.rulesDir, 'burst.yaml'), 'utf8'))![1]);
  return { ...world, clock, tuner, newTuner, logs, minCount };
}

describe('auto-tune: dry run first, floors and a day\'s change as guardrails, on a schedule and on request', () => {
  it('dry-run (the default) writes nothing: it reports the change it would apply and keeps the run', async () => {
    const { tuner, ledger, minCount, logs } = await autoWorld({ mode: undefined });
    const run = await tuner.run('request');
    expect(run).toMatchObject({ mode: 'dry-run', trigger: 'request', at: new Date(T0).toISOString(), changes: [{ id: null, ruleId: 'burst', from: 10, to: 14 }] });
    expect(minCount()).toBe(10);
    expect(await ledger.tuningChanges()).toEqual([]);
    expect(await tuner.last()).toBe(run);
    expect(logs.map((l) => l.msg)).toEqual(['auto-tune would apply a change', 'auto-tune run']);
    await ledger.close();
  });

  it('maxChangePerDay: at most that share of the value 24 hours ago, all changes of the day together; the next day it moves on', async () => {
    const { tuner, ledger, clock, minCount } = await autoWorld({ mode: 'apply', maxChangePerDay: '20%' });
    // Unbounded it goes to 14 at once (the test above); 20 % of 10 allows 12, which removes the three bursts of 11.
    expect((await tuner.run('schedule')).changes).toMatchObject([{ from: 10, to: 12 }]);
    expect(minCount()).toBe(12);
    clock.now += 2 * HOUR;
    const same = await tuner.run('schedule');
    expect(same.changes).toEqual([]);
    expect(same.limits).toEqual([{ ruleId: 'burst', param: 'minCount', value: 12, direction: 'raise', limit: 12, by: ['maxChangePerDay'], dayStart: 10 }]);
    clock.now += 23 * HOUR;
    const next = await tuner.run('schedule');
    expect(next.limits[0]).toMatchObject({ value: 12, limit: 14.4, dayStart: 12 });
    expect(next.changes).toMatchObject([{ from: 12, to: 14 }]);
    expect((await ledger.tuningChanges()).map((c) => [c.from, c.to, c.author])).toEqual([
      [10, 12, 'alertgate-auto-tune'],
      [12, 14, 'alertgate-auto-tune'],
    ]);
    await ledger.close();
  });

  it('a floor is never crossed: the tuner chooses within it (12, removing what 12 removes), and stops there', async () => {
    const { tuner, ledger, clock, minCount } = await autoWorld({ mode: 'apply', maxChangePerDay: '100%', floors: { burst: { minCount: 12 } } });
    const run = await tuner.run('schedule');
    expect(run.changes).toMatchObject([{ from: 10, to: 12 }]);
    expect(run.limits).toEqual([{ ruleId: 'burst', param: 'minCount', value: 10, direction: 'raise', limit: 12, by: ['floor'], dayStart: 10 }]);
    expect(run.report.proposals[0]).toMatchObject({ falsePositiveRemoved: 3, falsePositiveTotal: 4 });
    clock.now += 48 * HOUR;
    expect((await tuner.run('schedule')).changes).toEqual([]);
    expect(minCount()).toBe(12);
    await ledger.close();
  });

  it('floors that name no rule or param are reported and logged: they protect nothing', async () => {
    const { tuner, ledger, logs } = await autoWorld({ floors: { nope: { minCount: 3 }, burst: { minCnt: 12 } } });
    const run = await tuner.run('request');
    expect(run.problems).toEqual(['tuning.auto.floors.nope: no enabled rule has this id', 'tuning.auto.floors.burst.minCnt: rule burst has no param minCnt']);
    expect(logs.filter((l) => l.msg === 'auto-tune guardrail names nothing').map((l) => l.problem)).toEqual(run.problems);
    await ledger.close();
  });

  it('the scenario tests gate its changes too: refused, logged, nothing written', async () => {
    const { tuner, ledger, logs, minCount } = await autoWorld({ mode: 'apply' }, { ...BURST_RULES, 'tests/burst.yaml': BURST_THRESHOLD_SCENARIO });
    const run = await tuner.run('schedule');
    expect(run.changes).toEqual([]);
    expect(run.refused).toMatchObject([{ ruleId: 'burst', from: 10, to: 14, scenarios: [{ name: 'the 10th alert of a burst on one host is promoted' }] }]);
    expect(minCount()).toBe(10);
    expect(logs.find((l) => l.msg === 'auto-tune change refused by the scenario tests')).toMatchObject({ rule: 'burst', to: 14 });
    await ledger.close();
  });

  it('on its schedule: each tick runs it; after a run that applied changes the worker is told to reload, as the author', async () => {
    const { tuner, ledger, minCount } = await autoWorld({ mode: 'apply', every: '1h' });
    let tick: () => void = () => {};
    let period = 0;
    const reloaded = new Promise<string>((resolve) => {
      const stop = tuner.start(resolve, {
        set: ((fn: () => void, ms: number) => ((tick = fn), (period = ms), { unref() {} })) as unknown as typeof setInterval,
        clear: () => {},
      });
      expect(typeof stop).toBe('function');
    });
    expect(period).toBe(HOUR);
    tick();
    expect(await reloaded).toBe('alertgate-auto-tune');
    expect(minCount()).toBe(14);
    expect(await tuner.last()).toMatchObject({ trigger: 'schedule', mode: 'apply' });
    await ledger.close();
  });

  it('with the ledger, the newest run outlives the worker and every worker on the ledger shows the same one', async () => {
    const { tuner, newTuner, ledger, clock } = await autoWorld({ mode: undefined }, BURST_RULES, { runs: (ledger) => ledger.autoTuneRuns });
    const dryRun = await tuner.run('request');
    // A worker started afterwards (a restart, a standby) has made no run, yet shows the dry run to review.
    const restarted = newTuner();
    expect(await restarted.last()).toEqual(dryRun);
    clock.now += HOUR;
    const later = await restarted.run('schedule');
    expect(await tuner.last()).toEqual(later);
    // Two runs in one millisecond (the clock did not move): the one recorded last is the newest.
    const sameMs = await tuner.run('request');
    expect(sameMs.at).toBe(later.at);
    expect(await restarted.last()).toEqual(sameMs);
    expect((await ledger.autoTuneRuns.list()).map((r) => (r.run as { trigger: string }).trigger)).toEqual(['request', 'schedule', 'request']);
    await ledger.close();
  });

  it('a run the ledger could not take is still shown by the worker that made it, and logged; a stored run of another shape is not shown', async () => {
    // A ledger that fails to record, holding one newer run written by a version whose runs had another shape.
    const stored = [{ runAtMs: T0 + HOUR, run: { at: new Date(T0 + HOUR).toISOString(), oldField: 1 } }];
    const runs = { record: () => Promise.reject(new Error('ledger unreachable')), list: () => Promise.resolve(stored) };
    const { tuner, ledger, logs } = await autoWorld({ mode: undefined }, BURST_RULES, { runs: () => runs });
    const run = await tuner.run('request');
    expect(await tuner.last()).toBe(run);
    expect(logs.find((l) => l.msg === 'could not record the auto-tune run in the ledger')).toMatchObject({ err: 'ledger unreachable' });
    expect(logs.filter((l) => l.msg === "the ledger's newest auto-tune run has an older shape; not shown")).toHaveLength(1);
    await ledger.close();
  });
});

describe('auto-tune limits as bounds on the params', () => {
  it('a lowered threshold: its min is raised to the floor and the day\'s change, onto its grid', async () => {
    const set = await ruleset({
      'quiet.yaml': rule({
        id: 'quiet',
        params: { maxHits: { value: 53, min: 3, max: 100, step: 5 } },
        match: { all: [] },
        window: { groupBy: ['entities.host'], size: '5m' },
        aggregates: { hits: { kind: 'count' } },
        conditions: { all: [{ fact: 'hits', operator: 'lessThanInclusive', value: { fact: 'params', path: '$.maxHits' } }] },
      }),
    });
    const byDay = limitRuleset(set, [], { maxChangePerDay: '25%', floors: {} }, T0);
    // 53 − 25 % = 39.75: the grid 3, 8, …, 38, 43 gives 43.
    expect(byDay.limits).toEqual([{ ruleId: 'quiet', param: 'maxHits', value: 53, direction: 'lower', limit: 43, by: ['maxChangePerDay'], dayStart: 53 }]);
    expect(byDay.ruleset.promoteRules[0]!.rule.params.maxHits).toEqual({ value: 53, min: 43, max: 100, step: 5 });
    const floored = limitRuleset(set, [], { maxChangePerDay: '25%', floors: { quiet: { maxHits: 45 } } }, T0);
    expect(floored.limits[0]).toMatchObject({ limit: 48, by: ['floor'] });
    // The param's own bound, when it is the tightest: 53 − 99 % is below min 3.
    expect(limitRuleset(set, [], { maxChangePerDay: '99%', floors: {} }, T0).limits[0]).toMatchObject({ limit: 3, by: ['param'] });
    // The rule set the pipeline runs is not touched.
    expect(set.promoteRules[0]!.rule.params.maxHits!.min).toBe(3);
  });
});
