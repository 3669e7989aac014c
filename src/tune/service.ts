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
import { applyDisable, applyJoint, applyProposal, applyWindow, revertChange, TuningConflict } from './apply.js';
import type { ReplayEvaluator } from './replay.js';
import type { TuneReport } from './report.js';
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

  private async evaluate(request: TuneRequest): Promise<{ report: TuneReport; ruleset: CompiledRuleSet }> {
    const { ledger, tuning } = this.options;
    const ruleset = await this.rules();
    const newestMs = await ledger.latestEventTimeMs();
    const sinceMs = sinceMsOf(request.since ?? tuning.since, newestMs);
    const report = tune({
      ruleset,
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
    return { report: only ? { ...report, proposals: report.proposals.filter((p) => only.has(p.ruleId)), disable: report.disable.filter((d) => only.has(d.ruleId)), joint: report.joint.filter((j) => only.has(j.ruleId)), windows: report.windows.filter((w) => only.has(w.ruleId)) } : report, ruleset };
  }

  /** Proposes and applies every proposal (one param per rule) and every rule to disable. */
  apply(request: TuneRequest & { author: string; reason?: string | undefined }): Promise<{ report: TuneReport; changes: TuningChange[] }> {
    return this.serially(async () => {
      const { report, ruleset } = await this.evaluate(request);
      const changes: TuningChange[] = [];
      for (const proposal of report.proposals) {
        const { pipeline } = proposal;
        const reason =
          request.reason ??
          (pipeline
            ? `false-positive incidents ${pipeline.falsePositiveBefore} → ${pipeline.falsePositiveAfter} across the pipeline, ${pipeline.truePositiveSurvived} of ${pipeline.truePositiveTotal} confirmed true positives survive (${report.mode})`
            : `${proposal.falsePositiveRemoved} of ${proposal.falsePositiveTotal} false-positive incidents removed, ${proposal.truePositiveKept} of ${proposal.truePositiveTotal} true positives kept (${report.mode})`);
        const change = await applyProposal(proposal, this.applyOptions(request.author, reason));
        this.auditChange(change, 'applied', paramsOf(ruleset, change.ruleId, change.param, change.from));
        changes.push(change);
      }
      for (const proposal of report.joint) {
        const { pipeline } = proposal;
        const reason = request.reason ?? `false-positive incidents ${pipeline.falsePositiveBefore} → ${pipeline.falsePositiveAfter} across the pipeline, ${pipeline.truePositiveSurvived} of ${pipeline.truePositiveTotal} confirmed true positives survive (joint change, ${report.mode})`;
        for (const change of await applyJoint(proposal, this.applyOptions(request.author, reason))) {
          this.auditChange(change, 'applied', paramsOf(ruleset, change.ruleId, change.param, change.from));
          changes.push(change);
        }
      }
      for (const proposal of report.windows) {
        const { pipeline } = proposal;
        const reason = request.reason ?? `false-positive incidents ${pipeline.falsePositiveBefore} → ${pipeline.falsePositiveAfter} across the pipeline, ${pipeline.truePositiveSurvived} of ${pipeline.truePositiveTotal} confirmed true positives survive (window ${proposal.from} → ${proposal.to}, ${report.mode})`;
        const change = await applyWindow(proposal, this.applyOptions(request.author, reason));
        this.auditChange(change, 'applied', paramsOf(ruleset, change.ruleId, change.param, change.from));
        changes.push(change);
      }
      for (const proposal of report.disable) {
        const change = await applyDisable(proposal, this.applyOptions(request.author, request.reason ?? `${proposal.reason} (${report.mode})`));
        this.auditChange(change, 'applied', paramsOf(ruleset, change.ruleId, change.param, change.from));
        changes.push(change);
      }
      return { report, changes };
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

/** A rule's params as a rule set has them, with `param` at `value` (what the file says before the change). */
function paramsOf(ruleset: CompiledRuleSet | undefined, ruleId: string, param: string, value: number): Record<string, number> {
  const compiled = ruleset && [...ruleset.promoteRules, ...ruleset.suppressRules].find((r) => r.rule.id === ruleId);
  return { ...(compiled?.params ?? {}), [param]: value };
}
