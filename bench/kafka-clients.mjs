// bench/kafka-clients: the worker's consume → decide → produce loop on three Kafka clients, side by side,
// in one run on the same local broker and the same messages (issue #14, section 2):
//   kafkajs 2.2.4 as alertgate loads it (src/kafka/kafkajs.ts: with the linear message grouping),
//   @platformatic/kafka (pure JavaScript), @confluentinc/kafka-javascript (librdkafka, its KafkaJS API).
// Per client, two loops over the same input topic (generated alerts, one partition):
//   pass-through: consume a batch, produce every message unchanged to another topic, commit after the acks;
//   decide: consume a batch, run it through alertgate's pipeline (ChunkProcessor, the starter rules, the
//           same code the worker runs), produce its decisions and incidents, commit after the acks.
// Both on the main thread, uncompressed, acks -1, one batch in flight; alerts/s from the first message to
// the last batch committed, and the ratio to kafkajs' pass-through. With BENCH_CLIENTS_LATENCY=1 (the
// default), also alert → decision latency of each decide loop at BENCH_RATE alerts/s offered.
// A client that is not installed is reported with the reason and skipped: they are not dependencies
// of alertgate (see docs/kafka.md, "Kafka clients compared", for how each was installed).
// BENCH_KAFKA_ALERTS (100000), BENCH_CLIENTS (kafkajs,platformatic,confluent), BENCH_RATE (10000),
// BENCH_SECONDS (15), BENCH_WARMUP_SECONDS (5).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { Kafka as KafkaJs, CompressionTypes, logLevel } from '../dist/kafka/kafkajs.js';
import { loadRules } from '../dist/rules/load.js';
import { createNormalizer } from '../dist/normalize/index.js';
import { ChunkProcessor } from '../dist/worker/chunk-processor.js';
import { benchBroker, createTopics, produceInput } from './kafka-broker.mjs';
import { offerAndMeasure, OFFERED, RATE, SECONDS, WARMUP_SECONDS } from './kafka-latency.mjs';

const ALERTS = Number(process.env.BENCH_KAFKA_ALERTS ?? 100_000);
const CLIENTS = (process.env.BENCH_CLIENTS ?? 'kafkajs,platformatic,confluent').split(',');
const LATENCY = (process.env.BENCH_CLIENTS_LATENCY ?? '1') !== '0';
const MAX_REQUEST_BYTES = 512 * 1024;
const STALL_MS = 60_000;

/**
 * A client package and its version, from the repository's node_modules or else BENCH_CLIENTS_DIR's (a
 * directory where it was installed with `npm install --no-save`); throws the resolver's error if neither has it.
 */
async function importClient(name) {
  const dirs = [join(import.meta.dirname, '..'), ...(process.env.BENCH_CLIENTS_DIR ? [process.env.BENCH_CLIENTS_DIR] : [])];
  let error;
  for (const dir of dirs) {
    let path;
    try {
      path = createRequire(join(dir, 'package.json')).resolve(name);
    } catch (err) {
      error = err;
      continue;
    }
    const root = path.slice(0, path.lastIndexOf(join('node_modules', name)) + join('node_modules', name).length);
    return { version: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version, m: await import(pathToFileURL(path).href) };
  }
  throw error;
}

