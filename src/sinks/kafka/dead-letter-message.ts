import type { Message } from 'kafkajs';
import { z } from 'zod';

/**
 * A dead letter on Kafka: the message that could not become an alert, named by topic, partition and
 * offset (in the record and in headers, so a consumer can route on them without parsing the value).
 * docs/outputs.md and docs/kafka.md document it.
 */
export const KafkaDeadLetterRecord = z.object({
  topic: z.string(),
  partition: z.number().int().nonnegative(),
  /** Kafka offsets are 64-bit: as text, as kafkajs and the headers give them. */
  offset: z.string().regex(/^\d+$/),
  /** What was wrong and where: `/time: unparseable timestamp "yesterday"`. */
  reason: z.string(),
  /** The start of the message value as text, cut to 1024 characters. */
  raw: z.string(),
  truncated: z.boolean(),
});
export type KafkaDeadLetterRecord = z.infer<typeof KafkaDeadLetterRecord>;

/** Header names; values are UTF-8 text. */
export const DEAD_LETTER_HEADERS = {
  error: 'alertgate-error',
  sourceTopic: 'alertgate-source-topic',
  sourcePartition: 'alertgate-source-partition',
  sourceOffset: 'alertgate-source-offset',
} as const;

/** Where a message came from. */
export interface MessageSource {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Keyed `topic-partition-offset` (unique: the last two parts are numbers), so a redelivered message
 * yields the same key and compaction or a consumer can drop the duplicate.
 */
export function deadLetterMessage(source: MessageSource, failure: { reason: string; raw: string; truncated: boolean }): Message {
  const record: KafkaDeadLetterRecord = { ...source, reason: failure.reason, raw: failure.raw, truncated: failure.truncated };
  return {
    key: `${source.topic}-${source.partition}-${source.offset}`,
    value: JSON.stringify(record),
    headers: {
      [DEAD_LETTER_HEADERS.error]: failure.reason,
      [DEAD_LETTER_HEADERS.sourceTopic]: source.topic,
      [DEAD_LETTER_HEADERS.sourcePartition]: String(source.partition),
      [DEAD_LETTER_HEADERS.sourceOffset]: source.offset,
    },
  };
}
