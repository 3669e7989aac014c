import type { Verdict } from '../../src/feedback/feedback.js';
import type { TuningIncident } from '../../src/ledger/records.js';
import { createNormalizer } from '../../src/normalize/index.js';
import type { CompiledRuleSet } from '../../src/rules/ruleset.js';
import { ReplayEvaluator } from '../../src/tune/replay.js';
import type { TuneReport } from '../../src/tune/report.js';
import { tune, type Guardrails } from '../../src/tune/tuner.js';
import { rule, runPipeline } from '../helpers.js';

/** A rules directory with one windowed rule: `burst` promotes from `minCount` (10) alerts on one host in 5 minutes. */
export const BURST_RULES = {
  'burst.yaml': rule({
    id: 'burst',
    params: { minCount: { value: 10, min: 2, max: 100, step: 1 } },
    match: { all: [] },
    window: { groupBy: ['entities.host'], size: '5m' },
    aggregates: { hits: { kind: 'count' } },
    conditions: { all: [{ fact: 'hits', operator: 'greaterThanInclusive', value: { fact: 'params', path: '$.minCount' } }] },
  }),
};

/**
 * A tuner run over `alerts` with the whole-pipeline check: the current rules' incidents, each with the
 * verdict of the host it groups by, no exception proposals (minIncidents 100) and no disabling unless asked.
 */
export function pipelineTune(set: CompiledRuleSet, alerts: readonly Record<string, unknown>[], verdictOfHost: (host: string) => Verdict | null, guardrails: Partial<Guardrails> = {}): TuneReport {
  const { incidents } = runPipeline(set, alerts);
  const tuning: TuningIncident[] = incidents.map((record) => ({ record, verdict: verdictOfHost(record.groupKey['entities.host']!), entity: undefined, openingAlert: undefined }));
  return tune({
    ruleset: set,
    incidents: tuning,
    guardrails: { minRecall: 1, maxStep: '50%', minVerdicts: 5, disableBelowPrecision: 0, ...guardrails },
    period: { fromMs: undefined, toMs: undefined },
    replay: ReplayEvaluator.of(alerts.map((a, i) => ({ line: i + 1, text: JSON.stringify(a) })), createNormalizer({ format: 'canonical' })),
    exceptions: { minIncidents: 100, expiresAtMs: Date.UTC(2026, 11, 31), owner: 'soc' },
  });
}
