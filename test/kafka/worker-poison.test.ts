import { afterEach, expect, it } from 'vitest';
import { alert, at, rule, writeRules } from '../helpers.js';
import { createTopic, describeKafka, kafkaClient, uniqueTopic } from './broker.js';
import { cleanups, get, metric, readTopic, runCleanups, startWorker, uniqueOutputs, writeWorkerConfig } from './worker-harness.js';
import { DEAD_LETTER_HEADERS, KafkaDeadLetterRecord } from '../../src/sinks/kafka/dead-letter-message.js';

afterEach(runCleanups);

const MAX_LINE_BYTES = 2048;
const valid = (id: string, minute: number) => JSON.stringify(alert({ id, time: at(minute), severity: 'high' }));

describeKafka('alertgate run on Kafka, poison messages', () => {
  it('dead-letters malformed JSON, binary garbage, oversized, empty and value-less messages with their source, and decides the alerts around them', async () => {
    const input = await createTopic(uniqueTopic('poison-alerts'), 1);
    const producer = kafkaClient().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const oversized = JSON.stringify(alert({ id: 'too-big', time: at(5), name: 'x'.repeat(3 * MAX_LINE_BYTES) }));
    expect(Buffer.byteLength(oversized)).toBeGreaterThan(MAX_LINE_BYTES);
    // offset: 0 … 9
    const poison = [
      { value: valid('a1', 1) },
      { value: '{"id":"broken","time":' },
      { value: valid('a2', 2) },
      { value: Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x81, 0x7d]) },
      { value: valid('a3', 3) },
      { value: oversized },
      { value: valid('a4', 4) },
      { value: '' },
      { value: valid('a5', 6) },
      { value: null },
    ];
    await producer.send({ topic: input, acks: -1, messages: poison });

    const outputs = uniqueOutputs('poison');
    const rules = writeRules({ 'high.yaml': rule({ id: 'high', conditions: { all: [{ fact: 'severity', operator: 'equal', value: 'high' }] } }) });
    const worker = startWorker(writeWorkerConfig({ input: [input], outputs, rules, maxLineBytes: MAX_LINE_BYTES }));
    await worker.joined();
    const [decisions, deadLetters] = await Promise.all([readTopic(outputs.decisions), readTopic(outputs.deadLetters)]);
    await decisions.atLeast(5, 20_000);
    await deadLetters.atLeast(5, 20_000);

    expect(decisions.records.map((r) => r.key)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    const byOffset = new Map(deadLetters.records.map((r) => [r.headers[DEAD_LETTER_HEADERS.sourceOffset]!, r]));
    expect([...byOffset.keys()]).toEqual(['1', '3', '5', '7', '9']);
    const reasons: Record<string, RegExp> = {
      '1': /^invalid JSON: /,
      '3': /^message is not UTF-8 text \(invalid byte sequence at byte 1\)/,
      '5': new RegExp(`^line is ${Buffer.byteLength(oversized)} bytes, over the ${MAX_LINE_BYTES}-byte limit`),
      '7': /^message is empty/,
      '9': /^message has no value \(a tombstone\)/,
    };
    for (const [offset, record] of byOffset) {
      const body = KafkaDeadLetterRecord.parse(JSON.parse(record.value!));
      expect(body).toMatchObject({ topic: input, partition: 0, offset });
      expect(body.reason).toMatch(reasons[offset]!);
      expect(record.key).toBe(`${input}-0-${offset}`);
      expect(record.headers).toEqual({
        [DEAD_LETTER_HEADERS.error]: body.reason,
        [DEAD_LETTER_HEADERS.sourceTopic]: input,
        [DEAD_LETTER_HEADERS.sourcePartition]: '0',
        [DEAD_LETTER_HEADERS.sourceOffset]: offset,
      });
    }
    // Only the start of an oversized message is kept.
    expect(KafkaDeadLetterRecord.parse(JSON.parse(byOffset.get('5')!.value!)).raw.length).toBeLessThan(MAX_LINE_BYTES);
    // Each dead letter is logged with where it came from.
    expect(worker.logs.filter((l) => l.msg === 'dead letter').map((l) => [l.topic, l.partition, l.offset])).toEqual(
      expect.arrayContaining(['1', '3', '5', '7', '9'].map((offset) => [input, 0, offset])),
    );

    // The worker keeps going.
    await producer.send({ topic: input, acks: -1, messages: [{ value: valid('a6', 7) }, { value: '\u0000garbage' }, { value: valid('a7', 8) }] });
    await decisions.atLeast(7, 20_000);
    await deadLetters.atLeast(6, 20_000);
    expect(decisions.records.map((r) => r.key).slice(5)).toEqual(['a6', 'a7']);

    const metrics = (await get(`${await worker.url()}/metrics`)).body;
    expect(metric(metrics, 'alertgate_alerts_received_total')).toBe(13);
    expect(metric(metrics, 'alertgate_dead_letters_total')).toBe(6);
    // By reason class, those rejected before the pipeline included; and the partition's lag, caught up.
    for (const [reason, count] of [['invalid_json', 2], ['not_utf8', 1], ['oversized', 1], ['empty', 1], ['no_value', 1]] as const) {
      expect(metrics).toMatch(new RegExp(`^alertgate_invalid_records_total\\{reason="${reason}"\\} ${count}$`, 'm'));
    }
    expect(metrics).toMatch(new RegExp(`^alertgate_kafka_consumer_lag_messages\\{topic="${input}",partition="0"\\} 0$`, 'm'));
    expect((await worker.stop()).code).toBe(0);
  }, 60_000);
});
