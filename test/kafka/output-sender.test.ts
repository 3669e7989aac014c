import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { COMPRESSION_TYPES, useFastGzip } from '../../src/kafka/compression.js';
import { OutputSender } from '../../src/sinks/kafka/output-sender.js';
import { createTopic, describeKafka, kafkaClient, uniqueTopic } from './broker.js';
import { cleanups, readTopic, runCleanups } from './worker-harness.js';

afterEach(runCleanups);

describeKafka('OutputSender on the broker', () => {
  it('when the broker refuses a request as too large (data that does not compress), sends smaller ones: every message arrives once, in order', async () => {
    useFastGzip();
    const kafka = kafkaClient();
    const topic = await createTopic(uniqueTopic('too-large'), 1, { 'max.message.bytes': '200000' });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const sender = new OutputSender(producer, { acks: -1, compression: COMPRESSION_TYPES.gzip, maxRequestBytes: 1024 * 1024, log: pino({ level: 'silent' }) });
    const messages = Array.from({ length: 60 }, (_, i) => ({ key: `m${i}`, value: randomBytes(10_000) }));
    const sent = await sender.send([{ topic, messages }], { chunks: [1] }, () => true);
    expect(sender.splits).toBeGreaterThanOrEqual(1);
    expect(sent.length).toBeGreaterThan(1);
    const reader = await readTopic(topic);
    const records = await reader.atLeast(60, 20_000);
    expect(records.map((r) => r.key)).toEqual(messages.map((m) => m.key));
    expect(records.every((r, i) => r.rawValue!.equals(messages[i]!.value))).toBe(true);
  }, 30_000);
});
