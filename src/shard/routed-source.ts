import type { IHeaders, Message } from 'kafkajs';
import { DEAD_LETTER_HEADERS, type MessageSource } from '../sinks/kafka/dead-letter-message.js';
import type { SourceMessage } from '../source/kafka/merged-partitions.js';

/**
 * A record of the repartition topic names the input message it was routed from, in the headers dead
 * letters use (`alertgate-source-topic`, `-partition`, `-offset`). The shard's decider names dead
 * letters by it, as an unsharded decider would, and skips a router's redelivery by it.
 */

/** The repartition record of an input message: its value, timestamp and headers, with where it came from. */
export function routedMessage(source: MessageSource, message: SourceMessage, key: string, partition: number): Message {
  return {
    key,
    partition,
    value: message.value,
    timestamp: message.timestamp,
    headers: {
      ...(message.headers as IHeaders | undefined),
      [DEAD_LETTER_HEADERS.sourceTopic]: source.topic,
      [DEAD_LETTER_HEADERS.sourcePartition]: String(source.partition),
      [DEAD_LETTER_HEADERS.sourceOffset]: source.offset,
    },
  };
}

/** Where a repartition record came from, or undefined for a record without the headers. */
export function routedSourceOf(headers: SourceMessage['headers']): MessageSource | undefined {
  const topic = text(headers?.[DEAD_LETTER_HEADERS.sourceTopic]);
  const partition = Number(text(headers?.[DEAD_LETTER_HEADERS.sourcePartition]));
  const offset = text(headers?.[DEAD_LETTER_HEADERS.sourceOffset]);
  if (topic === undefined || offset === undefined || !Number.isInteger(partition) || !/^\d+$/.test(offset)) return undefined;
  return { topic, partition, offset };
}

function text(value: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  const one = Array.isArray(value) ? value[0] : value;
  return one === undefined ? undefined : one.toString();
}

/** An input position: topic, partition, next offset (the state log's Position). */
export type RoutedPosition = [string, number, number];

/**
 * The next input offset of each input partition a shard has taken records from. A router that stops
 * before committing (a crash, a rebalance) has its records routed again by the next one, after the
 * copies already in the repartition topic; each router sends an input partition's records in order,
 * so a copy is exactly a record whose input offset is below what the shard has taken from that input
 * partition. Skipping those keeps each input message decided once, as without shards. Part of the
 * decider's checkpoint.
 */
export class RoutedPositions {
  private readonly next = new Map<string, RoutedPosition>();
  /** Copies skipped so far. */
  redelivered = 0;

  /** Whether the record is new (and takes it); false for a copy of one taken before. */
  admit(source: MessageSource): boolean {
    const key = `${source.topic}\u0000${source.partition}`;
    const offset = Number(source.offset);
    const seen = this.next.get(key);
    if (seen !== undefined && offset < seen[2]) {
      this.redelivered++;
      return false;
    }
    if (seen === undefined) this.next.set(key, [source.topic, source.partition, offset + 1]);
    else seen[2] = offset + 1;
    return true;
  }

  snapshot(): RoutedPosition[] {
    return [...this.next.values()].map((p) => [...p] as RoutedPosition).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  }

  restore(positions: readonly (readonly [string, number, number])[]): void {
    this.next.clear();
    for (const [topic, partition, offset] of positions) this.next.set(`${topic}\u0000${partition}`, [topic, partition, offset]);
  }
}
