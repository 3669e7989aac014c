import { jsonType, quote } from './describe.js';

/**
 * Epoch numbers below this are seconds, others milliseconds. 1e11 seconds is the year 5138 and 1e11
 * milliseconds is March 1973, so real seconds values are always below it and milliseconds values
 * from after March 1973 always above.
 */
export const EPOCH_SECONDS_BELOW = 1e11;

/** The last instant a four-digit ISO-8601 year can write; the first accepted instant is the epoch. */
const MAX_EVENT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * `YYYY-MM-DD`, `T` or a space, `hh:mm`, optional `:ss` and fraction (`.` or `,`), optional zone
 * (`Z`, `±hh`, `±hhmm`, `±hh:mm`). Parsed by hand rather than by Date.parse, whose handling of
 * anything but the exact ECMAScript format differs between engines and reads zoneless times as local.
 * No capture groups: the layout fixes where each field is, and reading them by position is several
 * times faster than a match array, per alert.
 */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const EPOCH_TEXT = /^-?\d+(?:\.\d+)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const FORMAT_HINT = 'use ISO-8601 (2026-11-20T10:00:00Z) or epoch seconds or milliseconds';

/**
 * Reads an event time: an ISO-8601 date-time, or epoch seconds or milliseconds as a number or a
 * numeric string. Returns epoch milliseconds, or a message saying what is wrong. Rules
 * (docs/alert-schema.md): a time without a zone is UTC; a date without a time of day is rejected;
 * sub-millisecond precision is rounded; instants outside 1970–9999 are rejected.
 */
export function parseEventTime(value: unknown): number | string {
  if (typeof value === 'number') return fromEpoch(value);
  if (typeof value === 'string') return fromCanonicalText(value) ?? (EPOCH_TEXT.test(value) ? fromEpoch(Number(value)) : fromIso(value));
  return `expected a timestamp string or number, got ${jsonType(value)}; ${FORMAT_HINT}`;
}

const MS_PER_DAY = 86_400_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, '0'));

/** The last day formatted, as `2026-11-20T`: alerts arrive roughly in time order, so it is nearly always the same. */
let lastDay = Number.NaN;
let lastDayText = '';

/**
 * The canonical text of an event time: ISO-8601 UTC with milliseconds, as Date#toISOString writes
 * it. Per alert, so the date part is formatted once a day and the time of day from digit tables
 * (several times faster than a Date per call).
 */
