import type { Admin, Message, Producer } from 'kafkajs';
import { requestChunks } from '../sinks/kafka/request-chunks.js';

/**
 * How alert lines are put on an input topic (`alertgate produce`, POST /ingest on the Kafka worker):
 * an idempotent producer, every in-sync replica acknowledging, requests within the broker's default
 * message.max.bytes.
 */
export const INPUT_PRODUCER = { idempotent: true, acks: -1, maxRequestBytes: 512 * 1024 } as const;

/**
 * Partitions for messages without a key, round robin, chosen once. kafkajs spreads unkeyed messages
 * over the partitions anew on every retry of a send: a request the broker wrote in part (one partition
 * not served yet, as just after a restart) went out again as other batches, which the broker refuses
 * from an idempotent producer as OUT_OF_ORDER_SEQUENCE_NUMBER. Pinned before the first attempt, a
 * retry sends the same batches, and the broker takes the part it has as duplicates.
 */
export class UnkeyedPartitions {
  private next = 0;

  constructor(readonly count: number) {}

  /** Sets `partition` on each message that has neither a key nor a partition. */
  pin(messages: Message[]): void {
    for (const message of messages) {
      if (message.key !== null && message.key !== undefined) continue;
      if (message.partition !== undefined) continue;
      message.partition = this.next;
      this.next = (this.next + 1) % this.count;
    }
  }
}

/** Sends messages to a topic in requests of at most INPUT_PRODUCER.maxRequestBytes; resolves once every request is acknowledged. */
export async function sendInput(producer: Pick<Producer, 'sendBatch'>, topic: string, messages: Message[], unkeyed: UnkeyedPartitions): Promise<number> {
  unkeyed.pin(messages);
  for (const topicMessages of requestChunks([{ topic, messages }], INPUT_PRODUCER.maxRequestBytes)) {
    await producer.sendBatch({ topicMessages, acks: INPUT_PRODUCER.acks });
  }
  return messages.length;
}

/** The topic's partition count, for UnkeyedPartitions. */
export async function partitionCount(admin: Pick<Admin, 'fetchTopicMetadata'>, topic: string): Promise<number> {
  const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
  if (!metadata || metadata.partitions.length === 0) throw new Error(`topic ${topic} has no partitions`);
  return metadata.partitions.length;
}
