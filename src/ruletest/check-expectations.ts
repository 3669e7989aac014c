import type { IncidentRecord } from '../incidents/index.js';
import type { ScenarioAlert } from './expand-alerts.js';
import type { AlertOutcome, ScenarioRun } from './run-scenario.js';
import type { AlertSelector, DecisionExpectation, IncidentExpectation, Outcome, Scenario } from './scenario-schema.js';

/** `"3..9"`: alerts #3 to #9, inclusive. */
const RANGE = /^(\d+)\.\.(\d+)$/;
/** A range that is wrong everywhere is usually one mistake: show a few alerts, count the rest. */
const SHOWN_PER_EXPECTATION = 3;

type Resolved = { readonly ok: true; readonly indices: number[] } | { readonly ok: false; readonly message: string };

/** Every way the run differs from the scenario's expectations, one message per difference. */
export function checkExpectations(expect: Scenario['expect'], alerts: readonly ScenarioAlert[], run: ScenarioRun): string[] {
  const failures = expect.decisions.flatMap((e) => checkDecision(e, alerts, run));
  if (expect.incidents !== undefined) failures.push(...checkIncidents(expect.incidents, alerts, run.incidents));
  return failures;
}

/** Alert positions (0-based) picked by a selector: a 1-based number, a `"3..9"` range or an alert id. */
export function resolveSelector(selector: AlertSelector, alerts: readonly ScenarioAlert[]): Resolved {
  const count = alerts.length;
  if (typeof selector === 'number') {
    return selector <= count ? { ok: true, indices: [selector - 1] } : { ok: false, message: `there is no alert #${selector} (the scenario has ${count})` };
  }
  const range = RANGE.exec(selector);
  if (range) {
    const from = Number(range[1]);
    const to = Number(range[2]);
    if (from < 1 || from > to || to > count) return { ok: false, message: `range ${selector} is not within alerts #1..#${count}` };
    return { ok: true, indices: Array.from({ length: to - from + 1 }, (_, i) => from - 1 + i) };
  }
  const index = alerts.findIndex((a) => a.id === selector);
  return index >= 0 ? { ok: true, indices: [index] } : { ok: false, message: `no alert has id "${selector}"` };
}

function checkDecision(expected: DecisionExpectation, alerts: readonly ScenarioAlert[], run: ScenarioRun): string[] {
  const picked = resolveSelector(expected.at, alerts);
  if (!picked.ok) return [`at ${JSON.stringify(expected.at)}: ${picked.message}`];
  const failing = picked.indices.map((i) => checkAlert(expected, i, alerts, run)).filter((f) => f.length > 0);
  const shown = failing.slice(0, SHOWN_PER_EXPECTATION).flat();
  const hidden = failing.length - SHOWN_PER_EXPECTATION;
  return hidden > 0 ? [...shown, `... and ${hidden} more of the alerts at ${JSON.stringify(expected.at)} differ`] : shown;
}

function checkAlert(expected: DecisionExpectation, i: number, alerts: readonly ScenarioAlert[], run: ScenarioRun): string[] {
  const outcome = run.outcomes[i]!;
  const label = alertLabel(alerts[i]!);
  if (outcomeOf(outcome) !== expected.decision || (expected.rule !== undefined && deciderOf(outcome) !== expected.rule)) {
    const by = expected.rule === undefined ? '' : ` by ${expected.rule}`;
    return [`${label}: expected ${expected.decision}${by}, got ${describeOutcome(outcome)}`];
  }
  if (expected.reason !== undefined && outcome.kind === 'invalid' && !outcome.record.reason.includes(expected.reason)) {
    return [`${label}: expected a dead-letter reason containing "${expected.reason}", got "${outcome.record.reason}"`];
  }
  return checkIncidentOf(expected, i, alerts, run.outcomes);
}

/** sameIncidentAs and newIncident: which incident a promoted alert went to. */
function checkIncidentOf(expected: DecisionExpectation, i: number, alerts: readonly ScenarioAlert[], outcomes: readonly AlertOutcome[]): string[] {
  const label = alertLabel(alerts[i]!);
  const incident = incidentOf(outcomes[i]!);
  const failures: string[] = [];
  if (expected.sameIncidentAs !== undefined) {
    const target = resolveSelector(expected.sameIncidentAs, alerts);
    if (!target.ok || target.indices.length !== 1) {
      failures.push(`${label}: sameIncidentAs ${JSON.stringify(expected.sameIncidentAs)}: ${target.ok ? 'must pick exactly one alert' : target.message}`);
    } else {
      const j = target.indices[0]!;
      const other = incidentOf(outcomes[j]!);
      if (other === undefined) {
        failures.push(`${label}: expected the incident of ${alertLabel(alerts[j]!)}, but that alert got ${describeOutcome(outcomes[j]!)}`);
      } else if (other !== incident) {
        failures.push(`${label}: expected the incident of ${alertLabel(alerts[j]!)} (${other}), got ${incident}`);
      }
    }
  }
  if (expected.newIncident !== undefined && incident !== undefined) {
    const opener = outcomes.slice(0, i).findIndex((o) => incidentOf(o) === incident);
    if (expected.newIncident && opener >= 0) {
      failures.push(`${label}: expected to open a new incident, but it joined ${incident}, opened by ${alertLabel(alerts[opener]!)}`);
    } else if (!expected.newIncident && opener < 0) {
      failures.push(`${label}: expected to join an open incident, but it opened ${incident}`);
    }
  }
  return failures;
}

