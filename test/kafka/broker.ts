/**
 * Helpers for tests that talk to the real Kafka broker provided by test/kafka/global-setup.ts.
 *
 *   describeKafka('my suite', () => { ... })          // skipped when no broker is available
 *   const topic = await createTopic(uniqueTopic('alerts'), 3);
 *   const kafka = kafkaClient();                       // a kafkajs client on the test broker
 *
 * kafkajs logs nothing by default here; KAFKAJS_LOG_LEVEL=info (or debug) turns its logs on.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { describe, inject } from 'vitest';
import { untilServed } from '../../src/kafka/topics.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(REPO, 'scripts', 'kafka.sh');

function parseBrokers(value: string | undefined): string[] | undefined {
  const list = (value ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  return list.length > 0 ? list : undefined;
}

/**
 * The test broker's bootstrap addresses, or undefined when Kafka suites are to be skipped.
 * Provided by the globalSetup; falls back to KAFKA_BROKERS for configs without it.
 */
export function kafkaBrokers(): string[] | undefined {
  const provided = inject('kafkaBrokers');
  if (provided !== undefined) return parseBrokers(provided);
  return parseBrokers(process.env.KAFKA_BROKERS);
}

/** True when the broker is run by scripts/kafka.sh here, so it can be stopped and restarted. */
export function kafkaManaged(): boolean {
  return inject('kafkaManaged') === true && kafkaBrokers() !== undefined;
}

/** `describe` that is skipped when there is no Kafka broker. */
export const describeKafka = describe.skipIf(!kafkaBrokers());

/** `describe` that is skipped unless the broker can be stopped and restarted (see stopBroker). */
export const describeManagedKafka = describe.skipIf(!kafkaManaged());

function requireBrokers(): string[] {
  const brokers = kafkaBrokers();
  if (!brokers) throw new Error('no Kafka broker: wrap the suite in describeKafka');
  return brokers;
}

/** A kafkajs client on the test broker. Silent unless KAFKAJS_LOG_LEVEL is set. */
export function kafkaClient(config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: 'alertgate-test',
    logLevel: logLevel.NOTHING,
    ...config,
    brokers: config.brokers ?? requireBrokers(),
  });
}

/**
 * A topic name no other test (or earlier run on the same broker) uses:
 * `<prefix>-<time>-<random>`, restricted to Kafka's legal characters.
 */
export function uniqueTopic(prefix = 'test'): string {
  const clean = prefix.replace(/[^a-zA-Z0-9._-]+/g, '-').slice(0, 120) || 'test';
  return `${clean}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A consumer group id no other test uses. */
export function uniqueGroup(prefix = 'group'): string {
  return uniqueTopic(prefix);
}

/**
 * Creates a topic (replication factor 1) and waits until its partition leaders serve it (untilServed,
 * as the worker does: kafkajs' waitForLeaders fails on a broker that has not taken the topic up yet,
 * as after a restart), so producing to it right away works. Returns the name. Topics are never
 * created implicitly on the test broker.
 */
export async function createTopic(
  name: string,
  partitions = 1,
  configEntries: Record<string, string> = {},
): Promise<string> {
  const admin = kafkaClient({ clientId: 'alertgate-test-admin' }).admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      waitForLeaders: false,
      topics: [
        {
          topic: name,
          numPartitions: partitions,
          replicationFactor: 1,
          configEntries: Object.entries(configEntries).map(([configName, value]) => ({ name: configName, value })),
        },
      ],
    });
    if (!created) throw new Error(`topic ${name} already exists`);
    await untilServed(admin, [name]);
    return name;
  } finally {
    await admin.disconnect();
  }
}

/** Deletes topics (best effort: a missing topic is not an error). */
export async function deleteTopics(...names: string[]): Promise<void> {
  const admin = kafkaClient({ clientId: 'alertgate-test-admin' }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: names }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

function kafkaSh(args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT, ...args], { cwd: REPO, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) reject(new Error(`scripts/kafka.sh ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

/**
 * Stops the test broker, keeping its data and port (scripts/kafka.sh stop-broker). `kill: true`
 * sends SIGKILL, a crash; the default is a clean SIGTERM shutdown. Resolves once it is down.
 * Only for suites under describeManagedKafka.
 */
export async function stopBroker(options: { kill?: boolean } = {}): Promise<void> {
  if (!kafkaManaged()) throw new Error('the Kafka broker is not run by scripts/kafka.sh here; use describeManagedKafka');
  await kafkaSh(['stop-broker', ...(options.kill ? ['--kill'] : [])], 60_000);
}

/** Starts the stopped test broker again on the same port and data; resolves once it serves. */
export async function startBroker(): Promise<void> {
  if (!kafkaManaged()) throw new Error('the Kafka broker is not run by scripts/kafka.sh here; use describeManagedKafka');
  await kafkaSh(['start-broker'], 120_000);
}
