import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EPOCH_SECONDS_BELOW, eventTimeText, formatEventTime, parseEventTime } from '../../src/normalize/time.js';

const T = Date.UTC(2026, 10, 20, 10, 0, 0); // 2026-11-20T10:00:00.000Z

/** The ways to write a zone offset of `minutes` east of UTC: ±hh:mm, ±hhmm, and ±hh for whole hours. */
function zoneSpellings(minutes: number): { text: string; minutes: number }[] {
  const sign = minutes < 0 ? '-' : '+';
  const hh = String(Math.floor(Math.abs(minutes) / 60)).padStart(2, '0');
  const mm = String(Math.abs(minutes) % 60).padStart(2, '0');
  const spellings = [`${sign}${hh}:${mm}`, `${sign}${hh}${mm}`].map((text) => ({ text, minutes }));
  return minutes % 60 === 0 ? [...spellings, { text: `${sign}${hh}`, minutes }] : spellings;
}

describe('parseEventTime', () => {
  it.each([
    ['2026-11-20T10:00:00.000Z', T],
    ['2026-11-20T10:00:00Z', T],
    ['2026-11-20T10:00Z', T],
    ['2026-11-20t10:00:00z', T],
    ['2026-11-20 10:00:00Z', T],
    ['2026-11-20T10:00:00', T],
    ['2026-11-20T12:00:00+02:00', T],
    ['2026-11-20T12:00:00+0200', T],
    ['2026-11-20T12:00:00+02', T],
    ['2026-11-20T05:30:00-04:30', T],
    ['2026-11-20T10:00:00.123456+0000', T + 123],
    ['2026-11-20T10:00:00,5Z', T + 500],
    ['2026-11-20T10:00:00.1234Z', T + 123],
    ['2026-11-20T10:00:00.1235Z', T + 124],
    ['2026-11-20T10:00:00.9999Z', T + 1000],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['1970-01-01T00:00:00Z', 0],
    ['1969-12-31T23:30:00-01:00', 30 * 60_000],
    ['9999-12-31T23:59:59.999Z', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
  ])('reads ISO-8601 %s', (text, ms) => {
    expect(parseEventTime(text)).toBe(ms);
  });

  it.each([
    [T / 1000, T],
    [T, T],
    [String(T / 1000), T],
    [String(T), T],
    [T / 1000 + 0.25, T + 250],
    [`${T / 1000}.123`, T + 123],
    [0, 0],
    [EPOCH_SECONDS_BELOW - 1, (EPOCH_SECONDS_BELOW - 1) * 1000],
    [EPOCH_SECONDS_BELOW, EPOCH_SECONDS_BELOW],
  ])('reads epoch %s by magnitude: seconds below 1e11, milliseconds above', (value, ms) => {
    expect(parseEventTime(value)).toBe(ms);
  });

  it.each([-5e-324, -0.0004, -0, '-0', '-0.0001'])('reads %s, which rounds to the epoch, as +0, not -0', (value) => {
    // -0 would format as the epoch but compare unequal to Date.parse of it (found by a property run).
    expect(Object.is(parseEventTime(value), 0)).toBe(true);
  });

  it.each([
    ['yesterday', 'unparseable timestamp "yesterday"; use ISO-8601 (2026-11-20T10:00:00Z) or epoch seconds or milliseconds'],
    ['2026-11-20', 'date without a time of day "2026-11-20"; event times need at least hours and minutes (2026-11-20T00:00Z)'],
    ['Fri, 20 Nov 2026 10:00:00 GMT', 'unparseable timestamp'],
    ['', 'unparseable timestamp ""'],
    ['2026-13-01T00:00Z', 'invalid timestamp "2026-13-01T00:00Z": there is no month 13'],
    ['2026-02-29T00:00Z', 'there is no day 29 in month 2'],
    ['2026-11-20T24:00Z', 'there is no hour 24'],
    ['2026-11-20T10:60Z', 'there is no minute 60'],
    ['2026-11-20T10:00:60Z', 'there is no second 60'],
    ['2026-11-20T10:00+25:00', 'there is no zone offset +25:00'],
    ['1969-12-31T23:59:59Z', 'timestamp "1969-12-31T23:59:59Z" is outside the years 1970–9999'],
    ['0070-01-01T00:00Z', 'outside the years 1970–9999'],
    ['9999-12-31T23:59:59-01:00', 'outside the years 1970–9999'],
    [-1, 'epoch time -1 is outside the years 1970–9999'],
    [1.7e15, 'convert microseconds or nanoseconds to milliseconds'],
    [Number.NaN, 'epoch time NaN is not a finite number'],
    [Number.POSITIVE_INFINITY, 'epoch time Infinity is not a finite number'],
    [true, 'expected a timestamp string or number, got boolean'],
    [null, 'expected a timestamp string or number, got null'],
    [{ sec: 1 }, 'expected a timestamp string or number, got object'],
  ])('rejects %s with a message', (value, message) => {
    const result = parseEventTime(value);
    expect(typeof result).toBe('string');
    expect(result).toContain(message);
  });

  it('shortens a long unparseable value in its message', () => {
    const message = parseEventTime('x'.repeat(1000)) as string;
    expect(message.length).toBeLessThan(200);
  });

  it('reads every spelling the grammar allows to the instant it names', () => {
    const spelling = fc.record({
      ms: fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(9998, 11, 31) }),
      separator: fc.constantFrom('T', 't', ' '),
      seconds: fc.boolean(),
      fraction: fc.option(fc.tuple(fc.constantFrom('.', ','), fc.stringMatching(/^\d{1,9}$/))),
      zone: fc.oneof(
        fc.constantFrom({ text: '', minutes: 0 }, { text: 'Z', minutes: 0 }, { text: 'z', minutes: 0 }),
        fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }).chain((minutes) => fc.constantFrom(...zoneSpellings(minutes))),
      ),
    });
    fc.assert(
      fc.property(spelling, ({ ms, separator, seconds, fraction, zone }) => {
        const instant = seconds ? ms - (ms % 1000) : ms - (ms % 60_000);
        const wallClock = new Date(instant + zone.minutes * 60_000).toISOString();
        const [mark, digits] = seconds && fraction ? fraction : ['', ''];
        const text = `${wallClock.slice(0, 10)}${separator}${wallClock.slice(11, seconds ? 19 : 16)}${mark}${digits}${zone.text}`;
        // Half up on the fourth digit, computed on the digits themselves (floats would round .1235 down).
        const fractionMs = digits === '' ? 0 : Number(digits.padEnd(3, '0').slice(0, 3)) + (digits[3] !== undefined && digits[3] >= '5' ? 1 : 0);
        expect(parseEventTime(text)).toBe(instant + fractionMs);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with Date for every canonical time it formats (round trip)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }), (ms) => {
        expect(parseEventTime(formatEventTime(ms))).toBe(ms);
      }),
    );
  });

  it('reads canonical texts of a day it has read as it reads the same instant spelled +00:00', () => {
    // parseEventTime answers the canonical spelling of a day seen before without the grammar's full
    // reading; the +00:00 spelling always gets the full one. A run of texts from a few days, some with
    // one character changed (a digit out of range, a letter, a separator), must read the same both ways.
    const day = fc.integer({ min: 0, max: 2_930_000 }).map((d) => d * 86_400_000);
    const canonical = fc.tuple(fc.constantFrom(...[0, 1, 2].map((i) => i)), fc.integer({ min: 0, max: 86_399_999 }));
    const mutation = fc.option(fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom('0', '5', '9', 'x', ':', '.', 'T', 'Z', ' ', '-', '7')), { freq: 2 });
    fc.assert(
      fc.property(fc.array(day, { minLength: 3, maxLength: 3 }), fc.array(fc.tuple(canonical, mutation), { minLength: 1, maxLength: 40 }), (days, texts) => {
        for (const [[d, ms], change] of texts) {
          let text = formatEventTime(days[d]! + ms);
          if (change) text = text.slice(0, change[0]) + change[1] + text.slice(change[0] + 1);
          const full = text.endsWith('Z') ? parseEventTime(`${text.slice(0, -1)}+00:00`) : parseEventTime(text);
          const read = parseEventTime(text);
          if (typeof full === 'number') expect(read).toBe(full);
          else expect(typeof read, `${text}: ${String(read)}`).toBe('string');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and returns an in-range integer or a message, whatever the input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.double(), fc.string()), (value) => {
        const result = parseEventTime(value);
        if (typeof result === 'number') {
          expect(Number.isInteger(result)).toBe(true);
          expect(result).toBeGreaterThanOrEqual(0);
          expect(result).toBeLessThanOrEqual(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
        } else {
          expect(result.length).toBeGreaterThan(0);
        }
      }),
    );
  });
});

