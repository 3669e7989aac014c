import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { KafkaFeedbackConsumer } from '../../src/feedback/kafka-feedback-consumer.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { tempDir } from '../helpers.js';
import { dropSchemas, freshLocation, postgresUrl } from '../ledger/backends.js';
import { incidentRecord, incidentsBatch } from '../ledger/fixtures.js';
import { createTopic, describeKafka, kafkaClient, uniqueGroup, uniqueTopic } from './broker.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
});

async function produce(topic: string, values: (string | null)[]): Promise<void> {
  const producer = kafkaClient().producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, messages: values.map((value) => ({ value })) });
  } finally {
    await producer.disconnect();
  }
}

/** Reads `count` messages of a topic from the beginning, with their headers. */
async function read(topic: string, count: number): Promise<{ key: string; value: Record<string, unknown>; headers: Record<string, string> }[]> {
  const consumer = kafkaClient().consumer({ groupId: uniqueGroup('dlq-reader'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  stops.push(() => consumer.disconnect());
  const out: { key: string; value: Record<string, unknown>; headers: Record<string, string> }[] = [];
  await consumer.subscribe({ topic, fromBeginning: true });
  return new Promise((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        out.push({
          key: message.key!.toString(),
          value: JSON.parse(message.value!.toString()),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
        if (out.length === count) resolve(out);
      },
    });
  });
}

describeKafka('Kafka feedback topic', () => {
  it('records verdicts once, keeps the history, and dead-letters malformed messages and unknown incidents with their source', async () => {
    const topic = await createTopic(uniqueTopic('feedback'), 1);
    const dlq = await createTopic(uniqueTopic('feedback-dlq'), 1);
    const ledger = await Ledger.open(parseLedgerLocation(join(tempDir(), 'ledger.sqlite')));
    stops.push(() => ledger.close());
    const [a, b] = [incidentRecord({ n: 1 }), incidentRecord({ n: 2 })];
    await ledger.writeBatch(incidentsBatch([a, b]));
    const verdict = (incidentId: string, extra: Record<string, unknown> = {}) => JSON.stringify({ incidentId, verdict: 'fp', reason: 'scanner', analyst: 'soar', ...extra });
    await produce(topic, [
      verdict(a.id),
      verdict(a.id), // redelivered by the producer
      verdict(a.id, { verdict: 'true_positive', reason: 'reopened: it was the attacker' }),
      verdict(b.id, { at: '2026-11-20T12:00:00Z' }),
      '{"incidentId": ',
      verdict(b.id, { verdict: 'maybe' }),
      verdict('inc-ffffffffffffffffffffffff'),
      null,
    ]);

    const consumer = await KafkaFeedbackConsumer.start({ kafka: kafkaClient(), topic, groupId: uniqueGroup('feedback'), deadLetterTopic: dlq, ledger, log: pino({ level: 'silent' }), sessionTimeoutMs: 6000 });
    stops.push(() => consumer.stop());
    await consumer.handled(8);
    expect(consumer.stats).toEqual({ received: 8, recorded: 3, duplicates: 1, unknownIncident: 1, malformed: 3, unstorable: 0, deadLettered: 4 });
    expect((await ledger.incident(a.id))?.feedback.map((f) => [f.verdict, f.source])).toEqual([
      ['false_positive', `kafka:${topic}`],
      ['true_positive', `kafka:${topic}`],
    ]);
    expect((await ledger.incident(a.id))?.verdict).toBe('true_positive');
    expect((await ledger.incident(b.id))?.verdict).toBe('false_positive');

    const letters = await read(dlq, 4);
    expect(letters.map((l) => [l.key, l.value.reason])).toEqual([
      [`${topic}-0-4`, expect.stringMatching(/^invalid JSON/)],
      [`${topic}-0-5`, expect.stringMatching(/^\/verdict: /)],
      [`${topic}-0-6`, 'unknown incident inc-ffffffffffffffffffffffff'],
      [`${topic}-0-7`, 'no value (a tombstone)'],
    ]);
    expect(letters[0]!.value).toMatchObject({ topic, partition: 0, offset: '4', raw: '{"incidentId": ', truncated: false });
    expect(letters[2]!.headers).toEqual({ 'alertgate-error': 'unknown incident inc-ffffffffffffffffffffffff', 'alertgate-source-topic': topic, 'alertgate-source-partition': '0', 'alertgate-source-offset': '6' });
  }, 60_000);

  it('continues after its committed offset when started again in the same group; without a dead-letter topic it skips and counts', async () => {
    const topic = await createTopic(uniqueTopic('feedback-restart'), 1);
    const ledger = await Ledger.open(parseLedgerLocation(join(tempDir(), 'ledger.sqlite')));
    stops.push(() => ledger.close());
    const incident = incidentRecord();
    await ledger.writeBatch(incidentsBatch([incident]));
    const groupId = uniqueGroup('feedback-restart');
    const start = () => KafkaFeedbackConsumer.start({ kafka: kafkaClient(), topic, groupId, ledger, log: pino({ level: 'silent' }), sessionTimeoutMs: 6000 });
    await produce(topic, [JSON.stringify({ incidentId: incident.id, verdict: 'false_positive', reason: 'one', analyst: 'a' }), 'not json']);
    const first = await start();
    await first.handled(2);
    expect(first.stats).toMatchObject({ recorded: 1, malformed: 1, deadLettered: 0 });
    await first.stop();

    await produce(topic, [JSON.stringify({ incidentId: incident.id, verdict: 'true_positive', reason: 'two', analyst: 'a' })]);
    const second = await start();
    stops.push(() => second.stop());
    await second.handled(1);
    expect(second.stats).toMatchObject({ received: 1, recorded: 1 });
    expect((await ledger.feedbackHistory(incident.id)).map((f) => f.reason)).toEqual(['one', 'two']);
  }, 60_000);

  it.skipIf(!postgresUrl())('a verdict with NUL in its text does not block the topic on a PostgreSQL ledger: it is dead-lettered, naming the field, and the verdicts after it are recorded', async () => {
    const topic = await createTopic(uniqueTopic('feedback-nul'), 1);
    const dlq = await createTopic(uniqueTopic('feedback-nul-dlq'), 1);
    const schemas: string[] = [];
    stops.push(() => dropSchemas(schemas));
    const ledger = await Ledger.open(freshLocation('postgres', schemas));
    stops.push(() => ledger.close());
    const [a, b] = [incidentRecord({ n: 1 }), incidentRecord({ n: 2 })];
    await ledger.writeBatch(incidentsBatch([a, b]));
    await produce(topic, [
      JSON.stringify({ incidentId: a.id, verdict: 'fp', reason: 'nul \u0000', analyst: 'soar' }),
      JSON.stringify({ incidentId: a.id, verdict: 'tp', reason: 'real', analyst: 'soar\ud800' }),
      JSON.stringify({ incidentId: b.id, verdict: 'fp', reason: 'the nightly scan', analyst: 'soar' }),
      JSON.stringify({ incidentId: a.id, verdict: 'tp', reason: 'it was the attacker', analyst: 'soar' }),
    ]);
    const consumer = await KafkaFeedbackConsumer.start({ kafka: kafkaClient(), topic, groupId: uniqueGroup('feedback-nul'), deadLetterTopic: dlq, ledger, log: pino({ level: 'silent' }), sessionTimeoutMs: 6000 });
    stops.push(() => consumer.stop());
    await consumer.handled(4);
    expect(consumer.stats).toMatchObject({ received: 4, recorded: 2, malformed: 2, deadLettered: 2 });
    expect((await ledger.incident(a.id))?.feedback.map((f) => f.reason)).toEqual(['it was the attacker']);
    expect((await ledger.incident(b.id))?.verdict).toBe('false_positive');
    const letters = await read(dlq, 2);
    expect(letters.map((l) => [l.key, l.value.reason])).toEqual([
      [`${topic}-0-0`, expect.stringMatching(/^\/reason: must not contain NUL/)],
      [`${topic}-0-1`, expect.stringMatching(/^\/analyst: must not contain a lone UTF-16 surrogate/)],
    ]);
  }, 60_000);
});
