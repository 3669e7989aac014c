import { z } from 'zod';
import { INCIDENT_SEVERITIES } from '../incidents/index.js';
import { Duration } from '../rules/schema.js';
import { CASE_FLAG } from '../cases/flags.js';

/**
 * The obligations file (docs/obligations.md): which notification deadlines a case starts, when its
 * clock starts, how long it runs on which calendar, who is told and reminded. This file is the
 * validator and the source of the types.
 */

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'use letters, digits, ".", "_" or "-" (at most 64), starting with a letter or digit');
const receiverName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a receiver name (as the escalation file names them)');
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day HH:MM (24 h), such as 17:30');
const isoDate = z.iso.date({ message: 'expected a date YYYY-MM-DD' });
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const nonEmpty = <T extends z.ZodType>(item: T) => z.array(item).min(1);

/** Working days and holidays in a time zone: what "business day" means for an obligation. */
export const Calendar = z
  .object({
    /** IANA time zone whose dates and wall clock the deadline is counted in. */
    timezone: z.string().min(1),
    /** Days that are never business days (default Saturday and Sunday). */
    weekend: z.array(z.enum(WEEKDAYS)).default(['sat', 'sun']),
    /** Dates (local to the time zone) that are not business days. */
    holidays: z.array(isoDate).default([]),
  })
  .strict();
export type Calendar = z.infer<typeof Calendar>;

/** What starts the clock: every given field must hold (within a list, any value). */
export const Trigger = z
  .object({
    /** The case's classification is one of these (set by an analyst: `incidents classify`). */
    classification: nonEmpty(z.string().min(1)).optional(),
    /** The case's severity is at least this. */
    severity: z.enum(INCIDENT_SEVERITIES).optional(),
    /** The case carries one of these flags (set by an analyst: `incidents flag`). */
    flag: nonEmpty(z.string().regex(CASE_FLAG, 'a flag: lowercase letters, digits and "-"')).optional(),
  })
  .strict()
  .refine((t) => t.classification !== undefined || t.severity !== undefined || t.flag !== undefined, {
    message: 'a trigger needs classification, severity or flag: what starts the clock',
  });
export type Trigger = z.infer<typeof Trigger>;

/**
 * How long the clock runs: exactly one of hours (elapsed time), days or months (the same wall-clock
 * time that many local days or months later) or businessDays (to the end of the Nth business day after
 * the day it started, or its `cutoff`).
 */
export const Within = z
  .object({
    hours: z.number().int().min(1).max(24 * 366).optional(),
    days: z.number().int().min(1).max(366).optional(),
    months: z.number().int().min(1).max(24).optional(),
    businessDays: z.number().int().min(1).max(260).optional(),
    /** The calendar (its time zone, weekend and holidays); needed for businessDays. */
    calendar: name.optional(),
    /** businessDays: due at this local time of the last business day (default: its end, 24:00). */
    cutoff: clock.optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    const units = (['hours', 'days', 'months', 'businessDays'] as const).filter((k) => w[k] !== undefined);
    if (units.length !== 1) ctx.addIssue({ code: 'custom', message: `give exactly one of hours, days, months or businessDays${units.length > 1 ? ` (got ${units.join(', ')})` : ''}` });
    if (w.businessDays !== undefined && w.calendar === undefined) ctx.addIssue({ code: 'custom', path: ['calendar'], message: 'business days need a calendar: its time zone, weekend and holidays' });
    if (w.cutoff !== undefined && w.businessDays === undefined) ctx.addIssue({ code: 'custom', path: ['cutoff'], message: 'cutoff is for businessDays' });
  });
export type Within = z.infer<typeof Within>;

export const Obligation = z
  .object({
    name,
    /** What must be done, for people: `Notify the supervisory authority (GDPR Art. 33)`. */
    title: z.string().min(1).max(200),
    when: Trigger,
    /** The clock starts when the trigger first holds, or (opened) when the case opened: "after awareness". */
    from: z.enum(['trigger', 'opened']).default('trigger'),
    within: Within,
    /** Receivers (by their configured name) told when the clock starts, reminded, and told when it is missed. */
    notify: nonEmpty(receiverName),
    /** Reminders this long before it is due (e.g. [24h, 4h]). */
    remind: z.array(Duration).default([]),
  })
  .strict();
export type Obligation = z.infer<typeof Obligation>;

export const ObligationsFile = z
  .object({
    /** IANA time zone of days and months, when the obligation's `within` names no calendar (default UTC). */
    timezone: z.string().default('UTC'),
    calendars: z.record(name, Calendar).default({}),
    obligations: nonEmpty(Obligation),
  })
  .strict();
export type ObligationsFile = z.infer<typeof ObligationsFile>;
