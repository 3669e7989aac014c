import { isTimeZone } from '../escalation/calendar.js';
import { RuleLoadError, type RuleProblem } from '../rules/problems.js';
import { locate, parseLocated, readRuleFile, type RuleDocument } from '../rules/read-files.js';
import { parseDuration } from '../state/index.js';
import { ObligationsFile, type Within } from './schema.js';

/** An obligations file, validated and ready. */
export interface ObligationPolicy {
  readonly file: string;
  readonly spec: ObligationsFile;
  /** Every receiver the obligations name, sorted. */
  readonly receivers: readonly string[];
}

export type ObligationsLoad = { readonly ok: true; readonly policy: ObligationPolicy } | { readonly ok: false; readonly problems: readonly RuleProblem[] };

/**
 * Reads and checks an obligations file. Every problem is located like a rule's: `file: /json/pointer:
 * message (line N)`. Beyond the shapes: names are unique, time zones exist, a `within.calendar` names a
 * calendar of the file, and a reminder comes before the clock could have started.
 */
export async function loadObligations(file: string): Promise<ObligationsLoad> {
  const problems: RuleProblem[] = [];
  let docs: RuleDocument[];
  try {
    docs = await readRuleFile(file, problems);
  } catch (err) {
    return { ok: false, problems: [{ file, pointer: '', message: `cannot read: ${(err as Error).message}` }] };
  }
  if (problems.length > 0) return { ok: false, problems };
  const doc = docs[0];
  if (doc === undefined || docs.length > 1 || doc.base.length > 0) {
    return { ok: false, problems: [{ file, pointer: '', message: 'expected one mapping with timezone, calendars and obligations (docs/obligations.md)' }] };
  }
  const spec = parseLocated(doc, ObligationsFile, problems);
  if (spec === undefined) return { ok: false, problems };
  const zone = (path: (string | number)[], tz: string) => {
    if (!isTimeZone(tz)) problems.push(locate(doc, path, `unknown time zone "${tz}": use an IANA name such as UTC, Europe/Berlin or America/New_York`));
  };
  zone(['timezone'], spec.timezone);
  for (const [name, calendar] of Object.entries(spec.calendars)) zone(['calendars', name, 'timezone'], calendar.timezone);
  if (problems.length > 0) return { ok: false, problems };
  const seen = new Set<string>();
  spec.obligations.forEach((o, i) => {
    if (seen.has(o.name)) problems.push(locate(doc, ['obligations', i, 'name'], `duplicate obligation name "${o.name}"`));
    seen.add(o.name);
    if (o.within.calendar !== undefined && !Object.hasOwn(spec.calendars, o.within.calendar)) {
      const known = Object.keys(spec.calendars);
      problems.push(locate(doc, ['obligations', i, 'within', 'calendar'], `no calendar named "${o.within.calendar}"${known.length > 0 ? ` (calendars: ${known.join(', ')})` : ' (the file has no calendars)'}`));
      return;
    }
    // A reminder must fall after the clock started, however short the deadline turns out.
    const shortest = shortestMs(o.within);
    o.remind.forEach((r, k) => {
      if (parseDuration(r) >= shortest) problems.push(locate(doc, ['obligations', i, 'remind', k], `a reminder ${r} before the deadline would come before the clock starts (${o.name} runs ${Math.round(shortest / 3_600_000)} h)`));
    });
  });
  if (problems.length > 0) return { ok: false, problems };
  const receivers = [...new Set(spec.obligations.flatMap((o) => o.notify))].sort();
  return { ok: true, policy: { file, spec, receivers } };
}

/** Like loadObligations, but throws a RuleLoadError listing every located problem. */
export async function loadObligationsOrThrow(file: string): Promise<ObligationPolicy> {
  const loaded = await loadObligations(file);
  if (!loaded.ok) throw new RuleLoadError(loaded.problems);
  return loaded.policy;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The shortest a deadline can run: a day may have 23 hours, a month 28 days, a business day may start at 23:59. */
function shortestMs(within: Within): number {
  if (within.hours !== undefined) return within.hours * HOUR;
  if (within.days !== undefined) return within.days * DAY - HOUR;
  if (within.months !== undefined) return within.months * 28 * DAY - HOUR;
  const cutoff = within.cutoff === undefined ? DAY : Number(within.cutoff.slice(0, 2)) * HOUR + Number(within.cutoff.slice(3, 5)) * 60_000;
  return (within.businessDays! - 1) * DAY + cutoff - HOUR;
}
