/**
 * The producer thread (see producer-thread.ts): a kafkajs producer and an OutputSender, driven by
 * messages from the decider's thread. Encoding records and compressing them costs about as much CPU
 * as deciding them; here it runs beside the decide loop, on the other core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { clientOptions, producerOptions } from '../../kafka/client-options.js';
import { COMPRESSION_TYPES, useFastGzip } from '../../kafka/compression.js';
import { Kafka } from '../../kafka/kafkajs.js';
import { RenewingProducer } from '../../kafka/renewing-producer.js';
import { OutputSender, offsetsOf } from './output-sender.js';
import type { TopicMessages } from 'kafkajs';
import type { FromProducer, ProducerStats, ProducerThreadConfig, SendTerm, ToProducer } from './producer-thread.js';

const config = workerData as ProducerThreadConfig;
const port = parentPort!;
const log = pino({ level: config.logLevel, base: { service: 'alertgate', thread: 'producer' } }, pino.destination({ dest: 2, sync: false }));
if (config.compression === 'gzip') useFastGzip();
const kafka = new Kafka(clientOptions(config.connection, log));
// Renewed when the broker refuses its sequence numbers: before a send's retry (OutputSender's
// beforeRetry), and after a failed transaction is aborted (the decider then sends it again whole).
const producer = new RenewingProducer(() => kafka.producer(producerOptions({ producer: { idempotent: config.idempotent } }, config.transactionalId)), log);
const sender = new OutputSender(producer, {
    acks: config.acks,
    compression: COMPRESSION_TYPES[config.compression],
    maxRequestBytes: config.maxRequestBytes,
    log,
    beforeRetry: async (err) => void (await producer.renewIfStateLost(err)),
    // The decider's thread hears at once that sends fail (its /readyz), not only with the next answer.
    onFailingChange: () => port.postMessage({ type: 'status', stats: stats() }),
});
/** By state partition: sends of terms at or below this are given up (the decider lost the partition). */
const cancelledThrough = new Map<number, number>();
const cancelled = ({ statePartition, epoch }: SendTerm) => epoch <= (cancelledThrough.get(statePartition) ?? -1);

const stats = (): ProducerStats => ({ requests: sender.requests, retries: sender.retries, splits: sender.splits, failing: sender.failing });
const reply = (message: FromProducer) => port.postMessage({ ...message, stats: stats() });

async function handle(message: ToProducer): Promise<void> {
  if (message.type === 'cancel') {
    const { statePartition, epoch } = message.term;
    cancelledThrough.set(statePartition, Math.max(cancelledThrough.get(statePartition) ?? -1, epoch));
    return;
  }
  try {
    if (message.type === 'connect') {
      await producer.connect();
      reply({ type: 'done', id: message.id });
      return;
    }
    if (message.type === 'disconnect') {
      await producer.disconnect();
      reply({ type: 'done', id: message.id });
      log.flush();
      return;
    }
    if (message.type === 'send') {
      waiting.push(message);
      void sendWaiting();
    } else if (message.type === 'transaction') {
      const transaction = await producer.transaction();
      try {
        const sent = await sender.send(revive(message.topicMessages), message.context, () => false, transaction);
        const statePartition = message.term.statePartition;
        const stateOffsets = offsetsOf(config.stateTopic, statePartition, sent);
        const { consumerGroupId, positions, statePointer, pointerAtCheckpoint } = message.offsets;
        const stateTopic = config.stateTopic;
        // A checkpoint in this transaction is where a recovery starts reading from now on.
        const firstPart = pointerAtCheckpoint ? stateOffsets[pointerAtCheckpoint.index] : undefined;
        const pointer = firstPart ?? statePointer;
        const byTopic = new Map<string, { partition: number; offset: string }[]>();
        for (const [topic, partition, offset] of positions) {
          if (!byTopic.has(topic)) byTopic.set(topic, []);
          byTopic.get(topic)!.push({ partition, offset: String(offset) });
        }
        if (pointer !== undefined) byTopic.set(stateTopic, [{ partition: statePartition, offset: String(pointer) }]);
        await transaction.sendOffsets({ consumerGroupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
        await transaction.commit();
        reply({ type: 'sent', id: message.id, stateOffsets, statePointer: pointer });
      } catch (err) {
        await transaction.abort().catch(() => undefined);
        await producer.renewIfStateLost(err);
        throw err;
      }
    }
  } catch (err) {
    const e = err as { message?: string; name?: string; type?: string };
    reply({ type: 'failed', id: message.id, error: { message: String(e.message ?? err), name: e.name, type: e.type } });
  }
}

type SendMessage = Extract<ToProducer, { type: 'send' }>;
/** Sends that came while a request was in flight: they go out together in the next one. */
const waiting: SendMessage[] = [];
let sending = false;

/**
 * One request at a time: kafkajs' idempotent producer stalled when sends of several deciders (sharded
 * deciders, the router) overlapped. What came meanwhile goes out as one request (each sender's
 * messages in their order), which is also fewer round trips; each sender gets the offsets of its own
 * state partition's messages. It is tried again while any of its senders' terms stands.
 */
async function sendWaiting(): Promise<void> {
  if (sending) return;
  sending = true;
  try {
    while (waiting.length > 0) {
      const batch = waiting.splice(0);
      try {
        const sent = await sender.send(merged(batch), { chunks: batch.flatMap((m) => m.context.chunks) }, () => batch.some((m) => !cancelled(m.term)));
        for (const m of batch) reply({ type: 'sent', id: m.id, stateOffsets: offsetsOf(config.stateTopic, m.term.statePartition, sent) });
      } catch (err) {
        const e = err as { message?: string; name?: string; type?: string };
        for (const m of batch) reply({ type: 'failed', id: m.id, error: { message: String(e.message ?? err), name: e.name, type: e.type } });
      }
    }
  } finally {
    sending = false;
  }
}

/** One entry per topic (kafkajs keys a request's topics by name), messages in the order they were sent. */
function merged(batch: readonly SendMessage[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages['messages']>();
  for (const { topicMessages } of batch) {
    for (const { topic, messages } of revive(topicMessages)) {
      const list = byTopic.get(topic);
      if (list) list.push(...messages);
      else byTopic.set(topic, [...messages]);
    }
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** Buffers arrive as Uint8Arrays (structured clone); kafkajs wants Buffers. */
function revive(topicMessages: TopicMessages[]): TopicMessages[] {
  for (const { messages } of topicMessages) {
    for (const m of messages) {
      const value = m.value as unknown;
      if (value instanceof Uint8Array && !Buffer.isBuffer(value)) m.value = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    }
  }
  return topicMessages;
}

port.on('message', (message: ToProducer) => void handle(message));
