import type { CanonicalAlert } from '../normalize/alert.js';
import type { Explanation } from '../decide/decision-record.js';
import { groupFieldsOf } from '../decide/group-key.js';
import type { RuleOutcome, Verdict } from '../decide/evaluator.js';

/** Builds the explanation of a verdict: runs once per alert, off the per-rule hot loop. */
export function explain(verdict: Verdict, alert: CanonicalAlert): Explanation {
  switch (verdict.kind) {
    case 'exception': {
      const { exception, file } = verdict.exception;
      return { by: 'exception', exception: { id: exception.id, reason: exception.reason, expires: exception.expires, file } };
    }
    case 'rule':
      return {
        by: 'rule',
        ...ruleExplanation(verdict.outcome, alert),
        ...(verdict.alsoFired.length > 0 ? { alsoFired: verdict.alsoFired.map((r) => r.rule.id) } : {}),
      };
    case 'none':
      return verdict.nearMisses.length === 0
        ? { by: 'none' }
        : { by: 'none', nearMisses: verdict.nearMisses.map((o) => ({ ruleId: o.rule.rule.id, aggregates: o.aggregates })) };
  }
}

function ruleExplanation({ rule: compiled, aggregates, late }: RuleOutcome, alert: CanonicalAlert): Omit<Explanation, 'by'> {
  const { rule, window } = compiled;
  return {
    rule: { id: rule.id, version: rule.version, priority: rule.priority, file: compiled.file },
    ...(window ? { window: { group: groupFieldsOf(window.groupBy, window.groupReaders, alert), late } } : {}),
    ...(window ? { aggregates } : {}),
    ...(Object.keys(compiled.params).length > 0 ? { params: compiled.params } : {}),
    conditions: compiled.conditions.explain({ alert, aggregates, params: compiled.params }),
  };
}
