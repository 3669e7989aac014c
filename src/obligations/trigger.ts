import { severityRank } from '../cases/notice.js';
import type { Trigger } from './schema.js';

/** What a trigger reads of a case's timeline: the events that change its classification, severity and flags. */
export interface TimelineEvent {
  readonly seq: number;
  readonly atMs: number;
  readonly event: string;
  readonly from: string | null;
  readonly to: string | null;
}

/** The facts a trigger is about, as they stand at one moment of the case. */
interface Facts {
  classification: string | null;
  severity: string;
  readonly flags: Set<string>;
}

/** `grew` events record `N incidents, <severity>` (src/ledger/case-store.ts). */
const GREW_SEVERITY = /, ([a-z]+)$/;

/** When a trigger first held: the moment, and the seq of the event that made it hold (the first event's when it held from the opening). */
export interface Held {
  readonly atMs: number;
  readonly seq: number;
}

/**
 * When a trigger first held on a case, or undefined if it never has: the case's timeline replayed from
 * its opening (classified, flagged, unflagged, and grew for its severity). Pure, and it reads only what
 * was recorded, so whoever evaluates it and however late, a clock starts at the same moment: when the
 * analyst classified or flagged the case, or when its severity rose.
 */
export function firstHeld(trigger: Trigger, openedAtMs: number, currentSeverity: string, timeline: readonly TimelineEvent[]): Held | undefined {
  const firstGrew = timeline.find((e) => e.event === 'grew' && e.from !== null && GREW_SEVERITY.test(e.from));
  const facts: Facts = { classification: null, severity: firstGrew ? GREW_SEVERITY.exec(firstGrew.from!)![1]! : currentSeverity, flags: new Set() };
  if (holds(trigger, facts)) return { atMs: openedAtMs, seq: timeline[0]?.seq ?? 0 };
  for (const e of timeline) {
    if (e.event === 'classified') facts.classification = e.to;
    else if (e.event === 'flagged' && e.to !== null) facts.flags.add(e.to);
    else if (e.event === 'unflagged' && e.from !== null) facts.flags.delete(e.from);
    else if (e.event === 'grew' && e.to !== null && GREW_SEVERITY.test(e.to)) facts.severity = GREW_SEVERITY.exec(e.to)![1]!;
    else continue;
    if (holds(trigger, facts)) return { atMs: e.atMs, seq: e.seq };
  }
  return undefined;
}

function holds(trigger: Trigger, facts: Facts): boolean {
  if (trigger.classification && (facts.classification === null || !trigger.classification.includes(facts.classification))) return false;
  if (trigger.severity && severityRank(facts.severity) < severityRank(trigger.severity)) return false;
  if (trigger.flag && !trigger.flag.some((f) => facts.flags.has(f))) return false;
  return true;
}

/** The trigger for people: `classified data-breach and flagged personal-data`. */
export function describeTrigger(trigger: Trigger): string {
  const parts: string[] = [];
  if (trigger.classification) parts.push(`classified ${trigger.classification.join(' or ')}`);
  if (trigger.severity) parts.push(`severity ${trigger.severity} or higher`);
  if (trigger.flag) parts.push(`flagged ${trigger.flag.join(' or ')}`);
  return parts.join(' and ');
}
