import { describe, expect, it } from 'vitest';
import { ProcessedOffsets } from '../../../src/source/kafka/processed-offsets.js';

const batch = (...offsets: number[]) => offsets.map((o) => ({ offset: String(o) }));

describe('processed offsets (redelivery guard)', () => {
  it('skips the part of a redelivered batch that was processed, per partition', () => {
    const processed = new ProcessedOffsets();
    expect(processed.firstUnprocessed('t', 0, batch(0, 1, 2))).toBe(0);
    processed.markProcessed('t', 0, 3n);
    expect(processed.firstUnprocessed('t', 0, batch(0, 1, 2))).toBe(3);
    expect(processed.firstUnprocessed('t', 0, batch(1, 2, 3, 4))).toBe(2);
    expect(processed.firstUnprocessed('t', 1, batch(0, 1))).toBe(0);
    expect(processed.firstUnprocessed('u', 0, batch(0, 1))).toBe(0);
  });

  it('never moves back, and handles offsets beyond 2^53', () => {
    const processed = new ProcessedOffsets();
    processed.markProcessed('t', 0, 10n);
    processed.markProcessed('t', 0, 5n);
    expect(processed.firstUnprocessed('t', 0, batch(8, 9, 10))).toBe(2);
    processed.markProcessed('t', 1, 9007199254740995n);
    expect(processed.firstUnprocessed('t', 1, [{ offset: '9007199254740994' }, { offset: '9007199254740995' }])).toBe(1);
  });
});
