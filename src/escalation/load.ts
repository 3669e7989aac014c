import { dirname, isAbsolute, join } from 'node:path';
import { RuleLoadError, type RuleProblem } from '../rules/problems.js';
import { locate, parseLocated, readRuleFile, type RuleDocument } from '../rules/read-files.js';
import { isTimeZone } from './calendar.js';
import { onCallOf, type OnCall } from './rotation.js';
import { EscalationFile, Shift } from './schema.js';

/** An escalation file, validated and ready: its policies and its rotations. */
export interface EscalationPolicy {
  readonly file: string;
  readonly spec: EscalationFile;
  readonly rotations: ReadonlyMap<string, OnCall>;
  /** Every receiver the policies name, sorted. */
  readonly receivers: readonly string[];
}

export type EscalationLoad = { readonly ok: true; readonly policy: EscalationPolicy } | { readonly ok: false; readonly problems: readonly RuleProblem[] };

/**
 * Reads and checks an escalation file and the schedule files its rotations name. Every problem is
 * located like a rule's: `file: /json/pointer: message (line N)`.
 */
export async function loadEscalation(file: string): Promise<EscalationLoad> {
  const problems: RuleProblem[] = [];
  let docs: RuleDocument[];
  try {
    docs = await readRuleFile(file, problems);
  } catch (err) {
    return { ok: false, problems: [{ file, pointer: '', message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }] };
  }
  if (problems.length > 0) return { ok: false, problems };
  const doc = docs[0];
  if (doc === undefined || docs.length > 1 || doc.base.length > 0) {
    return { ok: false, problems: [{ file, pointer: '', message: 'expected one mapping with timezone, rotations and policies (docs/escalation.md)' }] };
  }
  const spec = parseLocated(doc, EscalationFile, problems);
  if (spec === undefined) return { ok: false, problems };

  if (!isTimeZone(spec.timezone)) problems.push(locate(doc, ['timezone'], `unknown time zone "${spec.timezone}": use an IANA name such as UTC, Europe/Berlin or America/New_York`));
  const seen = new Set<string>();
  spec.policies.forEach((policy, p) => {
    if (seen.has(policy.name)) problems.push(locate(doc, ['policies', p, 'name'], `duplicate policy name "${policy.name}"`));
    seen.add(policy.name);
    if (policy.match.businessHours !== undefined && spec.businessHours === undefined) {
      problems.push(locate(doc, ['policies', p, 'match', 'businessHours'], 'matches on business hours, but the file defines no businessHours'));
    }
    policy.levels.forEach((level, l) => {
      if (l === 0 && level.after !== undefined) problems.push(locate(doc, ['policies', p, 'levels', 0, 'after'], 'the first level is told at once: remove after'));
      if (l > 0 && level.after === undefined) problems.push(locate(doc, ['policies', p, 'levels', l], `missing after: how long after level ${l} nobody acknowledged this level is told (e.g. 15m)`));
      if (level.oncall !== undefined && !Object.hasOwn(spec.rotations, level.oncall)) {
        const known = Object.keys(spec.rotations);
        problems.push(locate(doc, ['policies', p, 'levels', l, 'oncall'], `no rotation named "${level.oncall}"${known.length > 0 ? ` (rotations: ${known.join(', ')})` : ' (the file has no rotations)'}`));
      }
    });
  });

  const rotations = new Map<string, OnCall>();
  for (const [name, rotation] of Object.entries(spec.rotations)) {
    if ('handles' in rotation) {
      rotations.set(name, onCallOf(name, rotation));
      continue;
    }
    const path = isAbsolute(rotation.schedule) ? rotation.schedule : join(dirname(file), rotation.schedule);
    const shifts = await readSchedule(path, problems);
    if (shifts === undefined) problems.push(locate(doc, ['rotations', name, 'schedule'], `cannot read schedule file ${path}`));
    else rotations.set(name, onCallOf(name, rotation, shifts));
  }
  if (problems.length > 0) return { ok: false, problems };
  const receivers = [...new Set(spec.policies.flatMap((p) => p.levels.flatMap((l) => l.notify)))].sort();
  return { ok: true, policy: { file, spec, rotations, receivers } };
}

/** Like loadEscalation, but throws a RuleLoadError listing every located problem. */
export async function loadEscalationOrThrow(file: string): Promise<EscalationPolicy> {
  const loaded = await loadEscalation(file);
  if (!loaded.ok) throw new RuleLoadError(loaded.problems);
  return loaded.policy;
}

/** A schedule file: a YAML list of shifts, each checked and located; undefined when it cannot be read. */
async function readSchedule(path: string, problems: RuleProblem[]): Promise<Shift[] | undefined> {
  let docs: RuleDocument[];
  try {
    docs = await readRuleFile(path, problems);
  } catch {
    return undefined;
  }
  const shifts: Shift[] = [];
  for (const doc of docs) {
    if (doc.base.length === 0) {
      problems.push(locate(doc, [], 'expected a list of shifts: - {from: <time>, to: <time>, handle: <who>}'));
      continue;
    }
    const shift = parseLocated(doc, Shift, problems);
    if (shift) shifts.push(shift);
  }
  return shifts;
}
