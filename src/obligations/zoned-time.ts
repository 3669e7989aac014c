/**
 * Wall-clock arithmetic in an IANA time zone with Intl only: a moment's local date and time, and the
 * moment a local date and time stands for. Counting days on local dates and converting back makes a
 * deadline "3 days later at the same time" come out right across a DST change (71 or 73 hours).
 */

/** A local date and time of day. month is 1-12. */
export interface LocalDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local date and time of `ms` in `timeZone`. */
export function toLocal(ms: number, timeZone: string): LocalDateTime {
  const parts = formatter(timeZone).formatToParts(new Date(ms));
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { year: part('year'), month: part('month'), day: part('day'), hour: part('hour'), minute: part('minute'), second: part('second'), millisecond: ((ms % 1000) + 1000) % 1000 };
}

/** Local time minus UTC at `ms`, in ms (+3 600 000 for CET). */
function offsetAt(ms: number, timeZone: string): number {
  const l = toLocal(ms, timeZone);
  return Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second, l.millisecond) - ms;
}

/**
 * The moment a local date and time stands for. A time skipped by a DST change (02:30 on the spring-forward
 * day) is read with the offset before the change, i.e. it lands an hour later on the wall clock (03:30);
 * a time that occurs twice (autumn) is the first of the two.
 */
export function fromLocal(local: LocalDateTime, timeZone: string): number {
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond);
  const before = offsetAt(asUtc - 86_400_000, timeZone);
  const after = offsetAt(asUtc + 86_400_000, timeZone);
  // The earlier reading first: of two valid moments (a fold) it is the first one.
  const first = asUtc - Math.max(before, after);
  if (sameWallClock(toLocal(first, timeZone), local)) return first;
  const second = asUtc - Math.min(before, after);
  if (sameWallClock(toLocal(second, timeZone), local)) return second;
  // In a gap: the offset before the change.
  return asUtc - before;
}

function sameWallClock(a: LocalDateTime, b: LocalDateTime): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute && a.second === b.second;
}

/** The local date `days` after (or before) the given one (a calendar walk, no time zone involved). */
export function addLocalDays(local: LocalDateTime, days: number): LocalDateTime {
  const d = new Date(Date.UTC(local.year, local.month - 1, local.day + days));
  return { ...local, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** `months` later, the day clamped to the month's last (31 January + 1 month = 28 or 29 February). */
export function addLocalMonths(local: LocalDateTime, months: number): LocalDateTime {
  const index = local.year * 12 + (local.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = (index % 12) + 1;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { ...local, year, month, day: Math.min(local.day, last) };
}

/** `2026-12-25` */
export function isoDateOf(local: LocalDateTime): string {
  return `${String(local.year).padStart(4, '0')}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`;
}

const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** `mon` … `sun` of a local date. */
export function weekdayOf(local: LocalDateTime): (typeof WEEKDAY_NAMES)[number] {
  return WEEKDAY_NAMES[new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay()]!;
}