const { brokers, stop: stopBroker } = benchBroker();
const kafka = new KafkaJs({ clientId: 'alertgate-bench-clients', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const run = `bench-clients-${Date.now().toString(36)}`;
const rules = await loadRules(join(import.meta.dirname, '..', 'rules'));
if (!rules.ok) throw new Error('bench/kafka-clients: the starter rules do not load');

/** Output messages split into requests of at most MAX_REQUEST_BYTES (the broker's limit is 1 MB per batch). */
function requests(messages) {
  const out = [];
  let current = [];
  let bytes = 0;
  for (const m of messages) {
    if (bytes + m.value.length > MAX_REQUEST_BYTES && current.length > 0) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += m.value.length;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** {topic, key, value}[] → kafkajs' topicMessages. */
function byTopic(messages) {
  const topics = new Map();
  for (const { topic, key, value } of messages) {
    if (!topics.has(topic)) topics.set(topic, []);
    topics.get(topic).push({ key, value });
  }
  return [...topics].map(([topic, list]) => ({ topic, messages: list }));
}

/**
 * The clients, each as `loop({input, groupId, handle, until})`: consumes `input` from the beginning in
 * batches of whatever the client fetched, produces `handle(batch)` ({topic, key, value}[]; the batch is
 * {key, value: Buffer, offset: string}[]), waits for the acks, commits; until `until(seen)`; resolves
 * with the ms from its first message to the last commit. `load()` throws when it is not installed.
 */
const clients = {
  kafkajs: {
    load: () => importClient('kafkajs'),
    loop: async ({ input, groupId, handle, until }) => {
      // A client of its own, as the other clients' loops have (the harness' reader and producer use `kafka`).
      const client = new KafkaJs({ clientId: groupId, brokers, logLevel: logLevel.NOTHING });
      const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const consumer = client.consumer({ groupId, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topics: [input], fromBeginning: true });
      let seen = 0;
      let first;
      const ms = await new Promise((resolve) => {
        consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset }) => {
            first ??= performance.now();
            for (const request of requests(handle(batch.messages))) {
              await producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages: byTopic(request) });
            }
            // Unresolved, the batch would be fetched again.
            resolveOffset(batch.lastOffset());
            await consumer.commitOffsets([{ topic: input, partition: batch.partition, offset: String(BigInt(batch.lastOffset()) + 1n) }]);
            seen += batch.messages.length;
            if (until(seen)) resolve(performance.now() - first);
          },
        });
      });
      await consumer.disconnect();
      await producer.disconnect();
      return ms;
    },
  },
  platformatic: {
    load: () => importClient('@platformatic/kafka'),
    loop: async ({ input, groupId, handle, until }, { m }) => {
      const producer = new m.Producer({ clientId: `${groupId}-producer`, bootstrapBrokers: brokers, idempotent: true, acks: -1 });
      const consumer = new m.Consumer({ clientId: `${groupId}-consumer`, groupId, bootstrapBrokers: brokers, autocommit: false, maxWaitTime: 100 });
      const stream = await consumer.consume({ topics: [input], mode: m.MessagesStreamModes.EARLIEST });
      let seen = 0;
      let first;
      const ms = await new Promise((resolve, reject) => {
        let busy = false;
        const drain = async () => {
          if (busy) return;
          busy = true;
          try {
            for (;;) {
              const batch = [];
              for (let message = stream.read(); message !== null; message = batch.length < 5000 ? stream.read() : null) batch.push(message);
              if (batch.length === 0) break;
              first ??= performance.now();
              const messages = batch.map((x) => ({ key: x.key, value: x.value, offset: String(x.offset) }));
              for (const request of requests(handle(messages))) await producer.send({ messages: request });
              const last = batch[batch.length - 1];
              await consumer.commit({ offsets: [{ topic: last.topic, partition: last.partition, offset: last.offset, leaderEpoch: 0 }] });
              seen += batch.length;
              if (until(seen)) return resolve(performance.now() - first);
            }
          } catch (err) {
            reject(err);
          } finally {
            busy = false;
          }
        };
        stream.on('readable', drain);
        stream.on('error', reject);
      });
      await stream.close();
      await consumer.close();
      await producer.close();
      return ms;
    },
  },
  confluent: {
    load: () => importClient('@confluentinc/kafka-javascript'),
    loop: async ({ input, groupId, handle, until }, { m }) => {
      const { KafkaJS } = m.default ?? m;
      const client = new KafkaJS.Kafka({ kafkaJS: { brokers, logLevel: KafkaJS.logLevel.NOTHING } });
      const producer = client.producer({ kafkaJS: { idempotent: true, acks: -1, compression: KafkaJS.CompressionTypes.None }, 'linger.ms': 1 });
      await producer.connect();
      const consumer = client.consumer({ kafkaJS: { groupId, fromBeginning: true, autoCommit: false, maxWaitTimeInMs: 100 }, 'js.consumer.max.batch.size': -1, 'fetch.wait.max.ms': 100 });
      await consumer.connect();
      await consumer.subscribe({ topics: [input] });
      let seen = 0;
      let first;
      const ms = await new Promise((resolve) => {
        consumer.run({
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, resolveOffset }) => {
            first ??= performance.now();
            // librdkafka splits the messages into requests itself.
            await producer.sendBatch({ topicMessages: byTopic(handle(batch.messages)) });
            resolveOffset(batch.messages[batch.messages.length - 1].offset);
            await consumer.commitOffsets([{ topic: input, partition: batch.partition, offset: String(BigInt(batch.messages[batch.messages.length - 1].offset) + 1n) }]);
            seen += batch.messages.length;
            if (until(seen)) resolve(performance.now() - first);
          },
        });
      });
      await consumer.disconnect();
      await producer.disconnect();
      return ms;
    },
  },
};

/** A fresh pipeline (the starter rules, canonical input) and the batch → its outputs as {topic, key, value}. */
function decider(topics) {
  const processor = new ChunkProcessor({ ruleset: rules.ruleset, normalize: createNormalizer({ format: 'canonical' }), maxLineBytes: 1 << 20, topics, log: pino({ level: 'silent' }) }, [{ topic: 'input', partition: 0 }]);
  return (batch) =>
    processor
      .process(batch.map((message) => ({ source: 0, message: { offset: message.offset, timestamp: '0', value: message.value } })))
      .topicMessages()
      .flatMap(({ topic, messages }) => messages.map(({ key, value }) => ({ topic, key: Buffer.from(key), value: Buffer.from(value) })));
}

