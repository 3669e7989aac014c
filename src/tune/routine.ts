import { stringify } from 'yaml';
import type { TuningIncident } from '../ledger/records.js';
import { compiledException } from '../rules/load.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { verdictJudge, type PipelineScore } from './pipeline-check.js';
import { alertsOf, withException, type ReplayEvaluator } from './replay.js';

const DAY_MS = 86_400_000;

/** What makes a signature routine (docs/tuning.md, "Routine signatures"). */
export interface RoutineCriteria {
  /** Alerts of the signature in the replayed files. */
  readonly minAlerts: number;
  /** Distinct hosts (entities.host) that raised it. */
  readonly minHosts: number;
  /** Distinct UTC days it was raised on (at most the days the files cover). */
  readonly minDays: number;
}

export const ROUTINE_CRITERIA: RoutineCriteria = { minAlerts: 100, minHosts: 5, minDays: 3 };

export interface RoutineFinding {
  /** The routine signatures, sorted. */
  readonly signatures: readonly string[];
  /** Signatures that met the volume criteria but are among the alerts of a confirmed true positive: left out. */
  readonly guarded: readonly string[];
  readonly before: PipelineScore;
  /** The alerts re-run with the signatures suppressed. */
  readonly after: PipelineScore;
}

/**
 * Routine signatures learned from the replayed alerts and the verdicts: raised often, on many hosts, on
 * many days, and never by an alert of a confirmed true-positive incident (every alert the current rules
 * promoted into it). The list is then checked across the whole pipeline: the alerts re-run with those
 * signatures suppressed before any rule sees them.
 */
export function learnRoutine(replay: ReplayEvaluator, ruleset: CompiledRuleSet, incidents: readonly TuningIncident[], criteria: RoutineCriteria = ROUTINE_CRITERIA): RoutineFinding | undefined {
  const baseline = replay.run(ruleset);
  const inTruePositives = new Set<string>();
  for (const incident of incidents) {
    if (incident.verdict !== 'true_positive') continue;
    for (const id of alertsOf(baseline, incident)) inTruePositives.add(id);
  }
  const stats = new Map<string, { alerts: number; hosts: Set<string>; days: Set<number>; guarded: boolean }>();
  let first = Infinity;
  let last = -Infinity;
  for (const { alert, timeMs } of replay.alerts()) {
    let s = stats.get(alert.name);
    if (!s) stats.set(alert.name, (s = { alerts: 0, hosts: new Set(), days: new Set(), guarded: false }));
    s.alerts++;
    if (alert.entities.host !== undefined) s.hosts.add(alert.entities.host);
    s.days.add(Math.floor(timeMs / DAY_MS));
    if (inTruePositives.has(alert.id)) s.guarded = true;
    first = Math.min(first, timeMs);
    last = Math.max(last, timeMs);
  }
  const minDays = Math.min(criteria.minDays, Math.floor(last / DAY_MS) - Math.floor(first / DAY_MS) + 1);
  const frequent = [...stats].filter(([, s]) => s.alerts >= criteria.minAlerts && s.hosts.size >= criteria.minHosts && s.days.size >= minDays);
  const signatures = frequent.filter(([, s]) => !s.guarded).map(([name]) => name).sort();
  const guarded = frequent.filter(([, s]) => s.guarded).map(([name]) => name).sort();
  if (signatures.length === 0) return undefined;
  const judge = verdictJudge(baseline, incidents, (ids) => replay.inFiles(ids));
  const after = judge(replay.run(withSuppressed(ruleset, signatures)));
  return { signatures, guarded, before: judge(baseline), after };
}

/** The rule set with the signatures silenced ahead of every rule (as an exception does). */
function withSuppressed(ruleset: CompiledRuleSet, signatures: readonly string[]): CompiledRuleSet {
  const routine = compiledException({ kind: 'exception', id: 'tune-routine', reason: 'routine signatures', owner: 'tune', expires: '9999-12-31', match: { name: [...signatures] } }, '');
  return withException(ruleset, routine, `routine:${signatures.length}:${signatures.join('\u0000')}`);
}

/** The signature-stream pack's routine list (packs/signature-stream/routine.yaml) holding the signatures. */
export function routineListYaml(signatures: readonly string[]): string {
  return stringify({ kind: 'conditions', conditions: { 'routine-signature': { all: [{ fact: 'name', operator: 'in', value: [...signatures] }] } } }, { lineWidth: 0 });
}
