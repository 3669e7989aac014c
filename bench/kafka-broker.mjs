// The Kafka benches' broker and input (bench/kafka.mjs, bench/kafka-clients.mjs): KAFKA_BROKERS, or the
// project's broker (scripts/kafka.sh up, with the JVM's optimizing compiler on: the tests' broker runs
// C1 only, for a fast start, and a C1-only broker spends more of the cores on every request, which skews a
// throughput comparison), and the generated alerts in a topic of one partition.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { generateAlerts } from './generated-alerts.mjs';

const repo = join(import.meta.dirname, '..');
const kafkaSh = join(repo, 'scripts', 'kafka.sh');
export const bin = join(repo, 'bin', 'alertgate.js');

/** The brokers, and `stop()`: stops them if this run started them. */
export function benchBroker() {
  const given = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  if (given.length > 0) return { brokers: given, stop: () => {} };
  const running = spawnSync('bash', [kafkaSh, 'env'], { encoding: 'utf8' });
  const startedNow = running.status !== 0;
  const jvm = { ALERTGATE_KAFKA_JVM_OPTS: '-XX:+UseSerialGC -XX:-UsePerfData', ...process.env };
  const up = startedNow ? spawnSync('bash', [kafkaSh, 'up'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: jvm }) : running;
  const m = /KAFKA_BROKERS=(\S+)/.exec(up.stdout ?? '');
  if (!m) throw new Error('bench: no Kafka broker (set KAFKA_BROKERS, or install Java 17 and Maven for scripts/kafka.sh)');
  return { brokers: m[1].split(','), stop: () => startedNow && spawnSync('bash', [kafkaSh, 'down'], { stdio: 'inherit' }) };
}

/** Creates topics of one partition (kafkajs admin), waiting for their leaders. */
export async function createTopics(admin, ...topics) {
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
}

export async function waitUntil(check, what, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `count` generated alerts (all valid: every one gets a decision), produced to a new topic of one partition by `alertgate produce`. */
export async function produceInput(admin, brokers, topic, count) {
  const dataDir = join(import.meta.dirname, '.data');
  mkdirSync(dataDir, { recursive: true });
  const inputFile = join(dataDir, `replay-${count}.ndjson`);
  if (!existsSync(inputFile)) {
    console.error(`generating ${count} alerts into ${inputFile} ...`);
    await generateAlerts(inputFile, count);
  }
  await createTopics(admin, topic);
  const produced = spawnSync(process.execPath, [bin, 'produce', '--input', inputFile, '--topic', topic, '--brokers', brokers.join(',')], { encoding: 'utf8' });
  if (produced.status !== 0) throw new Error(produced.stderr);
  const sent = Number(/^sent (\d+)/.exec(produced.stdout)[1]);
  console.log(`input: ${sent} alerts (${(statSync(inputFile).size / 1e6).toFixed(1)} MB) from ${inputFile}, 1 partition; brokers ${brokers.join(',')}`);
  return { topic, count: sent };
}
