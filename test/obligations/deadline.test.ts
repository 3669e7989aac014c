import { describe, expect, it } from 'vitest';
import { dueAt } from '../../src/obligations/deadline.js';
import { ObligationsFile, type Within } from '../../src/obligations/schema.js';
import { fromLocal } from '../../src/obligations/zoned-time.js';

const HOUR = 3_600_000;
const spec = ObligationsFile.parse({
  timezone: 'Europe/Berlin',
  calendars: {
    'us-federal': { timezone: 'America/New_York', holidays: ['2026-12-25', '2027-01-01'] },
    berlin: { timezone: 'Europe/Berlin', holidays: ['2026-12-24', '2026-12-25', '2026-12-26'] },
  },
  obligations: [{ name: 'x', title: 'x', when: { flag: ['x'] }, within: { hours: 1 }, notify: ['r'] }],
});
const due = (within: Within, start: string) => new Date(dueAt(within, Date.parse(start), spec)).toISOString();

describe('business days', () => {
  it('skip the weekend and the holidays: material on Christmas Eve is due at the cutoff of New Year\'s Eve (SEC, Eastern time)', () => {
    // Thu 24 Dec: Fri 25 is a holiday, 26-27 the weekend; Mon 28, Tue 29, Wed 30, Thu 31 are the four business days.
    expect(due({ businessDays: 4, calendar: 'us-federal', cutoff: '17:30' }, '2026-12-24T15:00:00Z')).toBe('2026-12-31T22:30:00.000Z');
  });

  it('count from the next business day whatever the time the clock started, and end at midnight without a cutoff', () => {
    // Friday 22:30 in Berlin: the weekend does not count, so Mon 30 Nov to Thu 3 Dec, due at the end of Thursday.
    expect(due({ businessDays: 4, calendar: 'berlin' }, '2026-11-27T21:30:00Z')).toBe('2026-12-03T23:00:00.000Z');
    // Started on a Saturday: Monday is the first business day.
    expect(due({ businessDays: 1, calendar: 'berlin' }, '2026-11-28T10:00:00Z')).toBe('2026-11-30T23:00:00.000Z');
  });

  it('a run of holidays and a weekend in a row is skipped as one', () => {
    // Wed 23 Dec Berlin; 24, 25, 26 holidays, 26-27 weekend: Mon 28 is business day 1.
    expect(due({ businessDays: 1, calendar: 'berlin' }, '2026-12-23T09:00:00Z')).toBe('2026-12-28T23:00:00.000Z');
  });

  it('end at local midnight across the US DST change (EST before, EDT after)', () => {
    // Fri 6 March 2026 noon EST; DST starts Sun 8 March; end of Mon 9 March is 00:00 EDT = 04:00Z.
    expect(due({ businessDays: 1, calendar: 'us-federal' }, '2026-03-06T17:00:00Z')).toBe('2026-03-10T04:00:00.000Z');
  });
});

describe('hours, days and months', () => {
  it('hours are elapsed time: 72 h across the spring DST change is 72 h, not 71 on the wall clock', () => {
    expect(dueAt({ hours: 72 }, Date.parse('2026-03-27T09:00:00Z'), spec) - Date.parse('2026-03-27T09:00:00Z')).toBe(72 * HOUR);
  });

  it('days keep the wall-clock time: a day is 23 hours into summer time and 25 out of it (Europe/Berlin)', () => {
    expect(due({ days: 1 }, '2026-03-28T09:00:00Z')).toBe('2026-03-29T08:00:00.000Z');
    expect(due({ days: 1 }, '2026-10-24T08:00:00Z')).toBe('2026-10-25T09:00:00.000Z');
    expect(due({ days: 60 }, '2026-12-03T09:00:00Z')).toBe('2027-02-01T09:00:00.000Z');
  });

  it('a month later is the same day, clamped to the end of a shorter month', () => {
    expect(due({ months: 1 }, '2027-01-31T11:00:00Z')).toBe('2027-02-28T11:00:00.000Z');
    expect(due({ months: 1 }, '2026-03-15T11:00:00Z')).toBe('2026-04-15T10:00:00.000Z');
  });
});

describe('wall clock to a moment', () => {
  it('a time the spring change skips is read an hour later; one the autumn change repeats is the first of the two', () => {
    const local = (day: number, month: number) => ({ year: 2026, month, day, hour: 2, minute: 30, second: 0, millisecond: 0 });
    expect(new Date(fromLocal(local(29, 3), 'Europe/Berlin')).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(new Date(fromLocal(local(25, 10), 'Europe/Berlin')).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(new Date(fromLocal(local(26, 10), 'Europe/Berlin')).toISOString()).toBe('2026-10-26T01:30:00.000Z');
  });
});
