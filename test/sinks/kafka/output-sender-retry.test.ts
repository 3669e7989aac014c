import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { COMPRESSION_TYPES } from '../../../src/kafka/compression.js';
import { OutputSender, type Sender } from '../../../src/sinks/kafka/output-sender.js';
import type { ProducerBatch, RecordMetadata } from 'kafkajs';

const options = { acks: -1 as const, compression: COMPRESSION_TYPES.none, maxRequestBytes: 1 << 20, log: pino({ level: 'silent' }), backoff: { initialMs: 1, maxMs: 1 } };
const batch = [{ topic: 'decisions', messages: [{ key: 'a', value: '1' }] }];
const metadata: RecordMetadata[] = [{ topicName: 'decisions', partition: 0, errorCode: 0, baseOffset: '7' }];

/** Fails the first `failures` requests with a kafkajs-like protocol error of `type`. */
function failingSender(failures: number, type: string): Sender & { calls: ProducerBatch[] } {
  const calls: ProducerBatch[] = [];
  return {
    calls,
    async sendBatch(b) {
      calls.push(b);
      if (calls.length <= failures) throw Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type, retriable: false });
      return metadata;
    },
  };
}

describe('OutputSender retries', () => {
  it('calls beforeRetry with the error before each retry of a producer request, then delivers', async () => {
    const producer = failingSender(2, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    const seen: unknown[] = [];
    const sender = new OutputSender(producer, { ...options, beforeRetry: async (err) => void seen.push((err as { type: string }).type) });
    const sent = await sender.send(batch, { chunks: [1] }, () => true);
    expect(seen).toEqual(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'OUT_OF_ORDER_SEQUENCE_NUMBER']);
    expect(producer.calls).toHaveLength(3);
    expect(sender.retries).toBe(2);
    expect(sent).toEqual([{ topicMessages: batch, metadata }]);
  });

  it('does not call beforeRetry for a transaction (it is aborted and sent again whole) or once the caller stops trying', async () => {
    const producer = failingSender(0, 'none');
    const transaction = failingSender(1, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    const seen: unknown[] = [];
    const sender = new OutputSender(producer, { ...options, beforeRetry: async (err) => void seen.push(err) });
    await expect(sender.send(batch, { chunks: [1] }, () => false, transaction)).rejects.toThrow('OUT_OF_ORDER_SEQUENCE_NUMBER');
    let attempts = 0;
    const stopping = failingSender(5, 'UNKNOWN_PRODUCER_ID');
    await expect(new OutputSender(stopping, { ...options, beforeRetry: async (err) => void seen.push(err) }).send(batch, { chunks: [2] }, () => ++attempts < 2)).rejects.toThrow('UNKNOWN_PRODUCER_ID');
    expect(stopping.calls).toHaveLength(2);
    expect(seen).toHaveLength(1); // the one retry of the producer that was still trying
  });
});
