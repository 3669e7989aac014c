import { stringify } from 'yaml';
import type { TuningIncident } from '../ledger/records.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import type { ExceptionProposal } from './report.js';

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

/**
 * Exceptions worth proposing: entities or signatures in at least minIncidents false-positive incidents
 * and in no true- or benign-positive incident (of any rule). Keys found in exactly the same incidents
 * make one exception that must match all of them: the narrowest one that still covers those incidents.
 * A proposal covering only incidents that a bigger one covers is left out. Proposals are printed, not
 * written: an exception silences its alerts for every rule.
 */
export function proposeExceptions(incidents: readonly TuningIncident[], ruleset: CompiledRuleSet, options: ExceptionOptions): ExceptionProposal[] {
  const guarded = new Set<Key>();
  const inFalsePositives = new Map<Key, TuningIncident[]>();
  for (const incident of incidents) {
    const keys = keysOf(incident);
    if (incident.verdict === 'true_positive' || incident.verdict === 'benign_positive') for (const k of keys) guarded.add(k);
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
  return kept.map((group) => proposal(group.keys.sort(), group.incidents, expires, options.owner, taken));
}

function proposal(keys: readonly Key[], incidents: readonly TuningIncident[], expires: string, owner: string, taken: Set<string>): ExceptionProposal {
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
  return { id, match, expires, falsePositiveIncidents: ids, rules, yaml };
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
