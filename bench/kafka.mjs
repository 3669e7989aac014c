// bench/kafka: `alertgate run` on Kafka beside a raw kafkajs pass-through, on the same local broker and
// the same messages, in one run:
//   (a) pass-through: consume a topic and produce every message to another (acks -1, offsets committed
//       after the acks), no logic;
//   (b) alertgate, at-least-once: decide, produce decisions/incidents/dead letters, chunk records, commit;
//   (b') the same with `outputs.explanations: compact` (docs/outputs.md);
//   (c) alertgate, exactly-once: the same in one Kafka transaction per chunk;
// throughput of each (alerts/s, first fetch to the last output acknowledged), the ratios b/a and c/a,
// and the alert → decision latency at a fixed offered rate (p50/p99), for each and for (a) (bench/kafka-latency.mjs).
// Uses KAFKA_BROKERS, or starts the project's broker (bench/kafka-broker.mjs) and stops it at the end.
// BENCH_KAFKA_ALERTS (400000), BENCH_RATE (10000), BENCH_SECONDS (20: the first BENCH_WARMUP_SECONDS,
// 5, are reported apart), BENCH_KAFKA_ONLY (throughput or latency: only that, for BENCH_DELIVERY,
// default at-least-once, or pass-through for the latency of (a), and BENCH_EXPLANATIONS, default full), BENCH_WORKER_FLAGS (node flags for the worker, e.g. --cpu-prof),
// BENCH_INCIDENT_INTERVAL_MS (kafka.incidentUpdateIntervalMs of the at-least-once workers; default 0, every chunk).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { offerAndMeasure, OFFERED, RATE, SECONDS, WARMUP_SECONDS } from './kafka-latency.mjs';
import { benchBroker, bin, createTopics as createTopicsWith, produceInput as produceInputWith, waitUntil } from './kafka-broker.mjs';
import { useFastGzip } from '../dist/kafka/compression.js';

const INCIDENT_INTERVAL_MS = Number(process.env.BENCH_INCIDENT_INTERVAL_MS ?? 0);

const { Kafka, logLevel, CompressionTypes } = kafkajs;
const repo = join(import.meta.dirname, '..');
const ALERTS = Number(process.env.BENCH_KAFKA_ALERTS ?? 400_000);
const MAX_REQUEST_BYTES = 512 * 1024;

const { brokers, stop: stopBroker } = benchBroker();
const kafka = new Kafka({ clientId: 'alertgate-bench', brokers, logLevel: logLevel.NOTHING });
const run = `bench-${Date.now().toString(36)}`;
const admin = kafka.admin();
await admin.connect();

const createTopics = (...topics) => createTopicsWith(admin, ...topics);

/** Sum of the topic's end offsets: how many records it holds. */
async function recordsIn(topic) {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}

/** The throughput input: generated alerts in a topic of one partition. */
const produceInput = () => produceInputWith(admin, brokers, `${run}-alerts`, ALERTS);

/**
 * (a) consume → produce each message unchanged to `copy` → commit after the acks; with the given
 * compression; resolves once `count` messages are through.
 */
