// bench/kafka: `alertgate run` on Kafka beside a raw kafkajs pass-through, on the same local broker and
// the same messages, in one run:
//   (a) pass-through: consume a topic and produce every message to another (acks -1, offsets committed
//       after the acks), no logic;
//   (b) alertgate, at-least-once: decide, produce decisions/incidents/dead letters, chunk records, commit;
//   (c) alertgate, exactly-once: the same in one Kafka transaction per chunk;
// throughput of each (alerts/s, first fetch to the last output acknowledged), the ratios b/a and c/a,
// and the alert → decision latency at a fixed offered rate (p50/p99), for both delivery modes.
// Uses KAFKA_BROKERS, or starts the project's broker (scripts/kafka.sh up, with the JVM's optimizing
// compiler on: the tests' broker runs C1 only, for a fast start) and stops it at the end.
// BENCH_KAFKA_ALERTS (400000), BENCH_RATE (10000), BENCH_SECONDS (20: the first BENCH_WARMUP_SECONDS,
// 5, are reported apart), BENCH_KAFKA_ONLY (throughput or latency: only that, for BENCH_DELIVERY,
// default at-least-once), BENCH_WORKER_FLAGS (node flags for the worker, e.g. --cpu-prof).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { mulberry32, pick } from '../scripts/prng.mjs';
import { generateAlerts } from './generated-alerts.mjs';
import { useFastGzip } from '../dist/kafka/compression.js';
import { broker } from './kafka-broker.mjs';

const { Kafka, logLevel, CompressionTypes } = kafkajs;
const repo = join(import.meta.dirname, '..');
const bin = join(repo, 'bin', 'alertgate.js');
const ALERTS = Number(process.env.BENCH_KAFKA_ALERTS ?? 400_000);
const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const MAX_REQUEST_BYTES = 512 * 1024;

const { brokers, stop: stopBroker } = broker();
const kafka = new Kafka({ clientId: 'alertgate-bench', brokers, logLevel: logLevel.NOTHING });
const run = `bench-${Date.now().toString(36)}`;
const admin = kafka.admin();
await admin.connect();

async function createTopics(...topics) {
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
}

/** Sum of the topic's end offsets: how many records it holds. */
async function recordsIn(topic) {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}

async function waitUntil(check, what, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench/kafka: ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The throughput input: generated alerts (all valid: every one gets a decision) in a topic of one partition. */
async function produceInput() {
  const dataDir = join(import.meta.dirname, '.data');
  mkdirSync(dataDir, { recursive: true });
  const inputFile = join(dataDir, `replay-${ALERTS}.ndjson`);
  if (!existsSync(inputFile)) {
    console.error(`generating ${ALERTS} alerts into ${inputFile} ...`);
    await generateAlerts(inputFile, ALERTS);
  }
  const topic = `${run}-alerts`;
  await createTopics(topic);
  const produced = spawnSync(process.execPath, [bin, 'produce', '--input', inputFile, '--topic', topic, '--brokers', brokers.join(',')], { encoding: 'utf8' });
  if (produced.status !== 0) throw new Error(produced.stderr);
  const count = Number(/^sent (\d+)/.exec(produced.stdout)[1]);
  console.log(`input: ${count} alerts (${(statSync(inputFile).size / 1e6).toFixed(1)} MB) from ${inputFile}, 1 partition; brokers ${brokers.join(',')}`);
  return { topic, count };
}

/** (a) consume → produce each message unchanged → commit after the acks; with the given compression. */
async function passThrough({ topic: input, count }, compression) {
  const copy = `${run}-copy-${Math.random().toString(36).slice(2, 6)}`;
  await createTopics(copy);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: copy, maxWaitTimeInMs: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  let seen = 0;
  let started;
  consumer.on(consumer.events.GROUP_JOIN, () => (started = Date.now()));
  const ms = await new Promise((resolve) => {
    consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        let chunk = [];
        let bytes = 0;
        for (const m of batch.messages) {
          if (bytes + m.value.length > MAX_REQUEST_BYTES && chunk.length > 0) {
            await producer.sendBatch({ acks: -1, compression, topicMessages: [{ topic: copy, messages: chunk }] });
            chunk = [];
            bytes = 0;
          }
          chunk.push({ key: m.key, value: m.value });
          bytes += m.value.length;
        }
        if (chunk.length > 0) await producer.sendBatch({ acks: -1, compression, topicMessages: [{ topic: copy, messages: chunk }] });
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await commitOffsetsIfNecessary({ topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: String(BigInt(batch.lastOffset()) + 1n) }] }] });
        seen += batch.messages.length;
        if (seen >= count) resolve(Date.now() - started);
      },
    });
  });
  await consumer.disconnect();
  await producer.disconnect();
  return { ms, rate: Math.round((count * 1000) / ms) };
}

