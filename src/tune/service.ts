import { join } from 'node:path';
import type { AuditLog } from '../audit/audit-log.js';
import type { TuningConfig } from '../config/tuning.js';
import type { Ledger } from '../ledger/ledger.js';
import type { TuningChange } from '../ledger/records.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { sinceMsOf } from '../ledger/since.js';
import { loadRules } from '../rules/load.js';
import { formatProblem } from '../rules/problems.js';
import { parseDuration } from '../state/index.js';
import { plannedChanges, revertChange, stageChanges, TuningConflict, writeEdit, type StagedEdit } from './apply.js';
import { limitRuleset, type AutoGuardrails, type ParamLimit } from './auto-limits.js';
import type { ReplayEvaluator } from './replay.js';
import type { TuneReport } from './report.js';
import { samplingOf } from './sampling.js';
import { ScenarioGate, type ScenarioRefusal, type ScenarioTests } from './scenario-gate.js';
import { tune } from './tuner.js';

export interface TuningServiceOptions {
  readonly rulesDir: string;
  readonly ledger: Ledger;
  readonly tuning: TuningConfig;
  readonly now?: () => number;
  /** Applied and reverted changes go to the audit trail too (the worker's); the ledger always has them. */
  readonly audit?: AuditLog | undefined;
}

/** Overrides of the configured guardrails, and what to look at. */
export interface TuneRequest {
  readonly since?: string | undefined;
  readonly minRecall?: number | undefined;
  readonly maxStep?: string | undefined;
  readonly minVerdicts?: number | undefined;
  readonly disableBelowPrecision?: number | undefined;
  /** Only these rules' proposals (all rules are still reported). */
  readonly rules?: readonly string[] | undefined;
  /** Exact counterfactuals from these alerts. */
  readonly replay?: ReplayEvaluator | undefined;
  /** The owner of proposed exceptions. */
  readonly owner?: string | undefined;
  /** Auto-tune's guardrails (floors, change per day) as tighter bounds on the params; see limitRuleset. */
  readonly auto?: AutoGuardrails | undefined;
}

/**
 * The tuner as the CLI, the API and the worker's auto-tune use it: reads the rules directory as it is
 * now and the ledger's incidents, proposes, applies and reverts. Applies and reverts run one at a time.
 */
export class TuningService {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: TuningServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  get changelog(): string {
    return this.options.tuning.changelog ?? join(this.options.rulesDir, 'CHANGELOG.md');
  }

  async report(request: TuneRequest = {}): Promise<TuneReport> {
    return (await this.evaluate(request)).report;
  }

  private async rules(): Promise<CompiledRuleSet> {
    const loaded = await loadRules(this.options.rulesDir);
    if (!loaded.ok) throw new TuningConflict(`invalid rules in ${this.options.rulesDir}:\n${loaded.problems.map(formatProblem).join('\n')}`);
    return loaded.ruleset;
  }

  private async evaluate(request: TuneRequest): Promise<{ report: TuneReport; ruleset: CompiledRuleSet; limits: ParamLimit[]; problems: string[] }> {
    const { ledger, tuning } = this.options;
    const ruleset = await this.rules();
    const limited = request.auto ? limitRuleset(ruleset, await ledger.tuningChanges(), request.auto, this.now()) : { ruleset, limits: [], problems: [] };
    const newestMs = await ledger.latestEventTimeMs();
    const sinceMs = sinceMsOf(request.since ?? tuning.since, newestMs);
    const report = tune({
      ruleset: limited.ruleset,
      incidents: await ledger.tuningIncidents(sinceMs),
      guardrails: {
        minRecall: request.minRecall ?? tuning.minRecall,
        maxStep: request.maxStep ?? tuning.maxStep,
        minVerdicts: request.minVerdicts ?? tuning.minVerdicts,
        disableBelowPrecision: request.disableBelowPrecision ?? tuning.disableBelowPrecision,
      },
      period: { fromMs: sinceMs, toMs: newestMs },
      replay: request.replay,
      exceptions: {
        minIncidents: tuning.exceptions.minIncidents,
        expiresAtMs: (newestMs ?? this.now()) + parseDuration(tuning.exceptions.expiresAfter),
        owner: request.owner ?? 'soc',
      },
    });
    const only = request.rules && new Set(request.rules);
    const chosen = only ? { ...report, proposals: report.proposals.filter((p) => only.has(p.ruleId)), disable: report.disable.filter((d) => only.has(d.ruleId)), joint: report.joint.filter((j) => only.has(j.ruleId)), windows: report.windows.filter((w) => only.has(w.ruleId)) } : report;
    return { report: { ...chosen, sampling: samplingOf(chosen) }, ruleset, limits: limited.limits, problems: limited.problems };
  }

