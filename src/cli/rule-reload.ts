import type { Logger } from 'pino';
import type { WorkerMetrics } from '../metrics/metrics.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { formatProblem } from '../rules/problems.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { watchRules } from '../rules/watch.js';

/**
 * Hot reload for a running worker: when the rule files change, a valid set replaces the running one
 * between two alerts (windows keep their counts where their meaning is unchanged: Pipeline.reload);
 * an invalid set is rejected with its located problems in the log and the old rules keep deciding.
 * `reload` switches the rules (default: Pipeline.reload at once; the Kafka decider waits for the end
 * of its chunk and checkpoints first). Returns a function that stops watching.
 */
export function reloadRulesOnChange(options: {
  dir: string;
  pipeline: Pipeline;
  reload?: (ruleset: CompiledRuleSet) => Promise<{ kept: string[]; reset: string[] }>;
  metrics: WorkerMetrics;
  log: Logger;
}): () => void {
  const { dir, pipeline, metrics, log } = options;
  const reload = options.reload ?? (async (ruleset: CompiledRuleSet) => pipeline.reload(ruleset));
  return watchRules(dir, async (result) => {
    if (!result.ok) {
      metrics.recordReload('rejected');
      log.error({ rules: dir, problems: result.problems.map(formatProblem) }, 'rules changed but are invalid; the running rules stay');
      return;
    }
    const { kept, reset } = await reload(result.ruleset);
    metrics.attach(pipeline, result.ruleset);
    metrics.recordReload('applied');
    log.info({ rules: dir, fingerprint: result.ruleset.fingerprint, windowsKept: kept, windowsReset: reset }, 'rules reloaded');
  });
}
