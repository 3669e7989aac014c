import type { CanonicalAlert } from '../normalize/alert.js';
import type { Explanation } from '../decide/decision-record.js';
import { groupFieldsOf } from '../decide/group-key.js';
import type { RuleOutcome, Verdict } from '../decide/evaluator.js';
import type { CompiledRule } from '../rules/ruleset.js';

/**
 * Builds the explanation of a verdict, once per alert. Keys that do not apply are left undefined
 * (JSON omits them), so every explanation has one object shape.
 */
export function explain(verdict: Verdict, alert: CanonicalAlert): Explanation {
  switch (verdict.kind) {
    case 'exception': {
      const { exception, file } = verdict.exception;
      return { by: 'exception', exception: { id: exception.id, reason: exception.reason, expires: exception.expires, file } };
    }
    case 'rule':
      return ruleExplanation(verdict.outcome, alert, verdict.alsoFired);
    case 'none':
      return {
        by: 'none',
        nearMisses: verdict.nearMisses.length === 0 ? undefined : verdict.nearMisses.map((o) => ({ ruleId: o.rule.rule.id, aggregates: o.aggregates })),
      };
  }
}

function ruleExplanation({ rule: compiled, aggregates, late }: RuleOutcome, alert: CanonicalAlert, alsoFired: readonly CompiledRule[]): Explanation {
  const { window } = compiled;
  return {
    by: 'rule',
    rule: compiled.summary,
    window: window ? { group: groupFieldsOf(window.groupBy, window.groupReaders, alert), late } : undefined,
    aggregates: window ? aggregates : undefined,
    params: compiled.hasParams ? compiled.params : undefined,
    conditions: compiled.conditions.explain({ alert, aggregates, params: compiled.params }),
    alsoFired: alsoFired.length > 0 ? alsoFired.map((r) => r.rule.id) : undefined,
  };
}
