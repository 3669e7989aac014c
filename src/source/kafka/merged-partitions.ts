/**
 * The input partitions of one decider, merged into one deterministic sequence.
 *
 * Windows and incidents are state over the whole stream, so every alert must be decided in one
 * order, and in the same order whichever worker decides it and however often it is decided again
 * after a crash. The order is a k-way merge of the partitions (each in offset order) by the record's
 * Kafka timestamp, ties broken by topic, partition and offset. The merge only releases a record once
 * every partition that still has records before its high watermark has one buffered, so the order
 * depends on the log's contents, not on which fetch came back first; a partition that is caught up
 * (nothing between its position and its high watermark) does not hold the others back.
 *
 * A chunk is one take(): a run of merged records. Given the offsets where each partition's part of a
 * chunk ended, the same chunk is formed again from the same log (takeExactly): that is how a chunk
 * is replayed after a crash without depending on what was caught up when it was first formed.
 */

/** One input message as the merge holds it (kafkajs' message fields that are used). */
export interface SourceMessage {
  readonly offset: string;
  readonly timestamp: string;
  readonly value: Buffer | null;
  /** kafkajs' message headers (the decider reads `alertgate-format`). */
  readonly headers?: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>>;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A merged record and the partition it came from (index into MergedPartitions.partitions). */
export interface MergedRecord {
  readonly source: number;
  readonly message: SourceMessage;
}

/** Where a chunk ended in each partition it took records from: source index → next offset. */
export type ChunkEnds = ReadonlyMap<number, number>;

class PartitionQueue {
  /** Buffered messages, oldest first; `head` is the next one to release. */
  private batches: (readonly SourceMessage[])[] = [];
  private batch = 0;
  private head = 0;
  size = 0;
  /** Offset of the next message to release (what the decider has taken up to). */
  position: number;
  /** Offset after the last buffered message: where the next fetched batch must continue. */
  fetchedUpTo: number;
  /** Last known high watermark: the offset after the partition's last record. */
  highWatermark: number | undefined;

  constructor(
    readonly tp: TopicPartition,
    position: number,
  ) {
    this.position = position;
    this.fetchedUpTo = position;
  }

  get empty(): boolean {
    return this.size === 0;
  }

  /** Nothing buffered and nothing more in the log as far as we know. */
  get caughtUp(): boolean {
    return this.size === 0 && this.highWatermark !== undefined && this.fetchedUpTo >= this.highWatermark;
  }

  peek(): SourceMessage | undefined {
    return this.size === 0 ? undefined : this.batches[this.batch]![this.head];
  }

  shift(): SourceMessage {
    const message = this.batches[this.batch]![this.head]!;
    this.size--;
    if (++this.head === this.batches[this.batch]!.length) {
      this.head = 0;
      this.batch++;
      // Drop released batches now and then, not on every shift.
      if (this.batch >= 64 || this.size === 0) {
        this.batches = this.batches.slice(this.batch);
        this.batch = 0;
      }
    }
    this.position = Number(message.offset) + 1;
    return message;
  }

  push(messages: readonly SourceMessage[], nextOffset: number): void {
    if (messages.length > 0) {
      this.batches.push(messages);
      this.size += messages.length;
    }
    this.fetchedUpTo = nextOffset;
  }

  clear(position: number): void {
    this.batches = [];
    this.batch = 0;
    this.head = 0;
    this.size = 0;
    this.position = position;
    this.fetchedUpTo = position;
  }
}

/** Orders merged records: timestamp, then source index (topic, partition), then offset (implied: one head per source). */
function before(a: SourceMessage, aSource: number, b: SourceMessage, bSource: number): boolean {
  const ta = Number(a.timestamp);
  const tb = Number(b.timestamp);
  return ta < tb || (ta === tb && aSource < bSource);
}

export class MergedPartitions {
  /** Sorted by topic, then partition: a record's source index is its place here, the same on every worker. */
  readonly partitions: readonly TopicPartition[];
  private readonly queues: PartitionQueue[];
  private readonly index = new Map<string, number>();

  /** `positions`: where each partition starts (the next offset to release). */
  constructor(positions: ReadonlyMap<string, { tp: TopicPartition; offset: number }>) {
    const entries = [...positions.values()].sort((a, b) => (a.tp.topic < b.tp.topic ? -1 : a.tp.topic > b.tp.topic ? 1 : a.tp.partition - b.tp.partition));
    this.partitions = entries.map((e) => e.tp);
    this.queues = entries.map((e) => new PartitionQueue(e.tp, e.offset));
    this.partitions.forEach((tp, i) => this.index.set(tpKey(tp.topic, tp.partition), i));
  }

  sourceOf(topic: string, partition: number): number | undefined {
    return this.index.get(tpKey(topic, partition));
  }

