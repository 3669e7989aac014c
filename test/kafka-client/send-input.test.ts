import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { UnkeyedPartitions } from '../../src/kafka/send-input.js';

describe('unkeyed input messages', () => {
  it('get a partition once, round robin across sends, so a retried send carries the same batches (else OUT_OF_ORDER_SEQUENCE_NUMBER); keyed and pinned ones keep theirs', () => {
    const unkeyed = new UnkeyedPartitions(3);
    const first: Message[] = [{ key: null, value: 'a' }, { key: 'id-1', value: 'b' }, { value: 'c' }, { key: null, value: 'd', partition: 0 }, { key: null, value: 'e' }];
    unkeyed.pin(first);
    expect(first.map((m) => m.partition)).toEqual([0, undefined, 1, 0, 2]);
    // Pinning again (a retry) changes nothing; the next send goes on where this one stopped.
    unkeyed.pin(first);
    expect(first.map((m) => m.partition)).toEqual([0, undefined, 1, 0, 2]);
    const next: Message[] = [{ key: null, value: 'f' }, { key: null, value: 'g' }];
    unkeyed.pin(next);
    expect(next.map((m) => m.partition)).toEqual([0, 1]);
  });
});
