import { z } from 'zod';
import { parseFieldPath } from '../normalize/field-path.js';
import { MAX_TIMER_MS, timerMs } from './timer-ms.js';

/**
 * The `kafka` section of the worker's config: with it, `alertgate run` consumes alerts from Kafka and
 * produces decisions, incidents and dead letters to Kafka. docs/configuration.md documents every field;
 * src/kafka/client-options.ts maps it onto kafkajs' options.
 */

/** Kafka's legal topic names: 1–249 of `a-z A-Z 0-9 . _ -`, and not `.` or `..`. */
export const TopicName = z
  .string()
  .regex(/^[a-zA-Z0-9._-]{1,249}$/, 'expected a Kafka topic name: 1 to 249 of a-z, A-Z, 0-9, ".", "_" and "-"')
  .refine((name) => name !== '.' && name !== '..', 'a topic cannot be named "." or ".."');

/** `host:port`, as kafkajs takes bootstrap brokers. */
export const Broker = z.string().regex(/^[^\s,/]+:\d{1,5}$/, 'expected host:port, e.g. kafka-1.internal:9092');

/** Broker-side default when the request says -1 (needs Kafka ≥ 2.4); otherwise a positive count. */
const CountOrBrokerDefault = z
  .number()
  .int()
  .min(-1)
  .refine((n) => n !== 0, 'expected a positive number, or -1 for the broker default');

/**
 * TLS options, passed through to Node's tls.connect (kafkajs' `ssl`). The common ones are typed so a
 * typo in them is caught; anything else (ciphers, minVersion, …) is passed as it is.
 */
const TlsOptions = z.looseObject({
  rejectUnauthorized: z.boolean().optional(),
  /** PEM text (not a file name). */
  ca: z.union([z.string(), z.array(z.string())]).optional(),
  cert: z.union([z.string(), z.array(z.string())]).optional(),
  key: z.union([z.string(), z.array(z.string())]).optional(),
  passphrase: z.string().optional(),
  servername: z.string().optional(),
});

/** SASL with a user name and password (kafkajs' `sasl`). */
const SaslOptions = z
  .object({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: z.string().min(1),
    password: z.string(),
  })
  .strict();

