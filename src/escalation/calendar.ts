import { WEEKDAYS } from './schema.js';

/** A moment as a clock on the wall of `timeZone` shows it. */
export interface LocalTime {
  readonly weekday: (typeof WEEKDAYS)[number];
  /** Minutes since local midnight. */
  readonly minutes: number;
  /** `Fri 11:00` */
  readonly text: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) formatters.set(timeZone, (f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })));
  return f;
}

/** Whether `timeZone` is an IANA time zone this Node.js knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function localTime(ms: number, timeZone: string): LocalTime {
  const parts = formatter(timeZone).formatToParts(new Date(ms));
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  const weekday = part('weekday').toLowerCase() as LocalTime['weekday'];
  const hour = Number(part('hour'));
  const minute = Number(part('minute'));
  return { weekday, minutes: hour * 60 + minute, text: `${part('weekday')} ${part('hour')}:${part('minute')}` };
}

/** `HH:MM` → minutes since midnight. */
export function minutesOf(clock: string): number {
  return Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
}

/** Whether a time of day is in [from, to): a window whose end is before its start spans midnight. */
export function inDailyWindow(minutes: number, from: string, to: string): boolean {
  const start = minutesOf(from);
  const end = minutesOf(to);
  return start <= end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
}

const MINUTE = 60_000;

/**
 * The first moment at or after `ms` at which `holds` is false, to the minute (at most 8 days ahead:
 * beyond that it returns undefined). Walking real minutes makes DST changes come out right.
 */
export function firstMomentWhenNot(ms: number, timeZone: string, holds: (t: LocalTime) => boolean): number | undefined {
  let t = ms;
  for (let i = 0; i < 8 * 24 * 60; i++, t = Math.floor(t / MINUTE) * MINUTE + MINUTE) {
    if (!holds(localTime(t, timeZone))) return t;
  }
  return undefined;
}