async function passThrough({ topic: input, count }, compression, copy = `${run}-copy-${Math.random().toString(36).slice(2, 6)}`) {
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
async function startWorker(name, topics, delivery, explanations) {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-bench-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      rules: join(repo, 'rules'),
      http: { port: 0 },
      log: { level: 'info' },
      outputs: { explanations },
      kafka: { brokers, groupId: `${run}-${name}`, delivery, topics, createTopics: { enabled: true }, ...(delivery === 'at-least-once' ? { incidentUpdateIntervalMs: INCIDENT_INTERVAL_MS } : {}) },
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

/** A run's name: its delivery and, when compact, its explanations (outputs.explanations). */
const variant = (delivery, explanations) => `${delivery === 'exactly-once' ? 'eos' : 'alo'}${explanations === 'compact' ? '-compact' : ''}`;

/** (b), (c): the worker over the whole input, until every decision is on the broker. */
async function worker({ topic: input, count }, delivery, explanations = 'full') {
  const name = variant(delivery, explanations);
  const topics = { input: [input], decisions: `${run}-${name}-decisions`, incidents: `${run}-${name}-incidents`, deadLetters: `${run}-${name}-dead-letters` };
  const w = await startWorker(name, topics, delivery, explanations);
  let doneAt;
  await waitUntil(async () => (await recordsIn(topics.decisions)) >= count && (doneAt = Date.now()), 'not every decision arrived');
  const rssMB = await w.rssMB();
  await w.stop();
  const ms = doneAt - w.takenOverAt;
  return { ms, rate: Math.round((count * 1000) / ms), rssMB };
}

/** The worker on a live topic at RATE alerts/s offered: alert → decision latency (bench/kafka-latency.mjs). */
async function latency(delivery, explanations = 'full') {
  const name = `lat-${variant(delivery, explanations)}`;
  const topics = { input: [`${run}-${name}-alerts`], decisions: `${run}-${name}-decisions`, incidents: `${run}-${name}-incidents`, deadLetters: `${run}-${name}-dead-letters` };
  await createTopics(topics.input[0], topics.decisions);
  const w = await startWorker(name, topics, delivery, explanations);
  const measured = await offerAndMeasure({ kafka, input: topics.input[0], decisions: topics.decisions, name: `${run}-${name}` });
  await w.stop();
  return measured;
}

/**
 * (a) on a live topic at RATE alerts/s offered: alert → copy latency of the pass-through (in this
 * process, beside the harness), the floor of any consume → produce → commit loop on this machine.
 */
async function passThroughLatency() {
  const name = 'lat-pass';
  const input = `${run}-${name}-alerts`;
  const copy = `${run}-${name}-copy`;
  await createTopics(input, copy);
  const through = passThrough({ topic: input, count: OFFERED + 1 }, CompressionTypes.None, copy);
  const measured = await offerAndMeasure({ kafka, input, decisions: copy, name: `${run}-${name}` });
  await through;
  return measured;
}

/** Latency figures in words: steady state after the warm-up, and the warm-up's worst. */
function latencyLine(l, delivery, explanations = 'full') {
  const what = delivery === 'pass-through' ? 'alert → its copy, (a) kafkajs pass-through' : `alert → decision, ${delivery}${explanations === 'compact' ? ', compact explanations' : ''}`;
  return (
    `${what}, at ${RATE}/s offered (${l.achieved}/s achieved) for ${SECONDS} s: after the first ${WARMUP_SECONDS} s p50 ${l.p50} ms, p90 ${l.p90} ms, ` +
    `p99 ${l.p99} ms${delivery === 'at-least-once' ? ' (target < 50)' : ''}, max ${l.max} ms; worst in the first ${WARMUP_SECONDS} s ${l.warmupMax} ms; ` +
    `up to the ${delivery === 'pass-through' ? "copy's" : "decision's"} produce p50 ${l.toProduce.p50} ms, p99 ${l.toProduce.p99} ms, max ${l.toProduce.max} ms`
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
  const compact = await worker(input, 'at-least-once', 'compact');
  const eos = await worker(input, 'exactly-once');
  console.log(`(a) kafkajs pass-through (consume → produce → commit):      ${plain.rate} alerts/s uncompressed (${plain.ms} ms), ${gzipped.rate} alerts/s gzip (${gzipped.ms} ms)`);
  console.log(`(b) alertgate run, at-least-once (decide, produce, commit): ${alo.rate} alerts/s (${alo.ms} ms), RSS ${alo.rssMB} MB; b/a = ${(alo.rate / base.rate).toFixed(2)} (target ≥ 0.8)`);
  console.log(`(b') the same with outputs.explanations compact:             ${compact.rate} alerts/s (${compact.ms} ms), RSS ${compact.rssMB} MB; b'/a = ${(compact.rate / base.rate).toFixed(2)}`);
  console.log(`(c) alertgate run, exactly-once (one transaction a chunk):  ${eos.rate} alerts/s (${eos.ms} ms), RSS ${eos.rssMB} MB; c/a = ${(eos.rate / base.rate).toFixed(2)}`);
  const latPass = await passThroughLatency();
  console.log(latencyLine(latPass, 'pass-through'));
  const latAlo = await latency('at-least-once');
  console.log(latencyLine(latAlo, 'at-least-once'));
  const latCompact = await latency('at-least-once', 'compact');
  console.log(latencyLine(latCompact, 'at-least-once', 'compact'));
  const latEos = await latency('exactly-once');
  console.log(latencyLine(latEos, 'exactly-once'));
  console.log(`(worst latency by second of sending, at-least-once: ${latAlo.worstBySecond.join(' ')}; exactly-once: ${latEos.worstBySecond.join(' ')})`);
  const summary = ({ worstBySecond, ...l }) => l;
  console.log(
    JSON.stringify({ bench: 'kafka', alerts: input.count, passThroughPerSec: plain.rate, passThroughGzipPerSec: gzipped.rate, atLeastOncePerSec: alo.rate, compactPerSec: compact.rate, exactlyOncePerSec: eos.rate, ratio: Number((alo.rate / base.rate).toFixed(2)), compactRatio: Number((compact.rate / base.rate).toFixed(2)), latencyPassThrough: summary(latPass), latencyAtLeastOnce: summary(latAlo), latencyCompact: summary(latCompact), latencyExactlyOnce: summary(latEos) }),
  );
}

try {
  useFastGzip();
  const only = process.env.BENCH_KAFKA_ONLY;
  const delivery = process.env.BENCH_DELIVERY ?? 'at-least-once';
  const explanations = process.env.BENCH_EXPLANATIONS ?? 'full';
  if (only === undefined) await all();
  else if (only === 'throughput') console.log(JSON.stringify({ bench: 'kafka-throughput', delivery, explanations, ...(await worker(await produceInput(), delivery, explanations)) }));
  else if (only === 'latency') console.log(latencyLine(delivery === 'pass-through' ? await passThroughLatency() : await latency(delivery, explanations), delivery, explanations));
  else throw new Error(`BENCH_KAFKA_ONLY is throughput or latency, not ${only}`);
} finally {
  await admin.disconnect();
  stopBroker();
}