export const KafkaConfig = z
  .object({
    /** Bootstrap brokers; also from ALERTGATE_KAFKA_BROKERS, or KAFKA_BROKERS when nothing else sets them. */
    brokers: z.array(Broker).min(1, 'expected at least one broker (host:port)'),
    clientId: z.string().min(1).default('alertgate'),
    /** Consumer group: workers sharing it share the input's partitions. */
    groupId: z.string().min(1).default('alertgate'),
    topics: z
      .object({
        /** Alert topics to consume (the messages are NDJSON lines: one alert per message). */
        input: z.array(TopicName).min(1, 'expected at least one input topic'),
        decisions: TopicName.default('alertgate-decisions'),
        incidents: TopicName.default('alertgate-incidents'),
        deadLetters: TopicName.default('alertgate-dead-letters'),
        /** The decider's chunk records and checkpoints (one partition; `shardPartitions` with shardBy); default `<groupId>-state`. */
        state: TopicName.optional(),
        /** With shardBy: the input re-keyed by shard key, one partition per shard; default `<groupId>-repartition`. */
        repartition: TopicName.optional(),
      })
      .strict()
      // A worker that read its own outputs would feed on them without end.
      .refine((t) => ![t.decisions, t.incidents, t.deadLetters, t.state, t.repartition].some((out) => out !== undefined && t.input.includes(out)), {
        message: 'an output topic (decisions, incidents, deadLetters, state, repartition) cannot also be an input topic',
        path: ['input'],
      }),
    /**
     * at-least-once: outputs are acknowledged before input offsets are committed; after a crash some
     * come again, the same records under the same keys. exactly-once: each chunk's outputs, state and
     * offsets are one Kafka transaction (read the outputs with isolation.level=read_committed).
     */
    delivery: z.enum(['at-least-once', 'exactly-once']).default('at-least-once'),
    /**
     * Sharded deciders (docs/kafka.md, "Sharded deciders"): the canonical alert's fields whose values
     * route an alert to its shard (e.g. `[tenant]` as `entities.tenant`, `[entities.host]`). Unset: one
     * decider sees the whole stream. The worker refuses rules that are not exact under them
     * (docs/rules.md, "Sharding").
     */
    shardBy: z
      .array(z.string().superRefine((path, ctx) => {
        const parsed = parseFieldPath(path);
        if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
      }))
      .min(1, 'expected at least one field path, or no shardBy at all')
      .optional(),
    /** With shardBy: partitions of the repartition and state topics, the most deciders that share the work. */
    shardPartitions: z.number().int().positive().max(1000).default(12),
    /**
     * At-least-once: an open incident's update goes to the incidents topic (and the ledger) at most once
     * per this many ms, not after every chunk it grew in; 0 (the default): after every chunk. Offsets
     * are committed only up to the first alert whose incident update is not on the broker yet, so the
     * last record per incident is still the uninterrupted run's (docs/kafka.md, "Incident updates").
     */
    incidentUpdateIntervalMs: z.number().int().nonnegative().max(MAX_TIMER_MS, `at most ${MAX_TIMER_MS} ms (about 24.8 days): Node's timers cannot wait longer`).default(0),
    /** How the decider's state survives restarts and moves to another worker (docs/kafka.md, "State"). */
    state: z
      .object({
        /** A checkpoint of windows and open incidents at most this often while alerts flow (and at every stop and rule reload). */
        checkpointIntervalMs: timerMs(30_000),
        /**
         * retention.ms and retention.bytes of the state topic when the worker creates it. It must keep the
         * newest checkpoint and the chunk records after it: far more than one checkpoint interval's worth.
         */
        retentionMs: z.number().int().positive().default(7 * 24 * 3600 * 1000),
        retentionBytes: z.number().int().positive().default(1024 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    /** Create missing topics at start; off: a missing topic stops the worker at start, naming it. */
    createTopics: z
      .object({
        enabled: z.boolean().default(false),
        partitions: CountOrBrokerDefault.default(-1),
        replicationFactor: CountOrBrokerDefault.default(-1),
      })
      .strict()
      .prefault({}),
    /** true: TLS with Node's defaults; an object: tls.connect options. */
    ssl: z.union([z.boolean(), TlsOptions]).optional(),
    sasl: SaslOptions.optional(),
    consumer: z
      .object({
        /**
         * A member that sends no heartbeat for this long leaves the group. Also how long consumption
         * stalls after a broker restart, where kafkajs rejoins as a new member (docs/kafka.md).
         */
        sessionTimeoutMs: timerMs(10_000),
        heartbeatIntervalMs: timerMs(1_000),
        /**
         * Longest a fetch waits on the broker for new messages, and how long kafkajs sleeps before it
         * fetches again once every partition is paused: short, so a resumed partition is fetched at once.
         */
        maxWaitTimeMs: timerMs(100),
        /** Most bytes fetched per partition per request: the size of one batch. */
        maxBytesPerPartition: z.number().int().positive().default(1024 * 1024),
        /** Most input messages decided as one chunk (one produce request of outputs, one commit). */
        maxChunkMessages: z.number().int().positive().default(2_000),
        /** Messages fetched ahead per partition; past it the partition is paused until the decider catches up. */
        maxBufferedMessages: z.number().int().positive().default(20_000),
        /** Where a group with no committed offset starts: the earliest message (true) or new messages only. */
        fromBeginning: z.boolean().default(true),
      })
      .strict()
      .prefault({})
      .refine((c) => c.heartbeatIntervalMs * 3 <= c.sessionTimeoutMs, {
        message: 'heartbeatIntervalMs must be at most a third of sessionTimeoutMs',
        path: ['heartbeatIntervalMs'],
      }),
    producer: z
      .object({
        /** Broker-side deduplication of the producer's own retries. */
        idempotent: z.boolean().default(true),
        /** -1: every in-sync replica has the outputs before the batch's offsets are committed; 1: the leader only. */
        acks: z.union([z.literal(-1), z.literal(1)]).default(-1),
        /**
         * Compression of the outputs (and state records): gzip at level 1 by default; decisions are JSON
         * and shrink about tenfold, so far fewer produce requests carry them.
         */
        compression: z.enum(['gzip', 'none']).default('gzip'),
        /**
         * Most bytes of output messages (before compression) per produce request: 4 MiB with gzip, 512 KiB
         * without. kafkajs sends a partition's messages in one request as one record batch, which the
         * broker refuses over its message.max.bytes (1 MiB by default); a refused request is split and sent again.
         */
        maxRequestBytes: z.number().int().positive().optional(),
        /** exactly-once only: the transactional id (default `<groupId>-decider`); one decider at a time uses it. */
        transactionalId: z.string().min(1).optional(),
      })
      .strict()
      .prefault({})
      .refine((p) => !p.idempotent || p.acks === -1, { message: 'an idempotent producer needs acks: -1', path: ['acks'] }),
    /** On SIGTERM/SIGINT: time to finish the batch in flight, commit and leave the group before exiting anyway. */
    shutdownTimeoutMs: timerMs(20_000),
  })
  .strict()
  .refine((c) => c.delivery !== 'exactly-once' || c.shardBy === undefined, {
    message: 'sharded deciders (kafka.shardBy) deliver at-least-once only; exactly-once with shards is not implemented',
    path: ['delivery'],
  })
  .refine((c) => c.delivery !== 'exactly-once' || c.incidentUpdateIntervalMs === 0, {
    message: 'incidentUpdateIntervalMs applies to at-least-once delivery; exactly-once writes each chunk\'s incident updates in its transaction',
    path: ['incidentUpdateIntervalMs'],
  })
  .refine((c) => c.delivery !== 'exactly-once' || c.producer.idempotent, {
    message: 'exactly-once delivery needs the idempotent producer (producer.idempotent: true)',
    path: ['delivery'],
  })
  .transform((c) => ({
    ...c,
    topics: { ...c.topics, state: c.topics.state ?? `${c.groupId}-state`, repartition: c.topics.repartition ?? `${c.groupId}-repartition` },
    producer: {
      ...c.producer,
      maxRequestBytes: c.producer.maxRequestBytes ?? (c.producer.compression === 'gzip' ? 4 * 1024 * 1024 : 512 * 1024),
      transactionalId: c.producer.transactionalId ?? `${c.groupId}-decider`,
    },
  }));
export type KafkaConfig = z.output<typeof KafkaConfig>;

/** With shardBy: the consumer group of the routers (stage 1), which read the input topics. */
export function routerGroupId(config: Pick<KafkaConfig, 'groupId'>): string {
  return `${config.groupId}-router`;
}
