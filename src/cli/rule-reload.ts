import type { Logger } from 'pino';
import { createAuditLog, type AuditLog } from '../audit/audit-log.js';
import type { WorkerMetrics } from '../metrics/metrics.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { formatProblem } from '../rules/problems.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { watchRules } from '../rules/watch.js';

/** The actor of reloads caused by a change to the rule files. */
export const RULES_WATCHER = 'rules-watcher';

/**
 * Hot reload for a running worker: when the rule files change, a valid set replaces the running one
 * between two alerts (windows keep their counts where their meaning is unchanged: Pipeline.reload);
 * an invalid set is rejected with its located problems in the log and the old rules keep deciding.
 * Either way the audit log records it, with the rule sets before and after. `reload` switches the
 * rules (default: Pipeline.reload at once; the Kafka decider waits for the end of its chunk and
 * checkpoints first). Returns a function that stops watching.
 */
export function reloadRulesOnChange(options: {
  dir: string;
  pipeline: Pipeline;
  reload?: (ruleset: CompiledRuleSet) => Promise<{ kept: string[]; reset: string[] }>;
  metrics: WorkerMetrics;
  log: Logger;
  audit?: AuditLog;
}): () => void {
  const { dir, pipeline, metrics, log } = options;
  const reload = options.reload ?? (async (ruleset: CompiledRuleSet) => pipeline.reload(ruleset));
  const audit = options.audit ?? createAuditLog(log);
  return watchRules(dir, async (result) => {
    const before = pipeline.rules;
    if (!result.ok) {
      const problems = result.problems.map(formatProblem);
      metrics.recordReload('rejected');
      log.error({ rules: dir, problems }, 'rules changed but are invalid; the running rules stay');
      audit.reload({ actor: RULES_WATCHER, rulesDir: dir, result: 'rejected', before: ruleSetState(before), problems });
      return;
    }
    const { kept, reset } = await reload(result.ruleset);
    metrics.attach(pipeline, result.ruleset);
    metrics.recordReload('applied');
    log.info({ rules: dir, fingerprint: result.ruleset.fingerprint, windowsKept: kept, windowsReset: reset }, 'rules reloaded');
    audit.reload({
      actor: RULES_WATCHER,
      rulesDir: dir,
      result: 'applied',
      before: ruleSetState(before),
      after: ruleSetState(result.ruleset),
      ...ruleChanges(before, result.ruleset),
      windowsKept: kept,
      windowsReset: reset,
    });
  });
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
