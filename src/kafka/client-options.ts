import type { ConsumerConfig, ConsumerRunConfig, KafkaConfig as KafkajsConfig, ProducerConfig, SASLOptions } from 'kafkajs';
import { Partitioners } from './kafkajs.js';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../config/kafka.js';
import { kafkajsLevel, pinoLogCreator } from './log-creator.js';

/**
 * The `kafka` config section mapped onto kafkajs' options, in one place, so what each field does to
 * the client can be read (and tested) without a broker.
 */

/** What a client needs to connect (`alertgate produce` has no more than this). */
export type ConnectionConfig = Pick<KafkaConfig, 'brokers' | 'clientId' | 'ssl' | 'sasl'>;

export function clientOptions(config: ConnectionConfig, log: Logger): KafkajsConfig {
  return {
    clientId: config.clientId,
    brokers: config.brokers,
    ...(config.ssl !== undefined ? { ssl: config.ssl } : {}),
    ...(config.sasl !== undefined ? { sasl: config.sasl as SASLOptions } : {}),
    logLevel: kafkajsLevel(log.level),
    logCreator: pinoLogCreator(log),
  };
}

export function consumerOptions(config: KafkaConfig): ConsumerConfig {
  const { sessionTimeoutMs, heartbeatIntervalMs, maxBytesPerPartition, maxWaitTimeMs } = config.consumer;
  return {
    groupId: config.groupId,
    sessionTimeout: sessionTimeoutMs,
    // How long the coordinator waits for members to rejoin: a member notices a rebalance only after
    // its batch in flight, so more than a session, but not kafkajs' 60 s.
    rebalanceTimeout: 2 * sessionTimeoutMs,
    heartbeatInterval: heartbeatIntervalMs,
    maxBytesPerPartition,
    // A fetch returns as soon as there is something. With every partition paused (backpressure),
    // kafkajs sleeps this long before it fetches again: a resumed partition waits at most that.
    maxWaitTimeInMs: maxWaitTimeMs,
    // Topics are created (or not) at start by ensureTopics; never implicitly by a metadata request.
    allowAutoTopicCreation: false,
  };
}

/**
 * kafkajs never commits: the decider commits offsets itself once a chunk's outputs are on the broker
 * (or in the chunk's transaction). Batches are only buffered by eachBatch, so one at a time is enough.
 */
export function runOptions(): Pick<ConsumerRunConfig, 'autoCommit' | 'eachBatchAutoResolve' | 'partitionsConsumedConcurrently'> {
  return { autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1 };
}

/**
 * A transaction's first send after the one before it committed is refused with CONCURRENT_TRANSACTIONS
 * until the coordinator has written that commit's markers, a few milliseconds; kafkajs retries it after
 * `initialRetryTime`. At 300 ms that stalled every second or third chunk by ~400 ms (28 refusals in a
 * 25 s run at 10,000 alerts/s); the Java client waits 20 ms for the same refusal.
 */
const TRANSACTIONAL_FIRST_RETRY_MS = 20;

/** `transactionalId`: the exactly-once decider's producer; absent for plain (idempotent) producers. */
export function producerOptions(config: { producer: Pick<KafkaConfig['producer'], 'idempotent'> }, transactionalId?: string): ProducerConfig {
  const { idempotent } = config.producer;
  return {
    idempotent,
    ...(transactionalId !== undefined ? { transactionalId } : {}),
    // kafkajs' idempotent producer keeps sequence numbers right only with one request in flight.
    ...(idempotent ? { maxInFlightRequests: 1 } : {}),
    // The idempotent producer retries retriable errors without end (kafkajs' default); the wait
    // between attempts is capped at 5 s so outputs go out soon after a broker comes back.
    retry: { initialRetryTime: transactionalId !== undefined ? TRANSACTIONAL_FIRST_RETRY_MS : 300, maxRetryTime: 5_000, retries: idempotent ? Number.MAX_SAFE_INTEGER : 10 },
    allowAutoTopicCreation: false,
    // The Java client's murmur2 partitioning (kafkajs 2's default), named so kafkajs does not warn.
    createPartitioner: Partitioners.DefaultPartitioner,
  };
}
