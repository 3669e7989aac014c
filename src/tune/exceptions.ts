import { stringify } from 'yaml';
import type { TuningIncident } from '../ledger/records.js';
import { compiledException } from '../rules/load.js';
import type { CompiledException, CompiledRuleSet } from '../rules/ruleset.js';
import type { Exception } from '../rules/schema.js';
import { portabilityOf } from './portability.js';
import { alertsOf, type ReplayEvaluator } from './replay.js';
import type { ExceptionProposal, RefusedException } from './report.js';

export interface ExceptionOptions {
  /** An entity or signature needs this many false-positive incidents. */
  readonly minIncidents: number;
  /** When proposed exceptions expire (epoch ms, event time). */
  readonly expiresAtMs: number;
  /** The owner written into the proposals. */
  readonly owner: string;
}

/** `host=backup-01` or `name=<signature>`: what an exception can match on. */
type Key = string;

/**
 * What an incident is about, as exception keys: what its rule grouped it by (entities.* fields and
 * name: the source of the noise, not every entity its alerts carried), the signature of the alert
 * that opened it, and the entity its verdict names.
 */
function keysOf(incident: TuningIncident): Set<Key> {
  const keys = new Set<Key>();
  for (const [field, value] of Object.entries(incident.record.groupKey)) {
    if (value === '') continue;
    if (field === 'name') keys.add(`name=${value}`);
    else if (field.startsWith('entities.') && !field.slice(9).includes('.')) keys.add(`${field.slice(9)}=${value}`);
  }
  if (incident.openingAlert) keys.add(`name=${incident.openingAlert.name}`);
  if (incident.entity) keys.add(`${incident.entity.kind}=${incident.entity.value}`);
  return keys;
}