/** Starts `alertgate run` on `topics`; resolves once it has taken the partitions over. */
async function startWorker(name, topics, delivery) {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-bench-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      rules: join(repo, 'rules'),
      http: { port: 0 },
      log: { level: 'info' },
      kafka: { brokers, groupId: `${run}-${name}`, delivery, topics, createTopics: { enabled: true } },
    }),
  );
  const child = spawn(process.execPath, [...(process.env.BENCH_WORKER_FLAGS ?? '').split(' ').filter(Boolean), bin, 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  await waitUntil(async () => log.includes('"msg":"took over the input partitions"'), 'the worker did not take over');
  const takenOverAt = Number(/"time":(\d+)[^\n]*"msg":"took over the input partitions"/.exec(log)[1]);
  const url = /"url":"([^"]+)"/.exec(log)[1];
  return {
    takenOverAt,
    rssMB: async () => Math.round(Number(/^process_resident_memory_bytes (\S+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]) / 1e6),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** (b), (c): the worker over the whole input, until every decision is on the broker. */
async function worker({ topic: input, count }, delivery) {
  const name = delivery === 'exactly-once' ? 'eos' : 'alo';
  const topics = { input: [input], decisions: `${run}-${name}-decisions`, incidents: `${run}-${name}-incidents`, deadLetters: `${run}-${name}-dead-letters` };
  const w = await startWorker(name, topics, delivery);
  let doneAt;
  await waitUntil(async () => (await recordsIn(topics.decisions)) >= count && (doneAt = Date.now()), 'not every decision arrived');
  const rssMB = await w.rssMB();
  await w.stop();
  const ms = doneAt - w.takenOverAt;
  return { ms, rate: Math.round((count * 1000) / ms), rssMB };
}

/** Offers alerts at RATE/s in 10 ms ticks for SECONDS; per alert, the time from its produce to its decision's arrival. */
async function latency(delivery) {
  const name = `lat-${delivery === 'exactly-once' ? 'eos' : 'alo'}`;
  const topics = { input: [`${run}-${name}-alerts`], decisions: `${run}-${name}-decisions`, incidents: `${run}-${name}-incidents`, deadLetters: `${run}-${name}-dead-letters` };
  await createTopics(topics.input[0], topics.decisions);
  const w = await startWorker(name, topics, delivery);
  const sentAt = new Map();
  /** Per alert sent after the warm-up: its latency; per second of sending: the worst. */
  const latencies = [];
  const worstBySecond = [];
  let received = 0;
  let started = 0;
  const total = RATE * SECONDS;
  const consumer = kafka.consumer({ groupId: `${run}-${name}-reader`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.decisions], fromBeginning: true });
  let joined;
  const readerJoined = new Promise((r) => (joined = r));
  consumer.on(consumer.events.GROUP_JOIN, () => joined());
  const allDecided = new Promise((resolve) => {
    consumer.run({
      eachBatch: async ({ batch }) => {
        const now = performance.now();
        for (const m of batch.messages) {
          const sent = sentAt.get(m.key.toString());
          if (sent === undefined) continue;
          received++;
          const second = Math.floor((sent - started) / 1000);
          worstBySecond[second] = Math.max(worstBySecond[second] ?? 0, Math.round(now - sent));
          if (second >= WARMUP_SECONDS) latencies.push(now - sent);
        }
        if (received >= total) resolve();
      },
    });
  });
  await readerJoined;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const random = mulberry32(11);
  const TICK_MS = 10;
  const perTick = Math.round((RATE * TICK_MS) / 1000);
  started = performance.now();
  let sent = 0;
  for (let tick = 0; sent < total; tick++) {
    const wait = started + tick * TICK_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const messages = [];
    for (let i = 0; i < perTick && sent < total; i++, sent++) {
      const id = `${run}-${name}-${sent}`;
      messages.push({
        key: id,
        value: JSON.stringify({
          id,
          time: new Date().toISOString(),
          source: 'ids',
          name: pick(random, ['ET POLICY curl User-Agent', 'ET SCAN Nmap', 'sshd: authentication failed', 'ET EXPLOIT attempt']),
          severity: pick(random, ['low', 'low', 'medium', 'high']),
          category: pick(random, ['policy', 'recon', 'unauthorized-access']),
          entities: { src_ip: `198.51.100.${Math.floor(random() * 250)}`, host: `host-${Math.floor(random() * 200)}` },
        }),
      });
    }
    const at = performance.now();
    for (const m of messages) sentAt.set(m.key, at);
    await producer.send({ topic: topics.input[0], acks: -1, messages });
  }
  const offeredMs = performance.now() - started;
  await allDecided;
  await producer.disconnect();
  await consumer.disconnect();
  await w.stop();
  latencies.sort((a, b) => a - b);
  const q = (p) => Number(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1));
  const warmupMax = Math.max(...worstBySecond.slice(0, WARMUP_SECONDS));
  return { achieved: Math.round((total * 1000) / offeredMs), p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1), warmupMax, worstBySecond };
}