  /**
   * What an apply would do, writing nothing: the report, and every change it proposes (threshold
   * proposals, joint changes, smaller windows, rules to disable; see plannedChanges) staged on a copy of
   * the rules directory and run through its scenario tests (ScenarioGate): the edits that pass, and the
   * changes refused.
   */
  async plan(request: TuneRequest): Promise<TuningPlan> {
    const { report, ruleset, limits, problems } = await this.evaluate(request);
    const gate = await ScenarioGate.open(this.options.rulesDir);
    const { edits, refused } = await stageChanges(this.options.rulesDir, plannedChanges(report), gate);
    return { report, ruleset, limits, problems, edits, refused, scenarioTests: gate?.summary ?? null };
  }

  /**
   * Proposes and applies every change (see plan) that passes the scenario tests of the rules directory
   * (ScenarioGate): those that break a passing scenario are returned under `refused`, unwritten.
   */
  apply(request: TuneRequest & { author: string; reason?: string | undefined }): Promise<AppliedTuning> {
    return this.serially(async () => {
      const { ruleset, edits, ...plan } = await this.plan(request);
      const changes: TuningChange[] = [];
      for (const edit of edits) {
        const change = await writeEdit(edit, this.applyOptions(request.author, request.reason ?? edit.change.reasonIn(plan.report.mode)));
        this.auditChange(change, 'applied', paramsOf(ruleset, change.ruleId, change.param, change.from));
        changes.push(change);
      }
      return { ...plan, edits, changes };
    });
  }

  revert(changeId: string, author: string, reason: string): Promise<TuningChange> {
    return this.serially(async () => {
      const ruleset = await this.rules().catch(() => undefined);
      const change = await revertChange(changeId, this.applyOptions(author, reason));
      this.auditChange(change, 'reverted', paramsOf(ruleset, change.ruleId, change.param, change.to));
      return change;
    });
  }

  /** The audit record: the rule's params before and after (the changed one at least, if the rules could not be read). */
  private auditChange(change: TuningChange, action: 'applied' | 'reverted', before: Record<string, number>): void {
    const after = { ...before, [change.param]: action === 'applied' ? change.to : change.from };
    const actor = action === 'applied' ? change.author : change.reverted!.by;
    const reason = action === 'applied' ? change.reason : change.reverted!.reason;
    this.options.audit?.tuningChange({ actor, ruleId: change.ruleId, changeId: change.id, action, before, after, reason });
  }

  private applyOptions(author: string, reason: string) {
    return { rulesDir: this.options.rulesDir, ledger: this.options.ledger, changelog: this.changelog, author, reason, nowMs: this.now() };
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** What an apply would do: the planned changes' edits that pass the scenario tests, and those refused. */
export interface TuningPlan {
  readonly report: TuneReport;
  /** The rules as they are on disk. */
  readonly ruleset: CompiledRuleSet;
  /** With auto-tune's guardrails: how far each param may move in this run. */
  readonly limits: ParamLimit[];
  /** With auto-tune's guardrails: floors that name no rule or param. */
  readonly problems: string[];
  /** In order; each staged with the ones before it. */
  readonly edits: StagedEdit[];
  readonly refused: ScenarioRefusal[];
  /** The scenario tests that gated the changes; null when the rules directory has none. */
  readonly scenarioTests: ScenarioTests | null;
}

/** What an apply did: the plan, and the changes written (one per edit). */
export interface AppliedTuning extends Omit<TuningPlan, 'ruleset'> {
  readonly changes: TuningChange[];
}

/** A rule's params as a rule set has them, with `param` at `value` (what the file says before the change). */
function paramsOf(ruleset: CompiledRuleSet | undefined, ruleId: string, param: string, value: number): Record<string, number> {
  const compiled = ruleset && [...ruleset.promoteRules, ...ruleset.suppressRules].find((r) => r.rule.id === ruleId);
  return { ...(compiled?.params ?? {}), [param]: value };
}