function checkIncidents(expected: readonly IncidentExpectation[], alerts: readonly ScenarioAlert[], actual: readonly IncidentRecord[]): string[] {
  const incidents = [...actual].sort(compareIncidents);
  const wanted = expected.reduce((sum, e) => sum + e.count, 0);
  const failures: string[] = [];
  let next = 0;
  for (const e of expected) {
    for (let k = 0; k < e.count && next < incidents.length; k++, next++) {
      const differences = incidentDifferences(e, incidents[next]!, alerts);
      if (differences.length > 0) failures.push(`incident ${next + 1} of ${incidents.length} (${describeIncident(incidents[next]!)}): ${differences.join('; ')}`);
    }
  }
  if (wanted !== incidents.length) {
    const list = incidents.length === 0 ? 'none' : incidents.map((inc, k) => `\n    ${k + 1}. ${describeIncident(inc)}`).join('');
    failures.push(`expected ${wanted} incident${wanted === 1 ? '' : 's'}, got ${incidents.length}: ${list}`);
  }
  return failures;
}

function incidentDifferences(e: IncidentExpectation, inc: IncidentRecord, alerts: readonly ScenarioAlert[]): string[] {
  const out: string[] = [];
  const compare = (what: string, want: unknown, got: unknown) => {
    if (want !== undefined && JSON.stringify(want) !== JSON.stringify(got)) out.push(`expected ${what} ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  };
  compare('rule', e.rule, inc.ruleId);
  compare('alertCount', e.alertCount, inc.alertCount);
  compare('groupKey', e.groupKey && sortedEntries(e.groupKey), sortedEntries(inc.groupKey));
  compare('title', e.title, inc.title);
  compare('severity', e.severity, inc.severity);
  if (e.alerts !== undefined) {
    const ids = new Set<string>();
    for (const selector of e.alerts) {
      const picked = resolveSelector(selector, alerts);
      if (!picked.ok) return [...out, `alerts: ${picked.message}`];
      for (const i of picked.indices) ids.add(alerts[i]!.id);
    }
    compare('alerts', [...ids].sort(), [...inc.alertIds].sort());
    if (inc.alertIdsTruncated) out.push(`the incident lists only ${inc.alertIds.length} of its ${inc.alertCount} alert ids`);
  }
  return out;
}

/** Incidents in the order scenarios list them: firstSeen, then rule, then group. */
function compareIncidents(a: IncidentRecord, b: IncidentRecord): number {
  const keyOf = (i: IncidentRecord) => [i.firstSeen, i.ruleId, JSON.stringify(sortedEntries(i.groupKey)), i.id];
  const ka = keyOf(a);
  const kb = keyOf(b);
  for (let k = 0; k < ka.length; k++) if (ka[k] !== kb[k]) return ka[k]! < kb[k]! ? -1 : 1;
  return 0;
}

function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function outcomeOf(outcome: AlertOutcome): Outcome {
  return outcome.kind === 'invalid' ? 'invalid' : outcome.record.decision;
}

/** The rule or exception that decided, if any. */
function deciderOf(outcome: AlertOutcome): string | undefined {
  return outcome.kind === 'decided' ? (outcome.record.ruleId ?? undefined) : undefined;
}

function incidentOf(outcome: AlertOutcome): string | undefined {
  return outcome.kind === 'decided' ? outcome.record.incidentId : undefined;
}

function alertLabel(alert: ScenarioAlert): string {
  return `alert #${alert.n} (${alert.id})`;
}

/** What happened and why, in one line: `pass (near misses: auth-brute-force failures=19 users=1)`. */
function describeOutcome(outcome: AlertOutcome): string {
  if (outcome.kind === 'invalid') return `invalid (dead letter: ${outcome.record.reason})`;
  const { decision, ruleId, ruleVersion, explanation } = outcome.record;
  switch (explanation.by) {
    case 'exception': {
      const e = explanation.exception!;
      return `${decision} by exception ${e.id} (expires ${e.expires}: ${e.reason.trim()})`;
    }
    case 'rule': {
      const details = [
        explanation.aggregates && formatNumbers(explanation.aggregates),
        explanation.window && `group ${formatNumbers(explanation.window.group)}${explanation.window.late ? ', late' : ''}${explanation.window.lossy ? ', lossy' : ''}`,
        explanation.alsoFired && `also fired: ${explanation.alsoFired.join(', ')}`,
      ].filter((d): d is string => Boolean(d));
      return `${decision} by ${ruleId} v${ruleVersion}${details.length > 0 ? ` (${details.join('; ')})` : ''}`;
    }
    case 'duplicate': {
      const first = explanation.duplicateOf!;
      return `duplicate (the alert came before: same id and time; first decided ${first.decision}${first.ruleId ? ` by ${first.ruleId}` : ''})`;
    }
    case 'none': {
      const misses = explanation.nearMisses ?? [];
      if (misses.length === 0) return `${decision} (no rule's match held)`;
      const described = misses.map((m) => `${m.ruleId}${Object.keys(m.aggregates).length > 0 ? ` ${formatNumbers(m.aggregates)}` : ''}`);
      return `${decision} (matched but did not fire: ${described.join('; ')})`;
    }
  }
}

function formatNumbers(values: Readonly<Record<string, number | string>>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

function describeIncident(inc: IncidentRecord): string {
  return `${inc.ruleId} [${formatNumbers(inc.groupKey)}] ${inc.alertCount} alert${inc.alertCount === 1 ? '' : 's'}, "${inc.title}"`;
}
