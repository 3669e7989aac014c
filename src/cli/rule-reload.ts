import type { Logger } from 'pino';
import { createAuditLog, type AuditLog } from '../audit/audit-log.js';
import type { WorkerMetrics } from '../metrics/metrics.js';
import type { Pipeline, PipelineView } from '../pipeline/pipeline.js';
import { loadRules, type LoadResult } from '../rules/load.js';
import { formatProblem } from '../rules/problems.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { watchRules } from '../rules/watch.js';

/** The actor of reloads caused by a change to the rule files. */
export const RULES_WATCHER = 'rules-watcher';

type SwitchRules = (ruleset: CompiledRuleSet) => Promise<{ kept: string[]; reset: string[] }>;

export type RuleReloadOptions = RuleReloadCommon &
  (
    | {
        readonly pipeline: Pipeline;
        /**
         * Switches the rules (default: Pipeline.reload at once; the Kafka decider waits for the end of its
         * chunk and checkpoints first).
         */
        readonly reload?: SwitchRules;
      }
    /** Shards' pipelines read as one: each shard's decider switches its own. */
    | { readonly pipeline: PipelineView; readonly reload: SwitchRules }
  );

interface RuleReloadCommon {
  readonly dir: string;
  /**
   * Refuses a valid set the worker must not run, with why (lines; none: run it): under kafka.shardBy, a
   * rule that is not exact. The running rules stay, as for an invalid set.
   */
  readonly refuse?: (ruleset: CompiledRuleSet) => string[];
  readonly metrics: WorkerMetrics;
  readonly log: Logger;
  readonly audit?: AuditLog;
  /** Called after a valid set is applied (e.g. to record its versions in the ledger). */
  readonly onApplied?: (ruleset: CompiledRuleSet) => void;
}

export type ReloadOutcome =
  | { readonly applied: true; readonly fingerprint: string; readonly windowsKept: string[]; readonly windowsReset: string[] }
  | { readonly applied: false; readonly problems: string[] };

/**
 * Hot reload for a running worker: a valid set replaces the running one between two alerts (windows
 * keep their counts where their meaning is unchanged: Pipeline.reload); an invalid set is rejected
 * with its located problems in the log and the old rules keep deciding. Either way the audit log
 * records it, with the rule sets before and after. Reloads come from file changes (watch, actor
 * `rules-watcher`) or on demand (`POST /rules/reload`, actor: the token's name), one after another.
 */
export class RuleReloader {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly audit: AuditLog;

  constructor(private readonly options: RuleReloadOptions) {
    this.audit = options.audit ?? createAuditLog(options.log);
  }

  /** The rule set deciding now. */
  get current(): CompiledRuleSet {
    return this.options.pipeline.rules;
  }

  /** Loads the directory now and applies it if valid. */
  reload(actor: string): Promise<ReloadOutcome> {
    return this.serially(async () => this.apply(await loadRules(this.options.dir), actor));
  }

  /** Reloads whenever the files change; returns a function that stops watching. */
  watch(): () => void {
    const { dir, log } = this.options;
    return watchRules(
      dir,
      async (result) => {
        await this.serially(() => this.apply(result, RULES_WATCHER));
      },
      { onError: (err) => log.error({ rules: dir, err: (err as Error).message ?? String(err) }, 'rules watcher: a change could not be handled; watching goes on and the next change loads again') },
    );
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Applies a loaded set, or rejects it (invalid, or the switch to it failed): logged, counted and audited either way. */
  private async apply(result: LoadResult, actor: string): Promise<ReloadOutcome> {
    const { dir, pipeline, metrics, log } = this.options;
    const before = pipeline.rules;
    if (!result.ok) return this.reject(actor, before, result.problems.map(formatProblem), 'invalid');
    const { ruleset } = result;
    const refused = this.options.refuse?.(ruleset) ?? [];
    if (refused.length > 0) return this.reject(actor, before, refused, 'refused');
    let windows: { kept: string[]; reset: string[] };
    try {
      windows = this.options.reload ? await this.options.reload(ruleset) : (pipeline as Pipeline).reload(ruleset);
    } catch (err) {
      const problems = [`${dir}: switching to the new rules failed: ${(err as Error).message ?? String(err)}`];
      return this.reject(actor, before, problems, pipeline.rules === before ? 'not-switched' : 'failed-after-switch');
    }
    const { kept, reset } = windows;
    metrics.attach(pipeline, ruleset);
    metrics.recordReload('applied');
    log.info({ rules: dir, fingerprint: ruleset.fingerprint, windowsKept: kept, windowsReset: reset }, 'rules reloaded');
    this.audit.reload({
      actor,
      rulesDir: dir,
      result: 'applied',
      before: ruleSetState(before),
      after: ruleSetState(ruleset),
      ...ruleChanges(before, ruleset),
      windowsKept: kept,
      windowsReset: reset,
    });
    this.options.onApplied?.(ruleset);
    return { applied: true, fingerprint: ruleset.fingerprint, windowsKept: kept, windowsReset: reset };
  }

  /** Why a reload was rejected: invalid rules, or a switch that failed before or after the new rules took over. */
  private reject(actor: string, before: CompiledRuleSet, problems: string[], why: 'invalid' | 'refused' | 'not-switched' | 'failed-after-switch'): ReloadOutcome {
    const { dir, metrics, log } = this.options;
    metrics.recordReload('rejected');
    log.error(
      { rules: dir, problems },
      why === 'invalid'
        ? 'rules changed but are invalid; the running rules stay'
        : why === 'refused'
          ? 'rules changed but are not exact under kafka.shardBy; the running rules stay'
          : why === 'not-switched'
          ? 'rules reload failed; the running rules stay'
          : 'rules reload failed after the switch; the new rules are running',
    );
    this.audit.reload({ actor, rulesDir: dir, result: 'rejected', before: ruleSetState(before), problems });
    return { applied: false, problems };
  }
}

/** Watches the rules directory and applies valid changes (RuleReloader.watch). Returns a function that stops watching. */
export function reloadRulesOnChange(options: RuleReloadOptions): () => void {
  return new RuleReloader(options).watch();
}

function ruleSetState(ruleset: CompiledRuleSet): { fingerprint: string; rules: string[] } {
  return { fingerprint: ruleset.fingerprint, rules: [...definitions(ruleset).keys()].sort() };
}

/** Rule ids added, removed, and changed (same id, different definition: conditions, params, version, ...). */
function ruleChanges(before: CompiledRuleSet, after: CompiledRuleSet): { added: string[]; removed: string[]; changed: string[] } {
  const old = definitions(before);
  const now = definitions(after);
  return {
    added: [...now.keys()].filter((id) => !old.has(id)).sort(),
    removed: [...old.keys()].filter((id) => !now.has(id)).sort(),
    changed: [...now].filter(([id, json]) => old.has(id) && old.get(id) !== json).map(([id]) => id).sort(),
  };
}

/** Every rule (enabled or not) and exception by id, as its canonical JSON. */
function definitions(ruleset: CompiledRuleSet): Map<string, string> {
  const rules = [...ruleset.suppressRules, ...ruleset.promoteRules].map((r) => r.rule);
  const all = [...rules, ...ruleset.disabledRules, ...ruleset.exceptions.map((e) => e.exception)];
  return new Map(all.map((r) => [r.id, JSON.stringify(r)]));
}
