// bench/kafka-worker: `alertgate run` on Kafka (consume → decide → produce → commit, at-least-once)
// beside a kafkajs pass-through on the same topic (consume → produce the values unchanged → commit,
// the same fetch, produce and commit settings, no decisions). Needs a broker: scripts/kafka.sh up,
// then KAFKA_BROKERS=… node bench/kafka-worker.mjs [file.ndjson]. Not part of `npm run bench`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const repo = join(import.meta.dirname, '..');
const bin = join(repo, 'bin', 'alertgate.js');
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) {
  console.error('bench/kafka-worker: set KAFKA_BROKERS (scripts/kafka.sh up prints it)');
  process.exit(2);
}
const generated = join(repo, 'bench', '.data', 'replay-200000.ndjson');
const input = process.argv[2] ?? (existsSync(generated) ? generated : join(repo, 'fixtures', 'soc-week.ndjson'));
const kafka = new Kafka({ clientId: 'alertgate-bench', brokers, logLevel: logLevel.NOTHING });
const run = `bench-${Date.now().toString(36)}`;
const MAX_REQUEST_BYTES = 512 * 1024;

const topic = `${run}-alerts`;
const produced = spawnSync(process.execPath, [bin, 'produce', '--input', input, '--topic', topic, '--create', '--brokers', brokers.join(',')], { encoding: 'utf8' });
if (produced.status !== 0) throw new Error(produced.stderr);
const count = Number(/^sent (\d+)/.exec(produced.stdout)[1]);
const mb = (await import('node:fs')).statSync(input).size / 1e6;
console.log(`input: ${count} alerts (${mb.toFixed(1)} MB) from ${input}, 1 partition`);

async function passThrough() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: `${run}-copy`, numPartitions: 1, replicationFactor: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${run}-copy`, maxWaitTimeInMs: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  // Both clocks start when the consumer has joined its group (the worker's from its log line).
  let started;
  consumer.on(consumer.events.GROUP_JOIN, () => (started = Date.now()));
  const done = new Promise((resolve) => {
    consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        let chunk = [];
        let bytes = 0;
        for (const m of batch.messages) {
          if (bytes + m.value.length > MAX_REQUEST_BYTES && chunk.length > 0) {
            await producer.sendBatch({ acks: -1, topicMessages: [{ topic: `${run}-copy`, messages: chunk }] });
            chunk = [];
            bytes = 0;
          }
          chunk.push({ key: m.key, value: m.value });
          bytes += m.value.length;
        }
        if (chunk.length > 0) await producer.sendBatch({ acks: -1, topicMessages: [{ topic: `${run}-copy`, messages: chunk }] });
        const last = batch.messages[batch.messages.length - 1].offset;
        resolveOffset(last);
        await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition: batch.partition, offset: String(BigInt(batch.lastOffset()) + 1n) }] }] });
        seen += batch.messages.length;
        if (seen >= count) resolve(Date.now() - started);
      },
    });
  });
  const ms = await done;
  await consumer.disconnect();
  await producer.disconnect();
  return ms;
}

async function worker() {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-bench-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      rules: join(repo, 'rules'),
      http: { port: 0 },
      log: { level: 'warn' },
      kafka: { brokers, groupId: `${run}-worker`, topics: { input: [topic], decisions: `${run}-decisions`, incidents: `${run}-incidents`, deadLetters: `${run}-dead-letters` }, createTopics: { enabled: true } },
    }),
  );
  // warn level hides the url line, so ask for info and read it.
  const child = spawn(process.execPath, [bin, 'run', '--config', config], { env: { ...process.env, ALERTGATE_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const url = await new Promise((resolve) =>
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /"url":"([^"]+)"/.exec(stderr);
      if (m) resolve(m[1]);
    }),
  );
  for (;;) {
    const text = await (await fetch(`${url}/metrics`)).text();
    const received = Number(/^alertgate_alerts_received_total (\d+)/m.exec(text)?.[1] ?? 0);
    if (received >= count) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const ms = Date.now() - Number(/"time":(\d+)[^\n]*"msg":"joined the consumer group"/.exec(stderr)[1]);
  const rss = /^alertgate_process_process_resident_memory_bytes (\S+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1];
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { ms, rss: Number(rss) };
}

const base = await passThrough();
const ours = await worker();
const rate = (ms) => Math.round((count * 1000) / ms);
console.log(`kafkajs pass-through (consume → produce → commit): ${Math.round(base)} ms, ${rate(base)} alerts/s`);
console.log(`alertgate run on Kafka (decide, produce decisions/incidents/dead letters, commit): ${Math.round(ours.ms)} ms, ${rate(ours.ms)} alerts/s, RSS ${(ours.rss / 1e6).toFixed(0)} MB`);
console.log(`ratio: alertgate takes ${(ours.ms / base).toFixed(2)}× the pass-through's time`);
