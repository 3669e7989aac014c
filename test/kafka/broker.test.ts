import { logLevel, type Consumer, type EachMessagePayload, type Producer } from 'kafkajs';
import { afterEach, expect, it } from 'vitest';
import {
  createTopic,
  deleteTopics,
  describeKafka,
  describeManagedKafka,
  kafkaClient,
  startBroker,
  stopBroker,
  uniqueGroup,
  uniqueTopic,
} from './broker.js';

const PARTITIONS = 3;
const COUNT = 100;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

interface Received {
  partition: number;
  offset: bigint;
  seq: number;
}

/**
 * Runs a consumer group member on `topic` from the beginning and collects what it receives.
 * Registers its own cleanup.
 */
async function startCollecting(consumer: Consumer, topic: string) {
  const received: Received[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const distinctCount = () => new Set(received.map((r) => r.seq)).size;
  const eachMessage = async ({ partition, message }: EachMessagePayload) => {
    received.push({ partition, offset: BigInt(message.offset), seq: Number(message.value?.toString()) });
    for (const w of waiters.filter((w) => distinctCount() >= w.count)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const run = async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage });
  };

  // kafkajs restarts a crashed consumer only after a retriable error. A consumer that looks for
  // its group coordinator while the only broker is down gets "KafkaJSGroupCoordinatorNotFound:
  // Failed to find group coordinator", which is not retriable, and then stays stopped (kafkajs
  // issues #1445, #1630). A worker has to start it again itself, and so does this helper.
  let stopped = false;
  const restart = async (): Promise<void> => {
    while (!stopped) {
      try {
        await run();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 250)); // reconnect backoff
      }
    }
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart && !stopped) void restart();
  });
  cleanups.push(async () => {
    stopped = true;
    await consumer.disconnect();
  });
  await run();

  /** Resolves once `count` distinct messages arrived; rejects after `timeoutMs`. */
  const distinctAtLeast = (count: number, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      if (distinctCount() >= count) return resolve();
      const timer = setTimeout(() => reject(new Error(`only ${distinctCount()} of ${count} messages arrived`)), timeoutMs);
      waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  return { received, distinctAtLeast };
}

/** seq values of `received` per partition, in arrival order. */
function byPartition(received: Received[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const r of received) out.set(r.partition, [...(out.get(r.partition) ?? []), r.seq]);
  return out;
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describeKafka('real Kafka broker', () => {
  it('delivers 100 messages over 3 partitions to a consumer group, in order per partition', async () => {
    const topic = await createTopic(uniqueTopic('broker-order'), PARTITIONS);
    cleanups.push(() => deleteTopics(topic));
    const kafka = kafkaClient();

    const producer = kafka.producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    // Several produce requests, each a batch; message i goes to partition i % 3.
    for (let start = 0; start < COUNT; start += 10) {
      await producer.send({
        topic,
        acks: -1,
        messages: range(10).map((k) => ({
          partition: (start + k) % PARTITIONS,
          key: `key-${(start + k) % PARTITIONS}`,
          value: String(start + k),
        })),
      });
    }

    const groupId = uniqueGroup('broker-order');
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
    const { received, distinctAtLeast } = await startCollecting(consumer, topic);
    await distinctAtLeast(COUNT, 20_000);

    expect(received).toHaveLength(COUNT); // exactly once: one member, no rebalance
    const partitions = byPartition(received);
    expect([...partitions.keys()].sort()).toEqual(range(PARTITIONS));
    for (const [partition, seqs] of partitions) {
      expect(seqs).toEqual(range(COUNT).filter((i) => i % PARTITIONS === partition));
      const offsets = received.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)));
    }

    // The group committed what it consumed.
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(
      committed?.partitions.map((p) => [p.partition, p.offset]).sort((a, b) => Number(a[0]) - Number(b[0])),
    ).toEqual(range(PARTITIONS).map((p) => [p, String(range(COUNT).filter((i) => i % PARTITIONS === p).length)]));
  }, 30_000);
});