  /**
   * Buffers a fetched batch. Messages before the partition's fetch position are dropped (a batch
   * fetched again after a rebalance or a seek); `nextOffset` is where the fetch after it starts (past
   * control records). Returns how many messages were kept.
   */
  add(source: number, messages: readonly SourceMessage[], nextOffset: number, highWatermark: number): number {
    const queue = this.queues[source]!;
    queue.highWatermark = highWatermark;
    if (nextOffset <= queue.fetchedUpTo) return 0;
    let from = 0;
    while (from < messages.length && Number(messages[from]!.offset) < queue.fetchedUpTo) from++;
    const kept = from === 0 ? messages : messages.slice(from);
    queue.push(kept, nextOffset);
    return kept.length;
  }

  /**
   * The fetch moved past records the consumer does not hand over (control records of transactions,
   * aborted messages): without this, the merge would wait for them.
   */
  skip(source: number, nextOffset: number, highWatermark: number): void {
    const queue = this.queues[source]!;
    queue.highWatermark = highWatermark;
    if (nextOffset > queue.fetchedUpTo) {
      queue.fetchedUpTo = nextOffset;
      if (queue.empty) queue.position = nextOffset;
    }
  }

  /** A high watermark learned elsewhere (the admin client), e.g. for a partition with nothing to fetch. */
  setHighWatermark(source: number, highWatermark: number): void {
    this.queues[source]!.highWatermark = highWatermark;
  }

  /** Forgets what is buffered and restarts a partition at `offset` (after a seek). */
  reset(source: number, offset: number): void {
    this.queues[source]!.clear(offset);
  }

  position(source: number): number {
    return this.queues[source]!.position;
  }

  /** Where the next fetch of a partition must start. */
  fetchPosition(source: number): number {
    return this.queues[source]!.fetchedUpTo;
  }

  buffered(source: number): number {
    return this.queues[source]!.size;
  }

  /** Messages behind the high watermark, buffered ones included: the consumer lag of each partition. */
  lag(): { topic: string; partition: number; lag: number }[] {
    return this.queues.map((q) => ({ ...q.tp, lag: q.highWatermark === undefined ? 0 : Math.max(0, q.highWatermark - q.position) }));
  }

  /** Partitions the merge is waiting for: nothing buffered, but records before the high watermark (or none known). */
  waitingFor(): number[] {
    const waiting: number[] = [];
    this.queues.forEach((q, i) => {
      if (q.empty && !q.caughtUp) waiting.push(i);
    });
    return waiting;
  }

  /**
   * Releases up to `max` records in merged order: stops early when a partition that is not caught up
   * has nothing buffered (its next record could come first). Returns the records and where the chunk
   * ended in each partition it took from.
   */
  take(max: number): { records: MergedRecord[]; ends: Map<number, number> } {
    const records: MergedRecord[] = [];
    const ends = new Map<number, number>();
    const queues = this.queues;
    while (records.length < max) {
      // The smallest head and the runner-up: take from the smallest while it stays before the runner-up.
      let best = -1;
      let second = -1;
      let blocked = false;
      for (let i = 0; i < queues.length; i++) {
        const q = queues[i]!;
        const head = q.peek();
        if (head === undefined) {
          if (!q.caughtUp) blocked = true;
          continue;
        }
        if (best < 0 || before(head, i, queues[best]!.peek()!, best)) {
          second = best;
          best = i;
        } else if (second < 0 || before(head, i, queues[second]!.peek()!, second)) {
          second = i;
        }
      }
      if (best < 0 || blocked) break;
      const q = queues[best]!;
      const rival = second < 0 ? undefined : queues[second]!.peek();
      do {
        records.push({ source: best, message: q.shift() });
        const next = q.peek();
        if (next === undefined) {
          // Its next record may not be fetched yet; unless caught up, the merge must wait for it.
          break;
        }
        if (rival !== undefined && !before(next, best, rival, second)) break;
      } while (records.length < max);
      ends.set(best, q.position);
    }
    return { records, ends };
  }

  /**
   * Forms the chunk that ended at `ends` again, in the same order: the merge of each partition's
   * records up to its end. Undefined while some of those records are not buffered yet.
   */
  takeExactly(ends: ChunkEnds): MergedRecord[] | undefined {
    for (const [source, end] of ends) if (this.queues[source]!.fetchedUpTo < end) return undefined;
    const records: MergedRecord[] = [];
    const queues = this.queues;
    for (;;) {
      let best = -1;
      for (const [source, end] of ends) {
        const head = queues[source]!.peek();
        if (head === undefined || Number(head.offset) >= end) continue;
        if (best < 0 || before(head, source, queues[best]!.peek()!, best)) best = source;
      }
      if (best < 0) break;
      records.push({ source: best, message: queues[best]!.shift() });
    }
    // Records an aborted transaction or compaction left out: the chunk still ends there.
    for (const [source, end] of ends) {
      const q = queues[source]!;
      if (q.position < end) q.position = end;
    }
    return records;
  }
}

function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
