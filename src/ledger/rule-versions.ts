import { fingerprintOf, type CompiledRuleSet } from '../rules/ruleset.js';
import type { RuleVersionRow } from './rows.js';

/** The rule_versions rows of a rule set: each rule's definition, under its id and version. */
export function ruleVersionsOf(ruleset: CompiledRuleSet): Omit<RuleVersionRow, 'first_seen_ms'>[] {
  return [...ruleset.suppressRules, ...ruleset.promoteRules].map(({ rule, file }) => ({
    rule_id: rule.id,
    version: rule.version,
    fingerprint: fingerprintOf([rule]),
    file,
    definition: JSON.stringify(rule),
  }));
}