async function outputTopics(name) {
  const topics = { decisions: `${run}-${name}-decisions`, incidents: `${run}-${name}-incidents`, deadLetters: `${run}-${name}-dead-letters` };
  await createTopics(admin, topics.decisions, topics.incidents, topics.deadLetters);
  return topics;
}

/**
 * Runs a client's loop; fails when it makes no progress for STALL_MS (a client that hangs is reported
 * as such, not waited for: its consumer is left behind, the process exits at the end).
 */
async function watched(client, loaded, { until, ...options }) {
  let progressAt = performance.now();
  let timer;
  const stalled = new Promise((_, reject) => {
    timer = setInterval(() => performance.now() - progressAt > STALL_MS && reject(new Error(`no progress for ${STALL_MS / 1000} s`)), 1000);
  });
  const tracked = (seen) => ((progressAt = performance.now()), until(seen));
  try {
    return await Promise.race([client.loop({ ...options, until: tracked }, loaded), stalled]);
  } finally {
    clearInterval(timer);
  }
}

async function throughput(name, client, loaded, input) {
  const copy = `${run}-${name}-copy`;
  await createTopics(admin, copy);
  const until = (seen) => seen >= input.count;
  const passMs = await watched(client, loaded, { input: input.topic, groupId: `${run}-${name}-pass`, handle: (batch) => batch.map(({ key, value }) => ({ topic: copy, key, value })), until });
  const decideMs = await watched(client, loaded, { input: input.topic, groupId: `${run}-${name}-decide`, handle: decider(await outputTopics(`${name}-decide`)), until });
  return { pass: Math.round((input.count * 1000) / passMs), decide: Math.round((input.count * 1000) / decideMs) };
}

/** The decide loop on a live topic at BENCH_RATE alerts/s offered: alert → decision latency. */
async function latency(name, client, loaded) {
  const input = `${run}-${name}-live`;
  await createTopics(admin, input);
  const topics = await outputTopics(`${name}-live`);
  const loop = watched(client, loaded, { input, groupId: `${run}-${name}-live`, handle: decider(topics), until: (seen) => seen >= OFFERED + 1 });
  const measured = await offerAndMeasure({ kafka, input, decisions: topics.decisions, name: `${run}-${name}` });
  await loop;
  return measured;
}

const results = [];
try {
  const input = await produceInput(admin, brokers, `${run}-alerts`, ALERTS);
  for (const name of CLIENTS) {
    const client = clients[name];
    if (!client) throw new Error(`BENCH_CLIENTS: no client ${name} (${Object.keys(clients).join(', ')})`);
    let loaded;
    try {
      loaded = await client.load();
    } catch (err) {
      results.push({ client: name, notMeasured: `not installed: ${err.message.split('\n')[0]}` });
      continue;
    }
    try {
      const t = await throughput(name, client, loaded, input);
      const l = LATENCY ? await latency(name, client, loaded) : undefined;
      results.push({ client: name, version: loaded.version, passThroughPerSec: t.pass, decidePerSec: t.decide, ...(l ? { latency: { p50: l.p50, p99: l.p99, max: l.max, achieved: l.achieved } } : {}) });
    } catch (err) {
      results.push({ client: name, version: loaded.version, notMeasured: `failed: ${err.message.split('\n')[0]}` });
    }
  }
  const base = results.find((r) => r.client === 'kafkajs' && r.passThroughPerSec)?.passThroughPerSec;
  for (const r of results) {
    if (r.notMeasured) {
      console.log(`${r.client}${r.version ? ` ${r.version}` : ''}: not measured (${r.notMeasured})`);
      continue;
    }
    const ratio = (x) => (base ? (x / base).toFixed(2) : '?');
    console.log(
      `${r.client} ${r.version}: pass-through ${r.passThroughPerSec} alerts/s (${ratio(r.passThroughPerSec)} of kafkajs'), consume → decide → produce ${r.decidePerSec} alerts/s (${ratio(r.decidePerSec)})` +
        (r.latency ? `; at ${RATE}/s offered for ${SECONDS} s, after the first ${WARMUP_SECONDS} s: p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms` : ''),
    );
  }
  for (const r of results) console.log(JSON.stringify({ bench: 'kafka-clients', alerts: input.count, ...r }));
} finally {
  await admin.disconnect();
  stopBroker();
}
// A client that hung keeps its connections open.
process.exit(0);
