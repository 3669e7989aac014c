import { describe, expect, it } from 'vitest';
import { assignShards } from '../../../src/source/kafka/shard-assigner.js';

const twelve = Array.from({ length: 12 }, (_, i) => i);
const counts = (a: Map<string, number[]>) => [...a.values()].map((l) => l.length);

describe('shard assignment', () => {
  it('spreads the shards evenly over the members, each shard to one', () => {
    const a = assignShards([{ memberId: 'b', owned: [] }, { memberId: 'a', owned: [] }, { memberId: 'c', owned: [] }], twelve);
    expect(counts(a)).toEqual([4, 4, 4]);
    expect([...a.values()].flat().sort((x, y) => x - y)).toEqual(twelve);
  });

  it('is sticky: a member that joins takes shards only from those over their share', () => {
    const before = assignShards([{ memberId: 'a', owned: [] }, { memberId: 'b', owned: [] }], twelve);
    const after = assignShards([...[...before].map(([memberId, owned]) => ({ memberId, owned })), { memberId: 'c', owned: [] }], twelve);
    expect(counts(after)).toEqual([4, 4, 4]);
    for (const member of ['a', 'b']) expect(after.get(member)!.every((p) => before.get(member)!.includes(p))).toBe(true);
  });

  it('gives the shards of a member that left to the others, keeping theirs', () => {
    const after = assignShards([{ memberId: 'a', owned: [0, 1, 2, 3] }, { memberId: 'c', owned: [8, 9, 10, 11] }], twelve);
    expect(after.get('a')!.slice(0, 4)).toEqual([0, 1, 2, 3]);
    expect(after.get('c')).toEqual(expect.arrayContaining([8, 9, 10, 11]));
    expect(counts(after)).toEqual([6, 6]);
  });

  it('never gives one shard to two members, even when both claim it', () => {
    const a = assignShards([{ memberId: 'a', owned: [0, 1] }, { memberId: 'b', owned: [1, 2] }], [0, 1, 2, 3]);
    expect(a.get('a')).toEqual([0, 1]);
    expect(a.get('b')).toEqual([2, 3]);
  });
});
