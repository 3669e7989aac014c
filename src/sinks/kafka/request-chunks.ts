import type { Message, TopicMessages } from 'kafkajs';

/**
 * Splits a batch's outputs into produce requests of at most `maxBytes` of messages. kafkajs writes
 * all messages for one partition in a request as one record batch, and the broker refuses a record
 * batch over its message.max.bytes (1 MiB by default): the decisions of a 1 MiB input batch are
 * several times that. Order is kept, within and across topics; a message over the limit goes alone.
 */
export function requestChunks(topicMessages: readonly TopicMessages[], maxBytes: number): TopicMessages[][] {
  const chunks: TopicMessages[][] = [];
  let chunk: TopicMessages[] = [];
  let bytes = 0;
  for (const { topic, messages } of topicMessages) {
    let current: TopicMessages | undefined;
    for (const message of messages) {
      const size = messageBytes(message);
      if (bytes > 0 && bytes + size > maxBytes) {
        chunks.push(chunk);
        chunk = [];
        bytes = 0;
        current = undefined;
      }
      if (current === undefined) chunk.push((current = { topic, messages: [] }));
      current.messages.push(message);
      bytes += size;
    }
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Record overhead beyond key, value and headers (lengths, offsets, timestamps as varints): generously. */
const RECORD_OVERHEAD_BYTES = 32;

export function messageBytes(message: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.value) + byteLength(message.key);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += Buffer.byteLength(name) + (Array.isArray(value) ? value.reduce((n, v) => n + byteLength(v), 0) : byteLength(value));
  }
  return bytes;
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}
