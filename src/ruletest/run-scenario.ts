import { EVENT_TIME_DEFAULTS } from '../config/event-time.js';
import { parseDecision, type DecisionRecord } from '../decide/decision-record.js';
import type { IncidentRecord } from '../incidents/index.js';
import type { Normalizer } from '../normalize/index.js';
import type { DeadLetterRecord } from '../pipeline/dead-letter.js';
import { Pipeline } from '../pipeline/pipeline.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import type { ScenarioAlert } from './expand-alerts.js';

const SCENARIO_EVENT_TIME = { ...EVENT_TIME_DEFAULTS, maxFutureSkew: 'off' } as const;

/** What became of one scenario alert: a decision, or a dead letter. */
export type AlertOutcome =
  | { readonly kind: 'decided'; readonly record: DecisionRecord }
  | { readonly kind: 'invalid'; readonly record: DeadLetterRecord };

export interface ScenarioRun {
  /** outcomes[n - 1] is the outcome of alert #n. */
  readonly outcomes: readonly AlertOutcome[];
  /** Every incident written, closed or still open at the end. */
  readonly incidents: readonly IncidentRecord[];
}

/**
 * Runs the alerts through the real pipeline, one line per batch so each outcome is tied to its alert
 * (the pipeline emits one decision or dead letter per line, synchronously, after the decisions of any
 * absence rule's silences the line revealed: those are not the alert's, and only their incidents are checked). Without the bound
 * on future-dated alerts (eventTime.maxFutureSkew: off): a scenario's few alerts jump hours and days
 * as its story needs, where a real stream would have others in between.
 */
export function runScenario(ruleset: CompiledRuleSet, normalize: Normalizer, alerts: readonly ScenarioAlert[]): ScenarioRun {
  const outcomes: AlertOutcome[] = [];
  const incidents: IncidentRecord[] = [];
  const pipeline = new Pipeline({
    ruleset,
    normalize,
    eventTime: SCENARIO_EVENT_TIME,
    sinks: {
      decision: (json) => outcomes.push({ kind: 'decided', record: parseDecision(json) }),
      deadLetter: (record) => outcomes.push({ kind: 'invalid', record }),
      incident: (record) => incidents.push(record),
    },
  });
  for (const alert of alerts) {
    const before = outcomes.length;
    pipeline.processBatch([{ line: alert.n, text: alert.text }]);
    // Silences of absence rules the alert's time revealed are decided just before it: its outcome is the last.
    const own = outcomes.splice(before).pop();
    if (own === undefined) throw new Error(`the pipeline gave no outcome for alert ${alert.n}`);
    outcomes.push(own);
  }
  pipeline.finish();
  return { outcomes, incidents };
}
