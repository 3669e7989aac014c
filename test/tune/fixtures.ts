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

/** A scenario file for BURST_RULES that pins the threshold: the 10th alert on a host is promoted, the 9 before pass. */
export const BURST_THRESHOLD_SCENARIO = `# pins burst's minCount at 10
name: the 10th alert of a burst on one host is promoted
start: 2026-11-20T10:00:00Z
defaults: { source: suricata, name: ET SCAN test, severity: medium, category: recon, entities: { host: web-01 } }
alerts:
  - { repeat: 9, every: 1s, alert: { id: early } }
  - { id: tenth, time: +1s }
expect:
  decisions:
    - { at: 1..9, decision: pass }
    - { at: tenth, decision: promote, rule: burst }
`;

/** A scenario file for BURST_RULES that any threshold up to 40 keeps passing. */
export const BURST_BIG_SCENARIO = `name: a burst of 40 alerts on one host is promoted
start: 2026-11-20T10:00:00Z
defaults: { source: suricata, name: ET SCAN test, severity: medium, category: recon, entities: { host: web-02 } }
alerts:
  - { repeat: 40, every: 1s, alert: { id: big } }
expect:
  decisions:
    - { at: 40, decision: promote, rule: burst }
`;
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
