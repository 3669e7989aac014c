import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { listRuleFiles } from '../rules/read-files.js';
import { runScenarioFiles } from '../ruletest/index.js';
import type { ScenarioResult } from '../ruletest/report.js';
import { durationText } from '../state/index.js';

/** A scenario test that passes with the rules on disk and fails with a change: every expectation that broke. */
export const BrokenScenario = z
  .object({
    file: z.string(),
    name: z.string(),
    /** `file: scenario: what differed`, as `alertgate test` prints them. */
    failures: z.array(z.string()),
  })
  .strict();
export type BrokenScenario = z.infer<typeof BrokenScenario>;

/** What a planned change comes from: a threshold proposal, one param of a joint change, a smaller window, a rule to disable. */
export const ChangeKind = z.enum(['threshold', 'joint', 'window', 'disable']);
export type ChangeKind = z.infer<typeof ChangeKind>;

/** A change the scenario tests refused: nothing of it is written (`enabled` 1 → 0 for a disable, `window.size` in milliseconds). */
export const ScenarioRefusal = z
  .object({
    kind: ChangeKind,
    ruleId: z.string(),
    param: z.string(),
    from: z.number(),
    to: z.number(),
    scenarios: z.array(BrokenScenario),
  })
  .strict();
export type ScenarioRefusal = z.infer<typeof ScenarioRefusal>;

/** What the gate ran: the scenario tests of the rules directory, and those that fail already (not gated). */
export const ScenarioTests = z
  .object({
    dir: z.string(),
    scenarios: z.number().int().nonnegative(),
    /** Scenarios that fail with the rules on disk, before any change: reported, not held against a change. */
    alreadyFailing: z.array(z.string()),
  })
  .strict();
export type ScenarioTests = z.infer<typeof ScenarioTests>;

const keyOf = (s: ScenarioResult) => `${s.file}\u0000${s.name}`;

/**
 * Every tuning change goes through the rules directory's scenario tests (`<rules>/tests`, what
 * `alertgate test <rules>` runs): they are run once against the rules on disk, and again against each
 * candidate on a copy; a change that makes a passing scenario fail is refused. Scenarios that fail
 * already are not held against a change (no change could pass them), and are reported.
 */
export class ScenarioGate {
  private constructor(
    private readonly rulesDir: string,
    private readonly testsDir: string,
    private readonly passing: ReadonlySet<string>,
    readonly summary: ScenarioTests,
  ) {}

  /** The gate of a rules directory; undefined when it has no scenario tests (no `tests` directory, or no files in it). */
  static async open(rulesDir: string): Promise<ScenarioGate | undefined> {
    const testsDir = join(rulesDir, 'tests');
    const isDir = await stat(testsDir).then(
      (s) => s.isDirectory(),
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return false;
        throw err;
      },
    );
    if (!isDir || (await listRuleFiles(testsDir)).length === 0) return undefined;
    const baseline = await runScenarioFiles({ rulesDir, testsDir });
    const failing = baseline.scenarios.filter((s) => s.failures.length > 0);
    return new ScenarioGate(rulesDir, testsDir, new Set(baseline.scenarios.filter((s) => s.failures.length === 0).map(keyOf)), {
      dir: testsDir,
      scenarios: baseline.scenarios.length,
      alreadyFailing: failing.map((s) => `${s.file}: ${s.name}`),
    });
  }

  /** The scenarios that pass with the rules on disk and fail with the rules in `candidateDir` (a copy with the change). */
  async broken(candidateDir: string): Promise<BrokenScenario[]> {
    const run = await runScenarioFiles({ rulesDir: candidateDir, testsDir: this.testsDir, standsInFor: this.rulesDir });
    return run.scenarios.filter((s) => s.failures.length > 0 && this.passing.has(keyOf(s))).map(({ file, name, failures }) => ({ file, name, failures }));
  }
}

/** What a change does, in the changelog's words: `minCount 20 → 30`, `disabled` for `enabled` 1 → 0, `window.size 10m → 5m`. */
export function whatChanged(change: { readonly param: string; readonly from: number; readonly to: number }): string {
  if (change.param === 'enabled') return change.to === 0 ? 'disabled (enabled: false)' : 'enabled';
  if (change.param === 'window.size') return `window.size ${durationText(change.from)} → ${durationText(change.to)}`;
  return `${change.param} ${change.from} → ${change.to}`;
}

/** `signature-burst minCount 20 → 30 refused: it makes …` and every broken expectation, one per line. */
export function formatScenarioRefusal(r: ScenarioRefusal): string {
  const count = r.scenarios.length;
  return [
    `${r.ruleId} ${whatChanged(r)}${r.kind === 'joint' ? ' (joint change)' : ''} refused: it makes ${count} passing scenario test${count === 1 ? '' : 's'} fail (alertgate test):`,
    ...r.scenarios.flatMap((s) => s.failures.map((f) => `  ${f}`)),
  ].join('\n');
}
