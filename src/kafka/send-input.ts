import type { Message, Producer } from 'kafkajs';
import { requestChunks } from '../sinks/kafka/request-chunks.js';

/**
 * How alert lines are put on an input topic (`alertgate produce`, POST /ingest on the Kafka worker):
 * an idempotent producer, every in-sync replica acknowledging, requests within the broker's default
 * message.max.bytes.
 */
export const INPUT_PRODUCER = { idempotent: true, acks: -1, maxRequestBytes: 512 * 1024 } as const;

/** Sends messages to a topic in requests of at most INPUT_PRODUCER.maxRequestBytes; resolves once every request is acknowledged. */
export async function sendInput(producer: Producer, topic: string, messages: Message[]): Promise<number> {
  for (const topicMessages of requestChunks([{ topic, messages }], INPUT_PRODUCER.maxRequestBytes)) {
    await producer.sendBatch({ topicMessages, acks: INPUT_PRODUCER.acks });
  }
  return messages.length;
}
