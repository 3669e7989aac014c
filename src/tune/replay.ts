import { createReadStream } from 'node:fs';
import type { Normalizer } from '../normalize/index.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { EMPTY_RULESET, type CompiledRule, type CompiledRuleSet } from '../rules/ruleset.js';
import { readLines, type InputLine } from '../source/index.js';
import type { Survival } from './counterfactual.js';

/**
 * Exact counterfactuals: the stored alerts re-run through the real pipeline with a candidate rule set,
 * windows, grouping and precedence included. The alerts are read once and kept in memory.
 */
export class ReplayEvaluator {
  /** By rule set fingerprint: a candidate is run once however often it is asked about. */
  private readonly cache = new Map<string, Map<string, Set<string>>>();

  private constructor(
    private readonly lines: readonly InputLine[],
    private readonly normalize: Normalizer,
    /** Ids of the valid alerts in the file. */
    readonly alertIds: ReadonlySet<string>,
  ) {}

  static async load(file: string, normalize: Normalizer, maxLineBytes: number): Promise<ReplayEvaluator> {
    const lines: InputLine[] = [];
    for await (const batch of readLines(createReadStream(file), { maxLineBytes })) lines.push(...batch);
    return ReplayEvaluator.of(lines, normalize);
  }

  static of(lines: readonly InputLine[], normalize: Normalizer): ReplayEvaluator {
    const ids = new Set<string>();
    const probe = new Pipeline({ ruleset: EMPTY_RULESET, normalize, sinks: { decision: (_json, alertId) => ids.add(alertId), incident: () => {}, deadLetter: () => {} } });
    probe.processBatch(lines);
    return new ReplayEvaluator(lines, normalize, ids);
  }

  /** Rule id → the alerts it promoted, running the alerts with `ruleset`. */
  promotions(ruleset: CompiledRuleSet): ReadonlyMap<string, ReadonlySet<string>> {
    const cached = this.cache.get(ruleset.fingerprint);
    if (cached) return cached;
    const byRule = new Map<string, Set<string>>();
    const pipeline = new Pipeline({
      ruleset,
      normalize: this.normalize,
      sinks: {
        decision: (_json, alertId, facts) => {
          if (facts.decision !== 'promote' || facts.ruleId === null) return;
          let set = byRule.get(facts.ruleId);
          if (!set) byRule.set(facts.ruleId, (set = new Set()));
          set.add(alertId);
        },
        incident: () => {},
        deadLetter: () => {},
      },
    });
    pipeline.processBatch(this.lines);
    pipeline.finish();
    this.cache.set(ruleset.fingerprint, byRule);
    return byRule;
  }

  /**
   * An incident survives a candidate rule set when its rule still promotes one of its alerts. Unknown
   * when none of its alerts are in the file, or when it lists only some of its alerts (alertIdsTruncated)
   * and none of those is promoted.
   */
  survival(ruleset: CompiledRuleSet, incident: { ruleId: string; alertIds: readonly string[]; alertIdsTruncated: boolean }): Survival {
    const promoted = this.promotions(ruleset).get(incident.ruleId);
    if (!incident.alertIds.some((id) => this.alertIds.has(id))) return 'unknown';
    if (promoted && incident.alertIds.some((id) => promoted.has(id))) return 'kept';
    return incident.alertIdsTruncated ? 'unknown' : 'removed';
  }
}

/** The rule set with one param of one rule set to `value` (the compiled conditions read params at run time). */
export function withParam(ruleset: CompiledRuleSet, ruleId: string, param: string, value: number): CompiledRuleSet {
  const swap = (compiled: CompiledRule): CompiledRule => {
    if (compiled.rule.id !== ruleId) return compiled;
    const declared = compiled.rule.params[param]!;
    return {
      ...compiled,
      params: { ...compiled.params, [param]: value },
      rule: { ...compiled.rule, params: { ...compiled.rule.params, [param]: { ...declared, value } } },
    };
  };
  return {
    ...ruleset,
    suppressRules: ruleset.suppressRules.map(swap),
    promoteRules: ruleset.promoteRules.map(swap),
    fingerprint: `${ruleset.fingerprint}+${ruleId}.${param}=${value}`,
  };
}
