import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MergedPartitions, type SourceMessage } from '../../../src/source/kafka/merged-partitions.js';

/** Partition logs: per partition, messages with (not necessarily increasing) producer timestamps. */
const logs = fc.array(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 30 }), { minLength: 1, maxLength: 5 }).map((parts) =>
  parts.map((times, p) => times.map((t, offset): SourceMessage => ({ offset: String(offset), timestamp: String(t), value: Buffer.from(`p${p}o${offset}`) }))),
);

function merged(partitions: number): MergedPartitions {
  const positions = new Map();
  for (let p = 0; p < partitions; p++) positions.set(String(p), { tp: { topic: 'alerts', partition: p }, offset: 0 });
  return new MergedPartitions(positions);
}

/** The merge with everything available: smallest head by (timestamp, partition), again and again. */
function referenceMerge(parts: SourceMessage[][]): string[] {
  const heads = parts.map(() => 0);
  const out: string[] = [];
  for (;;) {
    let best = -1;
    for (let p = 0; p < parts.length; p++) {
      const m = parts[p]![heads[p]!];
      if (m === undefined) continue;
      const b = best < 0 ? undefined : parts[best]![heads[best]!]!;
      if (b === undefined || Number(m.timestamp) < Number(b.timestamp)) best = p;
    }
    if (best < 0) return out;
    out.push(String(parts[best]![heads[best]!++]!.value));
  }
}

/**
 * Feeds the logs to the merge in batches (sizes and partition order from `schedule`), taking chunks
 * of the given sizes in between; `available(p)` is how much of partition p is in the log so far.
 */
function drive(parts: SourceMessage[][], schedule: number[], chunkSizes: number[], live = false) {
  const m = merged(parts.length);
  const fed = parts.map(() => 0);
  const out: string[] = [];
  const chunks: Map<number, number>[] = [];
  let step = 0;
  const available = (p: number) => (live ? Math.min(parts[p]!.length, Math.floor(((step + 1) * parts[p]!.length) / schedule.length) + 1) : parts[p]!.length);
  // What the admin client tells the decider when it takes the partitions over.
  parts.forEach((_, p) => m.setHighWatermark(p, available(p)));
  for (; step < schedule.length * 4; step++) {
    const p = schedule[step % schedule.length]! % parts.length;
    const size = (schedule[(step + 1) % schedule.length]! % 7) + 1;
    const upTo = Math.min(available(p), fed[p]! + size);
    if (upTo > fed[p]!) {
      m.add(p, parts[p]!.slice(fed[p], upTo), upTo, available(p));
      fed[p] = upTo;
    } else {
      m.setHighWatermark(p, available(p));
    }
    const { records, ends } = m.take(chunkSizes[step % chunkSizes.length]!);
    if (records.length > 0) chunks.push(ends);
    out.push(...records.map((r) => String(r.message.value)));
  }
  // Whatever is left, once every partition is fully fetched.
  for (let p = 0; p < parts.length; p++) if (fed[p]! < parts[p]!.length) m.add(p, parts[p]!.slice(fed[p]), parts[p]!.length, parts[p]!.length);
  for (let { records, ends } = m.take(1000); records.length > 0; { records, ends } = m.take(1000)) {
    chunks.push(ends);
    out.push(...records.map((r) => String(r.message.value)));
  }
  return { out, chunks };
}

describe('MergedPartitions: one deterministic sequence from many partitions', () => {
  it('with the log written, releases the same sequence however the fetches arrive and whatever the chunk sizes', () => {
    fc.assert(
      fc.property(logs, fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }), (parts, schedule, sizes) => {
        expect(drive(parts, schedule, sizes).out).toEqual(referenceMerge(parts));
      }),
      { numRuns: 300 },
    );
  });

  it('forms a recorded chunk again exactly, even where it was first formed while a partition was caught up', () => {
    fc.assert(
      fc.property(logs, fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }), (parts, schedule, sizes) => {
        const live = drive(parts, schedule, sizes, true);
        // Replay: the whole log is there at once; each chunk is formed from its recorded ends.
        const m = merged(parts.length);
        parts.forEach((messages, p) => m.add(p, messages, messages.length, messages.length));
        const again = live.chunks.flatMap((ends) => m.takeExactly(ends)!.map((r) => String(r.message.value)));
        expect(again).toEqual(live.out);
        expect(again).toHaveLength(parts.reduce((n, p) => n + p.length, 0));
      }),
      { numRuns: 300 },
    );
  });

  it('waits for a partition with records still to fetch, not for one that is caught up', () => {
    const m = merged(2);
    m.add(0, [{ offset: '0', timestamp: '5', value: null }], 1, 1);
    m.setHighWatermark(1, 3);
    expect(m.take(10).records).toEqual([]);
    expect(m.waitingFor()).toEqual([1]);
    m.add(1, [{ offset: '0', timestamp: '9', value: null }], 1, 3);
    // Both heads are there: they go in timestamp order; then partition 1's offsets 1 and 2 are awaited.
    expect(m.take(10).records.map((r) => [r.source, r.message.offset])).toEqual([[0, '0'], [1, '0']]);
    expect(m.waitingFor()).toEqual([1]);
    m.add(1, [{ offset: '1', timestamp: '2', value: null }], 2, 3);
    expect(m.take(10).records.map((r) => [r.source, r.message.offset])).toEqual([[1, '1']]);
    m.add(0, [{ offset: '1', timestamp: '1', value: null }], 2, 2);
    expect(m.take(10).records).toEqual([]);
    m.setHighWatermark(1, 2);
    expect(m.take(10).records.map((r) => [r.source, r.message.offset])).toEqual([[0, '1']]);
  });

  it('drops messages fetched again, and steps over records kafkajs does not hand over', () => {
    const m = merged(1);
    const batch = [0, 1, 2].map((o): SourceMessage => ({ offset: String(o), timestamp: '1', value: null }));
    expect(m.add(0, batch, 3, 5)).toBe(3);
    expect(m.add(0, batch.slice(1), 3, 5)).toBe(0);
    expect(m.take(10).records).toHaveLength(3);
    expect(m.take(10).records).toEqual([]);
    // Offsets 3 and 4 were a transaction's control records.
    m.skip(0, 5, 5);
    expect(m.waitingFor()).toEqual([]);
    expect(m.position(0)).toBe(5);
    expect(m.lag()).toEqual([{ topic: 'alerts', partition: 0, lag: 0 }]);
  });
});
