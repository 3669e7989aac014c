import type { Calendar, ObligationsFile, Within } from './schema.js';
import { addLocalDays, addLocalMonths, fromLocal, isoDateOf, toLocal, weekdayOf } from './zoned-time.js';

const HOUR = 3_600_000;

/**
 * When an obligation whose clock started at `startMs` is due, pure:
 *
 * - `hours`: that much elapsed time (72 h is 72 h, whatever the wall clock does);
 * - `days`, `months`: the same local time that many days or months later, in the calendar's time zone
 *   (or the file's), so across a DST change a day is 23 or 25 hours;
 * - `businessDays`: the end (or `cutoff`) of the Nth business day after the day the clock started; the
 *   calendar's weekend days and holidays do not count.
 */
export function dueAt(within: Within, startMs: number, spec: Pick<ObligationsFile, 'timezone' | 'calendars'>): number {
  if (within.hours !== undefined) return startMs + within.hours * HOUR;
  const calendar: Calendar | undefined = within.calendar === undefined ? undefined : spec.calendars[within.calendar];
  const timeZone = calendar?.timezone ?? spec.timezone;
  const start = toLocal(startMs, timeZone);
  if (within.days !== undefined) return fromLocal(addLocalDays(start, within.days), timeZone);
  if (within.months !== undefined) return fromLocal(addLocalMonths(start, within.months), timeZone);
  return businessDaysDue(start, within.businessDays!, calendar!, within.cutoff);
}

function businessDaysDue(start: ReturnType<typeof toLocal>, n: number, calendar: Calendar, cutoff: string | undefined): number {
  const holidays = new Set(calendar.holidays);
  let day = start;
  for (let counted = 0; counted < n; ) {
    day = addLocalDays(day, 1);
    if (!calendar.weekend.includes(weekdayOf(day)) && !holidays.has(isoDateOf(day))) counted++;
  }
  if (cutoff !== undefined) {
    return fromLocal({ ...day, hour: Number(cutoff.slice(0, 2)), minute: Number(cutoff.slice(3, 5)), second: 0, millisecond: 0 }, calendar.timezone);
  }
  // The end of the day: the next local midnight.
  return fromLocal({ ...addLocalDays(day, 1), hour: 0, minute: 0, second: 0, millisecond: 0 }, calendar.timezone);
}

/** How the deadline reads for people: `72 h`, `4 business days (us-federal)`, `1 month`. */
export function describeWithin(within: Within): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (within.hours !== undefined) return `${within.hours} h`;
  if (within.days !== undefined) return plural(within.days, 'day');
  if (within.months !== undefined) return plural(within.months, 'month');
  return `${plural(within.businessDays!, 'business day')} (${within.calendar}${within.cutoff ? `, by ${within.cutoff}` : ''})`;
}