export function formatEventTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_EVENT_MS) return new Date(ms).toISOString();
  const day = Math.floor(ms / MS_PER_DAY);
  if (day !== lastDay) {
    lastDayText = new Date(day * MS_PER_DAY).toISOString().slice(0, 11);
    lastDay = day;
  }
  let rest = ms - day * MS_PER_DAY;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${lastDayText}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[rest - seconds * 1000]}Z`;
}

/**
 * The canonical text for a time already parsed to `ms`: the input itself when it is already
 * canonical (the usual case for canonical input), which saves formatting a Date per alert.
 */
export function eventTimeText(value: unknown, ms: number): string {
  // parseEventTime accepted it, so 24 characters with 'T', '.' and 'Z' there is exactly the canonical form.
  if (typeof value === 'string' && value.length === 24 && value[10] === 'T' && value[19] === '.' && value[23] === 'Z') {
    return value;
  }
  return formatEventTime(ms);
}

/** The day of the last canonical text read, as `2026-11-20T`, and its epoch milliseconds. */
let lastReadDayText = '';
let lastReadDayMs = 0;

/**
 * The canonical text (`2026-11-20T10:00:00.000Z`, what formatEventTime writes and most streams
 * carry) of a day read before, read without the regex and Date.UTC; undefined for anything else,
 * which fromIso reads (and its day is remembered). Alerts come roughly in time order, so the day
 * nearly always repeats. It agrees with fromIso on every text it answers for (test/normalize/time.test.ts).
 */
function fromCanonicalText(text: string): number | undefined {
  if (text.length !== 24 || lastReadDayText === '' || !text.startsWith(lastReadDayText) || text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a || text.charCodeAt(19) !== 0x2e || text.charCodeAt(23) !== 0x5a) {
    return undefined;
  }
  const hour = twoDigitsAt(text, 11);
  const minute = twoDigitsAt(text, 14);
  const second = twoDigitsAt(text, 17);
  const millis = twoDigitsAt(text, 20) * 10 + digitAt(text, 22);
  // A non-digit makes its reading negative or above 99, so the bounds check digits too.
  if (!(hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59 && millis >= 0 && millis <= 999)) return undefined;
  return lastReadDayMs + ((hour * 60 + minute) * 60 + second) * 1000 + millis;
}

function digitAt(text: string, at: number): number {
  const d = text.charCodeAt(at) - 0x30;
  return d >= 0 && d <= 9 ? d : -1000;
}

function twoDigitsAt(text: string, at: number): number {
  return digitAt(text, at) * 10 + digitAt(text, at + 1);
}

function fromEpoch(n: number): number | string {
  if (!Number.isFinite(n)) return `epoch time ${String(n)} is not a finite number; ${FORMAT_HINT}`;
  // `+ 0` turns the -0 that a tiny negative value rounds to (-5e-324, "-0") into the epoch itself.
  const ms = Math.round(n < EPOCH_SECONDS_BELOW ? n * 1000 : n) + 0;
  if (ms >= 0 && ms <= MAX_EVENT_MS) return ms;
  return (
    `epoch time ${String(n)} is outside the years 1970–9999 (numbers below 1e11 are read as seconds, ` +
    `others as milliseconds; convert microseconds or nanoseconds to milliseconds)`
  );
}

function fromIso(text: string): number | string {
  if (!ISO_DATE_TIME.test(text)) {
    if (DATE_ONLY.test(text)) {
      return `date without a time of day ${quote(text)}; event times need at least hours and minutes (${text}T00:00Z)`;
    }
    return `unparseable timestamp ${quote(text)}; ${FORMAT_HINT}`;
  }
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  let at = 16;
  let second = 0;
  let millis = 0;
  if (text[at] === ':') {
    second = digitsAt(text, 17, 2);
    at = 19;
    if (text[at] === '.' || text[at] === ',') {
      const start = at + 1;
      at = start;
      while (isDigit(text.charCodeAt(at))) at++;
      millis = fractionToMs(text, start, at);
    }
  }
  // What is left is the zone: nothing or Z (UTC), or ±hh, ±hhmm, ±hh:mm.
  const sign = text[at];
  const zoned = sign === '+' || sign === '-';
  const offsetHours = zoned ? digitsAt(text, at + 1, 2) : 0;
  const minutesAt = text[at + 3] === ':' ? at + 4 : at + 3;
  const offsetMinutes = zoned && minutesAt < text.length ? digitsAt(text, minutesAt, 2) : 0;
  const wrong =
    month < 1 || month > 12 ? `month ${month}`
    : day < 1 || day > daysInMonth(year, month) ? `day ${day} in month ${month}`
    : hour > 23 ? `hour ${hour}`
    : minute > 59 ? `minute ${minute}`
    : second > 59 ? `second ${second}`
    : offsetHours > 23 || offsetMinutes > 59 ? `zone offset ${text.slice(at)}`
    : undefined;
  if (wrong !== undefined) return `invalid timestamp ${quote(text)}: there is no ${wrong}`;
  // Date.UTC reads years 0–99 as 1900–1999; no offset can bring a year before 1969 into range anyway.
  if (year < 1969) return outsideYears(text);
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis) + (sign === '-' ? offsetMs : -offsetMs);
  if (!(ms >= 0 && ms <= MAX_EVENT_MS)) return outsideYears(text);
  if (text.length === 24 && text[10] === 'T' && text[19] === '.' && text[23] === 'Z') {
    lastReadDayText = text.slice(0, 11);
    lastReadDayMs = Date.UTC(year, month - 1, day);
  }
  return ms;
}

function outsideYears(text: string): string {
  return `timestamp ${quote(text)} is outside the years 1970–9999`;
}

/** The number written by `count` ASCII digits at `at` (the caller has checked they are digits). */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) value = value * 10 + (text.charCodeAt(i) - 0x30);
  return value;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** The fraction of a second in text[start, end) → milliseconds, rounded half up on the fourth digit. */
function fractionToMs(text: string, start: number, end: number): number {
  const digits = end - start;
  const ms = digits >= 3 ? digitsAt(text, start, 3) : digitsAt(text, start, digits) * (digits === 1 ? 100 : 10);
  return digits > 3 && text.charCodeAt(start + 3) >= 0x35 /* '5' */ ? ms + 1 : ms;
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 31);
}