/** One alert of a true- or benign-positive incident whose fields are known. */
export interface GuardAlert {
  readonly incident: TuningIncident;
  /** Its id, when known. */
  readonly alertId: string | undefined;
  /** Whether it opened the incident. */
  readonly opening: boolean;
  /** The alert as an exception reads it (name, source, entities). */
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * What every exception proposal is checked against: every alert of every true- and benign-positive
 * incident. With the replayed alerts, all of them are known; from the ledger alone, only the alert that
 * opened each (the others are counted in `partial`, with their incident's group key, which every one
 * of its alerts carries).
 */
export interface GuardAlerts {
  readonly known: readonly GuardAlert[];
  readonly partial: readonly { readonly incident: TuningIncident; readonly unknown: number }[];
}

/** From the ledger alone: each incident's opening alert is known, the rest are not. */
export function openingGuardAlerts(incidents: readonly TuningIncident[]): GuardAlerts {
  const known: GuardAlert[] = [];
  const partial: GuardAlerts['partial'][number][] = [];
  for (const incident of incidents) {
    if (!isGuarded(incident)) continue;
    const { openingAlert, record } = incident;
    if (openingAlert) known.push({ incident, alertId: record.alertIds[0], opening: true, fields: openingAlert });
    const unknown = record.alertCount - (openingAlert ? 1 : 0);
    if (unknown > 0) partial.push({ incident, unknown });
  }
  return { known, partial };
}

/** With the replayed alerts: every alert the current rules promoted into each incident (or its record lists), looked up in the files. */
export function replayGuardAlerts(replay: ReplayEvaluator, ruleset: CompiledRuleSet, incidents: readonly TuningIncident[]): GuardAlerts {
  const baseline = replay.run(ruleset);
  const guarded = incidents.filter(isGuarded).map((incident) => ({ incident, ids: alertsOf(baseline, incident), listed: !baseline.incidents.has(incident.record.id) }));
  const found = replay.alertsById(new Set(guarded.flatMap((g) => g.ids)));
  const known: GuardAlert[] = [];
  const partial: GuardAlerts['partial'][number][] = [];
  for (const { incident, ids, listed } of guarded) {
    let unknown = listed ? incident.record.alertCount - ids.length : 0;
    ids.forEach((alertId, i) => {
      const fields = found.get(alertId);
      if (fields) known.push({ incident, alertId, opening: i === 0, fields });
      else unknown++;
    });
    if (unknown > 0) partial.push({ incident, unknown });
  }
  return { known, partial };
}

export function isGuarded(incident: TuningIncident): boolean {
  return incident.verdict === 'true_positive' || incident.verdict === 'benign_positive';
}

/**
 * Exceptions worth proposing: entities or signatures in at least minIncidents false-positive incidents
 * and in no true- or benign-positive incident's group key, opening alert or verdict entity (of any
 * rule). Keys found in exactly the same incidents make one exception that must match all of them: the
 * narrowest one that still covers those incidents. A proposal covering only incidents that a bigger one
 * covers is left out. Each proposal is then checked against every alert of every true- and
 * benign-positive incident (`guard`): one that matches any of them is refused, with the alert named.
 * Proposals are printed, not written: an exception silences its alerts for every rule.
 */
export function proposeExceptions(
  incidents: readonly TuningIncident[],
  ruleset: CompiledRuleSet,
  options: ExceptionOptions,
  guard: GuardAlerts = openingGuardAlerts(incidents),
): { proposals: ExceptionProposal[]; refused: RefusedException[] } {
  const guarded = new Set<Key>();
  const inFalsePositives = new Map<Key, TuningIncident[]>();
  for (const incident of incidents) {
    const keys = keysOf(incident);
    if (isGuarded(incident)) for (const k of keys) guarded.add(k);
    if (incident.verdict !== 'false_positive') continue;
    for (const k of keys) {
      let list = inFalsePositives.get(k);
      if (!list) inFalsePositives.set(k, (list = []));
      list.push(incident);
    }
  }
  // Group keys by the exact set of incidents they are in.
  const groups = new Map<string, { keys: Key[]; incidents: TuningIncident[] }>();
  for (const [key, list] of inFalsePositives) {
    if (guarded.has(key) || list.length < options.minIncidents) continue;
    const signature = list.map((i) => i.record.id).sort().join(',');
    let group = groups.get(signature);
    if (!group) groups.set(signature, (group = { keys: [], incidents: list }));
    group.keys.push(key);
  }
  const kept: { keys: Key[]; incidents: TuningIncident[] }[] = [];
  for (const group of [...groups.values()].sort((a, b) => b.incidents.length - a.incidents.length || (a.keys[0]! < b.keys[0]! ? -1 : 1))) {
    const ids = new Set(group.incidents.map((i) => i.record.id));
    if (!kept.some((k) => [...ids].every((id) => k.incidents.some((i) => i.record.id === id)))) kept.push(group);
  }
  const taken = new Set([...ruleset.promoteRules, ...ruleset.suppressRules].map((r) => r.rule.id).concat(ruleset.exceptions.map((e) => e.exception.id)));
  const expires = new Date(options.expiresAtMs).toISOString().slice(0, 10);
  const proposals: ExceptionProposal[] = [];
  const refused: RefusedException[] = [];
  for (const group of kept) {
    const p = proposal(group.keys.sort(), group.incidents, expires, options.owner, taken);
    const checked = checkAgainst(p, guard);
    if ('refusal' in checked) refused.push({ id: p.id, match: p.match, portability: p.portability, falsePositiveIncidents: p.falsePositiveIncidents, reason: checked.refusal });
    else proposals.push({ ...p, guardCheck: checked });
  }
  return { proposals, refused };
}

/** The exception a proposal stands for, compiled as the pipeline runs it. */
export function exceptionOf(p: Pick<ExceptionProposal, 'id' | 'match' | 'expires' | 'yaml'>, owner = 'tune'): CompiledException {
  const value: Exception = { kind: 'exception', id: p.id, reason: 'proposed by alertgate tune', owner, expires: p.expires, match: p.match };
  return compiledException(value, '');
}

/**
 * A proposal against the alerts of the true- and benign-positive incidents: refused when it matches
 * one; otherwise how many alerts it was checked against, and how many could not be (their fields are
 * unknown, and their incident's group key does not rule a match out).
 */
function checkAgainst(p: Omit<ExceptionProposal, 'guardCheck'>, guard: GuardAlerts): ExceptionProposal['guardCheck'] | { refusal: string } {
  const exception = exceptionOf(p);
  for (const { incident, alertId, opening, fields } of guard.known) {
    if (!exception.matches(fields)) continue;
    const kind = incident.verdict === 'true_positive' ? 'true-positive' : 'benign-positive';
    const which = opening ? 'the alert that opened' : `alert ${alertId ?? '(id unknown)'}, not the one that opened,`;
    return { refusal: `matches ${which} ${kind} incident ${incident.record.id} (${incident.record.ruleId})` };
  }
  let unknown = 0;
  for (const { incident, unknown: n } of guard.partial) if (!ruledOut(p.match, incident.record.groupKey)) unknown += n;
  return { alerts: guard.known.length, unknownAlerts: unknown, complete: unknown === 0 };
}

/** Whether an incident's group key shows that none of its alerts fits the match (they all carry the key's values). */
function ruledOut(match: ExceptionProposal['match'], groupKey: Readonly<Record<string, string>>): boolean {
  if (match.name !== undefined && groupKey.name !== undefined && groupKey.name !== match.name) return true;
  return Object.entries(match.entities ?? {}).some(([kind, value]) => {
    const grouped = groupKey[`entities.${kind}`];
    return grouped !== undefined && grouped !== value;
  });
}

function proposal(keys: readonly Key[], incidents: readonly TuningIncident[], expires: string, owner: string, taken: Set<string>): Omit<ExceptionProposal, 'guardCheck'> {
  const entities: Record<string, string> = {};
  let name: string | undefined;
  for (const key of keys) {
    const at = key.indexOf('=');
    const kind = key.slice(0, at);
    const value = key.slice(at + 1);
    if (kind === 'name') name = value;
    else entities[kind] = value;
  }
  const match = { ...(name !== undefined ? { name } : {}), ...(Object.keys(entities).length > 0 ? { entities } : {}) };
  const id = uniqueId(`tune-${slug(entities.host ?? entities.src_ip ?? entities.user ?? Object.values(entities)[0] ?? name ?? 'exception')}`, taken);
  const ids = incidents.map((i) => i.record.id).sort();
  const rules = [...new Set(incidents.map((i) => i.record.ruleId))].sort();
  const reason =
    `Proposed by alertgate tune: ${incidents.length} false-positive incidents of ${rules.join(', ')} ` +
    `(${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}) and no true- or benign-positive incident share this match.`;
  const yaml = stringify({ kind: 'exception', id, reason, owner, expires, match }, { lineWidth: 100 });
  return { id, match, expires, portability: portabilityOf(Object.keys(entities)), falsePositiveIncidents: ids, rules, yaml };
}

/** An id part from an entity value or a signature: lowercase, at most 60 characters, starting and ending with a letter or digit. */
function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      // Cut first, then trim: a cut can end on a "." or "-" (and a signature can end with one).
      .slice(0, 60)
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'exception'
  );
}

function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}
