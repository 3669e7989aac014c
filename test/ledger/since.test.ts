import { describe, expect, it } from 'vitest';
import { MAX_PERIOD_MS, parseSince, sinceMsOf } from '../../src/ledger/since.js';

const NEWEST = Date.UTC(2026, 10, 20);

describe('since: one parser for --since, ?since= and tuning.since', () => {
  it('a duration back from the newest event time, at most 400d; an ISO date-time as it is', () => {
    expect(parseSince('36h')).toEqual({ kind: 'duration', ms: 36 * 3_600_000 });
    expect(parseSince('400d')).toEqual({ kind: 'duration', ms: MAX_PERIOD_MS });
    expect(parseSince('2026-11-02')).toEqual({ kind: 'time', ms: Date.UTC(2026, 10, 2) });
    expect(sinceMsOf('7d', NEWEST)).toBe(NEWEST - 7 * 86_400_000);
    expect(sinceMsOf('2026-11-02T00:00:00Z', undefined)).toBe(Date.UTC(2026, 10, 2));
    // Over an empty ledger a duration bounds nothing; no since is no bound.
    expect(sinceMsOf('7d', undefined)).toBeUndefined();
    expect(sinceMsOf(undefined, NEWEST)).toBeUndefined();
  });

  it('refuses what would stall or break a worker, saying what is expected', () => {
    expect(() => parseSince('99999999d')).toThrow('invalid duration "99999999d": longer than the maximum of 400d');
    expect(() => parseSince('1000000000000d')).toThrow('longer than the maximum of 400d');
    for (const bad of ['2026-13-45', 'yesterday', '7 days', '-1d', '']) {
      expect(() => parseSince(bad), bad).toThrow(`expected a duration such as 7d or 36h (at most 400d), or an ISO date-time, got ${JSON.stringify(bad)}`);
    }
  });
});
