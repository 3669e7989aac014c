import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TuningConfig } from '../../src/config/tuning.js';
import { runScenarioFiles } from '../../src/ruletest/index.js';
import { TuningService } from '../../src/tune/service.js';
import { BURST_BIG_SCENARIO, BURST_RULES, BURST_THRESHOLD_SCENARIO } from './fixtures.js';
import { tuningWorld, type Burst } from './world.js';

/** Four false-positive bursts of 12–15 alerts and two confirmed true positives of 40 and 30: the tuner moves burst's minCount 10 → 16. */
const BURSTS: Burst[] = [
  { size: 12, verdict: 'false_positive' },
  { size: 13, verdict: 'false_positive' },
  { size: 14, verdict: 'false_positive' },
  { size: 15, verdict: 'false_positive' },
  { size: 40, verdict: 'true_positive' },
  { size: 30, verdict: 'true_positive' },
];
const TUNING = TuningConfig.parse({ minVerdicts: 3, maxStep: '60%' });

async function serviceWith(tests: Record<string, string>) {
  const world = await tuningWorld({ ...BURST_RULES, ...Object.fromEntries(Object.entries(tests).map(([name, text]) => [`tests/${name}`, text])) }, BURSTS);
  return { ...world, service: new TuningService({ rulesDir: world.rulesDir, ledger: world.ledger, tuning: TUNING, now: () => Date.UTC(2026, 11, 2) }) };
}

describe('every applied tuning change goes through the rules directory\'s scenario tests', () => {
  it('refuses a change that makes a passing scenario fail, naming the scenario and the expectation; nothing is written (it was applied, and `alertgate test` failed)', async () => {
    const { rulesDir, ledger, service } = await serviceWith({ 'burst.yaml': BURST_THRESHOLD_SCENARIO, 'big.yaml': BURST_BIG_SCENARIO });
    const before = readFileSync(join(rulesDir, 'burst.yaml'), 'utf8');
    const { report, changes, refused, scenarioTests } = await service.apply({ author: 'eng' });
    expect(report.proposals).toEqual([expect.objectContaining({ ruleId: 'burst', param: 'minCount', from: 10, to: 16 })]);
    expect(changes).toEqual([]);
    const file = join(rulesDir, 'tests/burst.yaml');
    expect(refused).toEqual([
      {
        kind: 'threshold',
        ruleId: 'burst',
        param: 'minCount',
        from: 10,
        to: 16,
        scenarios: [
          {
            file,
            name: 'the 10th alert of a burst on one host is promoted',
            failures: [`${file}: the 10th alert of a burst on one host is promoted: alert #10 (tenth): expected promote by burst, got pass (matched but did not fire: burst hits=10)`],
          },
        ],
      },
    ]);
    expect(scenarioTests).toEqual({ dir: join(rulesDir, 'tests'), scenarios: 2, alreadyFailing: [] });
    expect(readFileSync(join(rulesDir, 'burst.yaml'), 'utf8')).toBe(before);
    expect(existsSync(join(rulesDir, 'CHANGELOG.md'))).toBe(false);
    expect(await ledger.tuningChanges()).toEqual([]);
    expect((await runScenarioFiles({ rulesDir, testsDir: join(rulesDir, 'tests') })).failed).toBe(0);
    await ledger.close();
  });

  it('applies a change the scenarios still pass with', async () => {
    const { rulesDir, ledger, service } = await serviceWith({ 'big.yaml': BURST_BIG_SCENARIO });
    const { changes, refused, scenarioTests } = await service.apply({ author: 'eng' });
    expect(changes.map((c) => [c.ruleId, c.from, c.to])).toEqual([['burst', 10, 16]]);
    expect(refused).toEqual([]);
    expect(scenarioTests).toMatchObject({ scenarios: 1, alreadyFailing: [] });
    expect((await runScenarioFiles({ rulesDir, testsDir: join(rulesDir, 'tests') })).failed).toBe(0);
    await ledger.close();
  });

  it('does not hold a scenario that fails already against a change (none could pass it), and reports it', async () => {
    const failing = BURST_THRESHOLD_SCENARIO.replace('name: the 10th', 'name: wrong from the start, the 10th').replace('{ at: 1..9, decision: pass }', '{ at: 9, decision: promote }');
    const { rulesDir, ledger, service } = await serviceWith({ 'wrong.yaml': failing, 'big.yaml': BURST_BIG_SCENARIO });
    const { changes, refused, scenarioTests } = await service.apply({ author: 'eng' });
    expect(changes).toHaveLength(1);
    expect(refused).toEqual([]);
    expect(scenarioTests!.alreadyFailing).toEqual([`${join(rulesDir, 'tests/wrong.yaml')}: wrong from the start, the 10th alert of a burst on one host is promoted`]);
    await ledger.close();
  });

  it('a scenario that names the rules directory itself (rules: ..) is run against the candidate too', async () => {
    const { ledger, service } = await serviceWith({ 'burst.yaml': `rules: ..\n${BURST_THRESHOLD_SCENARIO.replace(/^#.*\n/, '')}` });
    const { changes, refused } = await service.apply({ author: 'eng' });
    expect(changes).toEqual([]);
    expect(refused.map((r) => r.scenarios.map((s) => s.name))).toEqual([['the 10th alert of a burst on one host is promoted']]);
    await ledger.close();
  });

  it('gates a rule to disable too: refused when a passing scenario needs the rule (kind disable, enabled 1 → 0); nothing is written', async () => {
    const world = await tuningWorld({ ...BURST_RULES, 'tests/big.yaml': BURST_BIG_SCENARIO }, BURSTS.map((b) => ({ ...b, verdict: 'false_positive' as const })));
    const service = new TuningService({ rulesDir: world.rulesDir, ledger: world.ledger, tuning: TUNING, now: () => Date.UTC(2026, 11, 2) });
    const { report, changes, refused } = await service.apply({ author: 'eng' });
    expect(report.disable).toEqual([expect.objectContaining({ ruleId: 'burst', precision: 0 })]);
    expect(report.proposals).toEqual([]);
    expect(changes).toEqual([]);
    const file = join(world.rulesDir, 'tests/big.yaml');
    expect(refused).toEqual([{ kind: 'disable', ruleId: 'burst', param: 'enabled', from: 1, to: 0, scenarios: [expect.objectContaining({ file, name: 'a burst of 40 alerts on one host is promoted' })] }]);
    expect(readFileSync(join(world.rulesDir, 'burst.yaml'), 'utf8')).not.toMatch(/enabled/);
    expect(await world.ledger.tuningChanges()).toEqual([]);
    expect((await runScenarioFiles({ rulesDir: world.rulesDir, testsDir: join(world.rulesDir, 'tests') })).failed).toBe(0);
    await world.ledger.close();
  });

  it('a rules directory without scenario tests is not gated', async () => {
    const { ledger, service } = await serviceWith({});
    const { changes, scenarioTests } = await service.apply({ author: 'eng' });
    expect(changes).toHaveLength(1);
    expect(scenarioTests).toBeNull();
    await ledger.close();
  });
});
