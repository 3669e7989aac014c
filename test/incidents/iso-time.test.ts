import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/incidents/iso-time.js';

describe('isoTime', () => {
  it('is toISOString, whatever minute the call before it formatted', () => {
    // Times in runs, as a stream's are (the same minute again, the next one), and anywhere a Date can be.
    const time = fc.oneof(fc.integer({ min: -62_167_219_200_000 - 86_400_000, max: 253_402_300_799_999 + 86_400_000 }), fc.integer({ min: 1_790_000_000_000, max: 1_790_000_300_000 }), fc.double({ min: -1e13, max: 1e13, noNaN: true }));
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 30 }), (times) => {
        for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 500 },
    );
  });
});
