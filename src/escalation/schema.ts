import { z } from 'zod';
import { INCIDENT_SEVERITIES } from '../incidents/index.js';
import { Duration } from '../rules/schema.js';

/**
 * The escalation file (docs/escalation.md): who is told about a case, when, and who is on call. This
 * file is the validator and the source of the types.
 */

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use letters, digits, ".", "_" or "-" (at most 64), starting with a letter or digit');
/** A person's handle as receivers show it: `alice`, `@alice`, `alice@example.com`, `U024BE7LH`. */
const handle = z.string().min(1).max(200).regex(/^\S+$/, 'a handle has no spaces');
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day HH:MM (24 h), such as 09:00 or 18:30');
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const Weekday = z.enum(WEEKDAYS);
const Severity = z.enum(INCIDENT_SEVERITIES);
const nonEmpty = <T extends z.ZodType>(item: T) => z.array(item).min(1);

export const BusinessHours = z
  .object({
    days: nonEmpty(Weekday).default(['mon', 'tue', 'wed', 'thu', 'fri']),
    from: clock,
    to: clock,
  })
  .strict();
export type BusinessHours = z.infer<typeof BusinessHours>;

export const QuietHours = z
  .object({
    /** Quiet from this time of day to that one (it may span midnight: 22:00 to 07:00). */
    from: clock,
    to: clock,
    /** Cases of these severities are not notified during quiet hours: their escalation starts when the hours end. */
    severities: nonEmpty(Severity).default(['low']),
  })
  .strict();
export type QuietHours = z.infer<typeof QuietHours>;

/** Handles taking turns: each is on call for `every`, in order, from `start` (a handover time). */
const WeeklyRotation = z
  .object({
    handles: nonEmpty(handle),
    every: Duration.default('7d'),
    start: z.iso.datetime({ offset: true }),
  })
  .strict();

/** Shifts from a schedule file: a YAML list of `{from, to, handle}`; `fallback` outside every shift. */
const ScheduledRotation = z
  .object({
    schedule: z.string().min(1),
    fallback: handle.optional(),
  })
  .strict();

export const Rotation = z.union([WeeklyRotation, ScheduledRotation]);
export type Rotation = z.infer<typeof Rotation>;

/** One shift of a schedule file. */
export const Shift = z
  .object({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    handle,
  })
  .strict()
  .refine((s) => Date.parse(s.from) < Date.parse(s.to), { message: 'a shift ends after it starts', path: ['to'] });
export type Shift = z.infer<typeof Shift>;

export const Level = z
  .object({
    /** How long after the previous level this one is told if nobody acknowledged (not on the first level: it is told at once). */
    after: Duration.optional(),
    /** Receivers (by their configured name) told at this level. */
    notify: nonEmpty(name),
    /** The rotation whose person is on call at this level: named in the notices. */
    oncall: name.optional(),
  })
  .strict();
export type Level = z.infer<typeof Level>;

/** Which cases a policy is for; every given field must hold, an absent one matches anything. */
export const Match = z
  .object({
    severity: nonEmpty(Severity).optional(),
    /** The case's classification once an analyst set it, else its rule's category (`dos` reads `denial-of-service`). */
    category: nonEmpty(z.string().min(1)).optional(),
    /** At least one of the case's rules. */
    rule: nonEmpty(z.string().min(1)).optional(),
    /** At least one of the tags of the alerts that opened its incidents. */
    tags: nonEmpty(z.string().min(1)).optional(),
    /** true: only within businessHours; false: only outside them. */
    businessHours: z.boolean().optional(),
  })
  .strict();
export type Match = z.infer<typeof Match>;

export const Policy = z
  .object({
    name,
    match: Match.default({}),
    levels: nonEmpty(Level),
    /** After the last level, while nobody acknowledges: remind its receivers `times` more times, `every` apart. */
    repeat: z.object({ every: Duration, times: z.number().int().min(1).max(100) }).strict().optional(),
  })
  .strict();
export type Policy = z.infer<typeof Policy>;

export const EscalationFile = z
  .object({
    /** IANA time zone of business hours, quiet hours and the printed times (`Europe/Berlin`). */
    timezone: z.string().default('UTC'),
    businessHours: BusinessHours.optional(),
    quietHours: QuietHours.optional(),
    rotations: z.record(name, Rotation).default({}),
    /** Tried in order: the first whose match holds is the case's policy; a case no policy matches tells nobody. */
    policies: nonEmpty(Policy),
  })
  .strict();
export type EscalationFile = z.infer<typeof EscalationFile>;
