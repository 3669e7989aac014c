// bench/kafka-latency: alert → decision latency of `alertgate run` on Kafka at a fixed offered rate.
// Produces canonical alerts at RATE per second for SECONDS, in 10 ms ticks, noting when each was sent;
// a consumer on the decisions topic notes when each decision arrives; prints p50/p90/p99/max.
// Needs a broker: scripts/kafka.sh up, then KAFKA_BROKERS=… node bench/kafka-latency.mjs. Not part of
// `npm run bench` (it needs Kafka).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { mulberry32, pick } from '../scripts/prng.mjs';

const { Kafka, logLevel } = kafkajs;
const RATE = Number(process.env.BENCH_RATE ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TICK_MS = 10;
const repo = join(import.meta.dirname, '..');
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) {
  console.error('bench/kafka-latency: set KAFKA_BROKERS (scripts/kafka.sh up prints it)');
  process.exit(2);
}
const kafka = new Kafka({ clientId: 'alertgate-latency', brokers, logLevel: logLevel.NOTHING });
const run = `latency-${Date.now().toString(36)}`;
const topics = { input: `${run}-alerts`, decisions: `${run}-decisions`, incidents: `${run}-incidents`, deadLetters: `${run}-dead-letters` };

const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ waitForLeaders: true, topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
await admin.disconnect();

// The worker, started and joined before the clock starts.
const dir = mkdtempSync(join(tmpdir(), 'alertgate-latency-'));
const config = join(dir, 'config.yaml');
writeFileSync(config, JSON.stringify({ rules: join(repo, 'rules'), http: { port: 0 }, kafka: { brokers, groupId: `${run}-worker`, topics: { ...topics, input: [topics.input] } } }));
const worker = spawn(process.execPath, [join(repo, 'bin', 'alertgate.js'), 'run', '--config', config], {
  env: { ...process.env, ALERTGATE_LOG_LEVEL: 'info' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let workerLog = '';
await new Promise((resolve) =>
  worker.stderr.on('data', (d) => {
    workerLog += d;
    if (workerLog.includes('joined the consumer group')) resolve();
  }),
);

const sentAt = new Map();
const latencies = [];
const consumer = kafka.consumer({ groupId: `${run}-reader`, maxWaitTimeInMs: 100 });
await consumer.connect();
await consumer.subscribe({ topics: [topics.decisions], fromBeginning: true });
const total = RATE * SECONDS;
const allDecided = new Promise((resolve) => {
  consumer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        const sent = sentAt.get(m.key.toString());
        if (sent !== undefined) latencies.push(now - sent);
      }
      if (latencies.length >= total) resolve();
    },
  });
});
await new Promise((r) => setTimeout(r, 500)); // the reader's group join

const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
const random = mulberry32(11);
const perTick = Math.round((RATE * TICK_MS) / 1000);
const started = performance.now();
let sent = 0;
for (let tick = 0; sent < total; tick++) {
  const due = started + tick * TICK_MS;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const messages = [];
  for (let i = 0; i < perTick && sent < total; i++, sent++) {
    const id = `${run}-${sent}`;
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
  await producer.send({ topic: topics.input, acks: -1, messages });
}
const offeredFor = performance.now() - started;
await allDecided;
await producer.disconnect();
await consumer.disconnect();
worker.kill('SIGTERM');
await new Promise((r) => worker.once('exit', r));

latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
const result = {
  bench: 'kafka-latency',
  offeredRatePerSec: RATE,
  achievedRatePerSec: Math.round((total * 1000) / offeredFor),
  alerts: total,
  p50Ms: Number(q(0.5)),
  p90Ms: Number(q(0.9)),
  p99Ms: Number(q(0.99)),
  maxMs: Number(latencies[latencies.length - 1].toFixed(1)),
};
console.log(
  `alert → decision latency at ${RATE}/s offered (${result.achievedRatePerSec}/s achieved) for ${SECONDS}s, ${total} alerts: ` +
    `p50 ${result.p50Ms} ms, p90 ${result.p90Ms} ms, p99 ${result.p99Ms} ms, max ${result.maxMs} ms`,
);
console.log(JSON.stringify(result));
