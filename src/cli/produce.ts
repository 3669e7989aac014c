import type { Command } from 'commander';
import type { Kafka as KafkaClient, Message } from 'kafkajs';
import { Kafka } from '../kafka/kafkajs.js';
import { loadConfig } from '../config/load.js';
import { Broker, TopicName } from '../config/kafka.js';
import { clientOptions, producerOptions, type ConnectionConfig } from '../kafka/client-options.js';
import { INPUT_PRODUCER, partitionCount, sendInput, UnkeyedPartitions } from '../kafka/send-input.js';
import { RenewingProducer } from '../kafka/renewing-producer.js';
import { untilServed } from '../kafka/topics.js';
import { compileFieldPath, type FieldReader } from '../rules/field-path.js';
import { readRawLines } from '../source/raw-lines.js';
import { createLogger } from './logger.js';
import { openUserInput, reportUserError, UserError } from './setup.js';

interface ProduceOptions {
  input: string;
  topic: string;
  brokers?: string;
  config?: string;
  keyField: string;
  create?: boolean;
  partitions: string;
  replicationFactor: string;
  batchSize: string;
}

export function registerProduce(program: Command, setExit: (code: number) => void): void {
  program
    .command('produce')
    .description(
      'Load NDJSON alerts into a Kafka topic: each non-blank line becomes one message, its value the line as it is, ' +
        "its key the alert's id (--key-field) when the line is JSON that has one. Prints how many were sent.",
    )
    .requiredOption('--input <file>', 'NDJSON file, or - for stdin')
    .requiredOption('--topic <topic>', 'topic to produce to')
    .option('--brokers <list>', 'bootstrap brokers, host:port[,host:port...] (default: the config, else ALERTGATE_KAFKA_BROKERS, else KAFKA_BROKERS)')
    .option('--config <file>', "worker config whose kafka section gives brokers, clientId, ssl and sasl")
    .option('--key-field <path>', 'field (dotted path) whose value keys each message; lines without it get no key', 'id')
    .option('--create', 'create the topic if it does not exist')
    .option('--partitions <n>', 'partitions of a topic created by --create (-1: the broker default)', '1')
    .option('--replication-factor <n>', 'replication factor of a topic created by --create (-1: the broker default)', '-1')
    .option('--batch-size <n>', 'messages per produce request', '1000')
    .action(async (opts: ProduceOptions) => {
      try {
        await produce(opts);
      } catch (err) {
        reportUserError(err, setExit);
      }
    });
}

async function produce(opts: ProduceOptions): Promise<void> {
  const topic = TopicName.safeParse(opts.topic);
  if (!topic.success) throw new UserError(`--topic: ${topic.error.issues[0]?.message}`);
  const partitions = integerOption('--partitions', opts.partitions, -1);
  const replicationFactor = integerOption('--replication-factor', opts.replicationFactor, -1);
  const batchSize = integerOption('--batch-size', opts.batchSize, 1);
  const keyPath = opts.keyField.split('.').filter(Boolean);
  if (keyPath.length === 0) throw new UserError('--key-field: expected a field name such as id or entities.host');
  // The same dotted-path reading (own properties only) as rules use for alert fields.
  const readKey = compileFieldPath(keyPath.join('.'));

  const log = createLogger(process.env.ALERTGATE_LOG_LEVEL || 'warn');
  const kafka = new Kafka(clientOptions(await connectionConfig(opts), log));
  const unkeyed = new UnkeyedPartitions(await ensureTopic(kafka, topic.data, opts.create === true, partitions, replicationFactor));

  const input = openUserInput(opts.input);
  const producer = new RenewingProducer(() => kafka.producer(producerOptions({ producer: INPUT_PRODUCER })), log);
  await producer.connect();
  let sent = 0;
  let keyed = 0;
  try {
    let pending: Message[] = [];
    for await (const lines of readRawLines(input)) {
      for (const line of lines) {
        const key = keyOf(line, readKey);
        if (key !== undefined) keyed++;
        pending.push({ key: key ?? null, value: line });
        if (pending.length >= batchSize) {
          sent += await sendInput(producer, topic.data, pending, unkeyed);
          pending = [];
        }
      }
    }
    if (pending.length > 0) sent += await sendInput(producer, topic.data, pending, unkeyed);
  } finally {
    await producer.disconnect();
  }
  process.stdout.write(`sent ${sent} messages to ${topic.data} (${keyed} keyed by ${opts.keyField})\n`);
}


/** The alert's key field as text, when the line is a JSON object that has it as a string or number. */
export function keyOf(line: Buffer, readKey: FieldReader): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const key = readKey(value as Record<string, unknown>);
  if (typeof key === 'string' && key !== '') return key;
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  return undefined;
}

/** Brokers and security from --brokers, else the config's kafka section, else the environment. */
async function connectionConfig(opts: ProduceOptions): Promise<ConnectionConfig> {
  const fromConfig = opts.config ? (await loadConfig(opts.config, process.env, [], { receiverSecrets: false })).kafka : undefined;
  if (opts.config && !fromConfig) throw new UserError(`${opts.config}: has no kafka section; pass --brokers instead`);
  const [list, source] = opts.brokers
    ? [opts.brokers, '--brokers']
    : process.env.ALERTGATE_KAFKA_BROKERS
      ? [process.env.ALERTGATE_KAFKA_BROKERS, 'ALERTGATE_KAFKA_BROKERS']
      : [process.env.KAFKA_BROKERS, 'KAFKA_BROKERS'];
  // loadConfig already applied the variables to the config's brokers.
  const brokers = fromConfig && !opts.brokers ? fromConfig.brokers : (list ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  if (brokers.length === 0) throw new UserError('no Kafka brokers: pass --brokers host:port, or --config <file>, or set KAFKA_BROKERS');
  for (const broker of brokers) {
    const checked = Broker.safeParse(broker);
    if (!checked.success) throw new UserError(`${source}: "${broker}": ${checked.error.issues[0]?.message}`);
  }
  return { brokers, clientId: fromConfig?.clientId ?? 'alertgate-produce', ssl: fromConfig?.ssl, sasl: fromConfig?.sasl };
}

/** Checks (or creates) the topic; returns its partition count. */
async function ensureTopic(kafka: KafkaClient, topic: string, create: boolean, partitions: number, replicationFactor: number): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      if (!create) throw new UserError(`topic "${topic}" does not exist; pass --create (and --partitions <n>) to create it`);
      await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: partitions, replicationFactor }] });
      await untilServed(admin, [topic]);
    }
    return await partitionCount(admin, topic);
  } finally {
    await admin.disconnect();
  }
}

function integerOption(flag: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n === 0) throw new UserError(`${flag}: expected an integer ≥ ${Math.max(min, 1)}${min < 0 ? ' (or -1)' : ''}, got "${text}"`);
  return n;
}