describe('formatEventTime', () => {
  it('writes ISO-8601 UTC with milliseconds', () => {
    expect(formatEventTime(T + 7)).toBe('2026-11-20T10:00:00.007Z');
  });

  it('writes exactly what Date#toISOString writes, across days and out of range', () => {
    const anyMs = fc.oneof(
      fc.integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }),
      fc.integer({ min: T - 86_400_000, max: T + 86_400_000 }),
      fc.constantFrom(0, -1, 0.5, Date.UTC(9999, 11, 31, 23, 59, 59, 999) + 1),
    );
    fc.assert(
      fc.property(fc.array(anyMs, { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of times) expect(formatEventTime(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });

  it('is toISOString, whatever time the call before it formatted, anywhere a Date can be (incidents format firstSeen/lastSeen with it)', () => {
    // Times in runs, as a stream's are (the same minute again, the next one), and anywhere a Date can be.
    const time = fc.oneof(fc.integer({ min: -62_167_219_200_000 - 86_400_000, max: 253_402_300_799_999 + 86_400_000 }), fc.integer({ min: 1_790_000_000_000, max: 1_790_000_300_000 }), fc.double({ min: -1e13, max: 1e13, noNaN: true }));
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 30 }), (times) => {
        for (const ms of times) expect(formatEventTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 500 },
    );
  });
});

describe('eventTimeText', () => {
  it('reuses input that is already canonical', () => {
    const text = '2026-11-20T10:00:00.000Z';
    expect(eventTimeText(text, T)).toBe(text);
  });

  it.each([['2026-11-20T12:00:00.000+02:00'], ['2026-11-20 10:00:00.000Z'], ['2026-11-20T10:00:00Z'], [T / 1000]])(
    'formats %s, which is not canonical text',
    (value) => {
      expect(eventTimeText(value, T)).toBe('2026-11-20T10:00:00.000Z');
    },
  );
});
