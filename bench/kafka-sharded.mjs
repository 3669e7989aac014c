// bench/kafka-sharded: sharded deciders (kafka.shardBy, docs/kafka.md "Sharded deciders") on 1, 2 and 4
// workers, beside today's single decider, in one run on the same broker and the same stream:
// generated alerts of 64 tenants (entities.tenant), the repository's rules grouping by tenant first,
// an input topic of 4 partitions, 12 shards. Each run: the workers start on an empty input and settle
// (every worker decides a shard), then the stream is produced at once; throughput is alerts over the
// time from the first produce to the last decision on the broker. Prints the table, the ratios to one
// sharded decider and the machine's core count: the workers, the broker and this process share them.
// BENCH_SHARD_ALERTS (100000), BENCH_SHARD_WORKERS (1,2,4).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { parse, stringify } from 'yaml';
import { benchBroker } from './kafka-broker.mjs';
import { generateAlerts } from './generated-alerts.mjs';

const { Kafka, logLevel } = kafkajs;
const repo = join(import.meta.dirname, '..');
const bin = join(repo, 'bin', 'alertgate.js');
const ALERTS = Number(process.env.BENCH_SHARD_ALERTS ?? 100_000);
const WORKERS = (process.env.BENCH_SHARD_WORKERS ?? '1,2,4').split(',').map(Number);
const TENANTS = 64;
const SHARDS = 12;
const INPUT_PARTITIONS = 4;

const { brokers, stop: stopBroker } = benchBroker();
const kafka = new Kafka({ clientId: 'alertgate-bench-sharded', brokers, logLevel: logLevel.NOTHING });
const run = `bench-sharded-${Date.now().toString(36)}`;
const admin = kafka.admin();
await admin.connect();

async function waitUntil(check, what, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench/kafka-sharded: ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function recordsIn(topic) {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}

/** The generated stream with a tenant per source address, as messages keyed by alert id. */
async function tenantMessages() {
  const dataDir = join(import.meta.dirname, '.data');
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, `replay-${ALERTS}.ndjson`);
  if (!existsSync(file)) await generateAlerts(file, ALERTS);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const alert = JSON.parse(line);
      let h = 0;
      for (const c of alert.entities.src_ip) h = (h * 31 + c.charCodeAt(0)) >>> 0;
      alert.entities.tenant = `tenant-${h % TENANTS}`;
      return { key: alert.id, value: JSON.stringify(alert) };
    });
}

/** The repository's rules, each grouping by tenant first (sharding by tenant is then exact). */
function tenantRules() {
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-bench-rules-'));
  for (const name of readdirSync(join(repo, 'rules')).filter((n) => n.endsWith('.yaml'))) {
    const rule = parse(readFileSync(join(repo, 'rules', name), 'utf8'));
    if (rule?.window?.groupBy) rule.window.groupBy = ['entities.tenant', ...rule.window.groupBy];
    if (rule?.incident?.groupBy) rule.incident.groupBy = ['entities.tenant', ...rule.incident.groupBy];
    writeFileSync(join(dir, name), stringify(rule));
  }
  return dir;
}

function startWorker(config) {
  const child = spawn(process.execPath, [bin, 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  return {
    tookOver: () => log.includes('"msg":"took over the input partitions"'),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** `workers` workers (sharded, or one unsharded decider) over the stream: alerts/s from the first produce to the last decision. */
async function measure(name, workers, sharded, messages, rules) {
  const input = `${run}-${name}-alerts`;
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: INPUT_PARTITIONS, replicationFactor: 1 }] });
  const decisions = `${run}-${name}-decisions`;
  const dir = mkdtempSync(join(tmpdir(), 'alertgate-bench-'));
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      rules,
      http: { port: 0 },
      log: { level: 'info' },
      cases: { mergeBy: [] },
      kafka: {
        brokers,
        groupId: `${run}-${name}`,
        topics: { input: [input], decisions, incidents: `${run}-${name}-incidents`, deadLetters: `${run}-${name}-dead-letters` },
        createTopics: { enabled: true },
        ...(sharded ? { shardBy: ['entities.tenant'], shardPartitions: SHARDS } : {}),
      },
    }),
  );
  const started = [];
  for (let i = 0; i < workers; i++) started.push(startWorker(config));
  await waitUntil(async () => started.every((w) => w.tookOver()), 'the workers did not settle');
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const t0 = Date.now();
  for (let i = 0; i < messages.length; i += 5_000) await producer.send({ topic: input, acks: -1, messages: messages.slice(i, i + 5_000) });
  await producer.disconnect();
  let doneAt;
  await waitUntil(async () => (await recordsIn(decisions)) >= messages.length && (doneAt = Date.now()), 'not every decision arrived');
  await Promise.all(started.map((w) => w.stop()));
  const ms = doneAt - t0;
  return { name, workers, ms, rate: Math.round((messages.length * 1000) / ms) };
}

try {
  const messages = await tenantMessages();
  const rules = tenantRules();
  const cores = availableParallelism();
  const rows = [await measure('single', 1, false, messages, rules)];
  for (const n of WORKERS) rows.push(await measure(`shards${n}`, n, true, messages, rules));
  const one = rows.find((r) => r.name === 'shards1') ?? rows[0];
  console.log(`sharded deciders: ${messages.length} alerts of ${TENANTS} tenants, input ${INPUT_PARTITIONS} partitions, ${SHARDS} shards; ${cores} cores (${cpus()[0]?.model ?? 'cpu'}) shared by the workers, the broker and this process`);
  console.log('| deciders | alerts/s | time | vs 1 sharded decider |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name === 'single' ? '1, unsharded (one decider, no router)' : `${r.workers} worker${r.workers > 1 ? 's' : ''} × ${SHARDS} shards`} | ${r.rate} | ${r.ms} ms | ${(r.rate / one.rate).toFixed(2)} |`);
  console.log(JSON.stringify({ bench: 'kafka-sharded', alerts: messages.length, cores, tenants: TENANTS, shards: SHARDS, rows }));
} finally {
  await admin.disconnect();
  stopBroker();
}