/** Latency figures in words: steady state after the warm-up, and the warm-up's worst. */
function latencyLine(l, delivery) {
  return (
    `alert → decision at ${RATE}/s offered (${l.achieved}/s achieved) for ${SECONDS} s, ${delivery}: after the first ${WARMUP_SECONDS} s p50 ${l.p50} ms, p90 ${l.p90} ms, ` +
    `p99 ${l.p99} ms${delivery === 'at-least-once' ? ' (target < 50)' : ''}, max ${l.max} ms; worst in the first ${WARMUP_SECONDS} s ${l.warmupMax} ms`
  );
}

/** Everything, in one run: the baseline (both compressions), both delivery modes, both latencies. */
async function all() {
  // The baseline gets the same fast gzip as the worker, and is measured with and without it: the
  // ratio is taken against the faster of the two.
  const input = await produceInput();
  const plain = await passThrough(input, CompressionTypes.None);
  const gzipped = await passThrough(input, CompressionTypes.GZIP);
  const base = plain.rate >= gzipped.rate ? plain : gzipped;
  const alo = await worker(input, 'at-least-once');
  const eos = await worker(input, 'exactly-once');
  console.log(`(a) kafkajs pass-through (consume → produce → commit):      ${plain.rate} alerts/s uncompressed (${plain.ms} ms), ${gzipped.rate} alerts/s gzip (${gzipped.ms} ms)`);
  console.log(`(b) alertgate run, at-least-once (decide, produce, commit): ${alo.rate} alerts/s (${alo.ms} ms), RSS ${alo.rssMB} MB; b/a = ${(alo.rate / base.rate).toFixed(2)} (target ≥ 0.7)`);
  console.log(`(c) alertgate run, exactly-once (one transaction a chunk):  ${eos.rate} alerts/s (${eos.ms} ms), RSS ${eos.rssMB} MB; c/a = ${(eos.rate / base.rate).toFixed(2)}`);
  const latAlo = await latency('at-least-once');
  console.log(latencyLine(latAlo, 'at-least-once'));
  const latEos = await latency('exactly-once');
  console.log(latencyLine(latEos, 'exactly-once'));
  console.log(`(worst latency by second of sending, at-least-once: ${latAlo.worstBySecond.join(' ')}; exactly-once: ${latEos.worstBySecond.join(' ')})`);
  const summary = ({ worstBySecond, ...l }) => l;
  console.log(
    JSON.stringify({ bench: 'kafka', alerts: input.count, passThroughPerSec: plain.rate, passThroughGzipPerSec: gzipped.rate, atLeastOncePerSec: alo.rate, exactlyOncePerSec: eos.rate, ratio: Number((alo.rate / base.rate).toFixed(2)), latencyAtLeastOnce: summary(latAlo), latencyExactlyOnce: summary(latEos) }),
  );
}

try {
  useFastGzip();
  const only = process.env.BENCH_KAFKA_ONLY;
  const delivery = process.env.BENCH_DELIVERY ?? 'at-least-once';
  if (only === undefined) await all();
  else if (only === 'throughput') console.log(JSON.stringify({ bench: 'kafka-throughput', delivery, ...(await worker(await produceInput(), delivery)) }));
  else if (only === 'latency') console.log(latencyLine(await latency(delivery), delivery));
  else throw new Error(`BENCH_KAFKA_ONLY is throughput or latency, not ${only}`);
} finally {
  await admin.disconnect();
  stopBroker();
}