describeManagedKafka('real Kafka broker going away mid-stream', () => {
  it.each([
    ['a clean shutdown', false],
    ['a crash (SIGKILL)', true],
  ])('a producer and a consumer group ride out %s and a restart without losing a message', async (_how, kill) => {
    const topic = await createTopic(uniqueTopic('broker-restart'), PARTITIONS);
    cleanups.push(() => deleteTopics(topic));
    // Reconnect attempts while the broker is down: up to ~20 s in total.
    const resilient = { retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 30 }, connectionTimeout: 1000 };
    const kafka = kafkaClient(resilient);

    const consumer = kafka.consumer({
      groupId: uniqueGroup('broker-restart'),
      // After the outage kafkajs rejoins as a *new* member; the coordinator holds the rebalance
      // until the old member's session expires. 6 s is the broker's group.min.session.timeout.ms
      // (kafkajs' default of 30 s would stall consumption for ~30 s after a broker restart).
      sessionTimeout: 6_000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 500,
      retry: { initialRetryTime: 100, maxRetryTime: 1000, retries: 30 },
    });
    const { received, distinctAtLeast } = await startCollecting(consumer, topic);

    // The producer's own client records its errors, to show it did run into the outage.
    const producerErrors: string[] = [];
    const producerKafka = kafkaClient({
      ...resilient,
      clientId: 'alertgate-test-producer',
      logLevel: logLevel.ERROR,
      logCreator: () => (entry) => void producerErrors.push(String(entry.log.message)),
    });
    // Idempotent: a send retried across the restart must not write twice.
    const producer: Producer = producerKafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());

    const sent: number[] = [];
    const halfSent = deferred();
    const brokerStopped = deferred();

    // The stream: one message at a time, as a worker would. Half way through, the broker goes away
    // and the loop keeps sending: that send waits in kafkajs' retries until the broker is back.
    const stream = (async () => {
      for (const seq of range(COUNT)) {
        if (seq === COUNT / 2) {
          halfSent.resolve();
          await brokerStopped.promise;
        }
        await producer.send({ topic, acks: -1, messages: [{ key: `key-${seq % 7}`, value: String(seq) }] });
        sent.push(seq);
      }
    })();

    await halfSent.promise;
    await distinctAtLeast(1, 15_000); // the consumer is consuming before the outage
    await stopBroker({ kill });
    brokerStopped.resolve(); // next send goes out while the broker is down ...
    await startBroker(); // ... and is retried until it is back (start-broker waits until it serves)
    await stream;
    expect(sent).toEqual(range(COUNT));
    expect(producerErrors.filter((m) => /Connection error|ECONNREFUSED|Closed connection/i.test(m))).not.toEqual([]);

    // Nothing lost on the consumer's side (at-least-once: a batch may come twice after the restart).
    await distinctAtLeast(COUNT, 20_000);
    const distinct = new Set(received.map((r) => r.seq));
    expect([...distinct].sort((a, b) => a - b)).toEqual(range(COUNT));

    // And in the log itself: every message exactly once, in send order within its partition.
    const check = kafka.consumer({ groupId: uniqueGroup('broker-restart-check'), maxWaitTimeInMs: 500 });
    const log = await startCollecting(check, topic);
    await log.distinctAtLeast(COUNT, 15_000);
    expect(log.received).toHaveLength(COUNT);
    for (const seqs of byPartition(log.received).values()) {
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  }, 45_000);

  it('topics created right after a broker restart are served at once: createTopic waits for every partition\'s leader instead of failing on "does not host this topic-partition"', async () => {
    await stopBroker();
    await startBroker();
    const topics = await Promise.all(range(4).map((i) => createTopic(uniqueTopic(`after-restart-${i}`), 6)));
    cleanups.push(() => deleteTopics(...topics));
    // No retries: a partition its leader did not serve yet would fail the send.
    const producer = kafkaClient({ retry: { retries: 0 } }).producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    for (const topic of topics) {
      expect(await producer.send({ topic, acks: -1, messages: range(6).map((partition) => ({ partition, value: String(partition) })) })).toHaveLength(6);
    }
  }, 90_000);
});
