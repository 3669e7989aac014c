import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { routerGroupId, type KafkaConfig } from '../config/kafka.js';
import { consumerOptions } from '../kafka/client-options.js';
import type { RetryStatus } from '../kafka/retry-status.js';
import type { Normalizer } from '../normalize/index.js';
import { FORMAT_HEADER, normalizerNamed } from '../pipeline/line-format.js';
import type { ProducerThread, SendTerm } from '../sinks/kafka/producer-thread.js';
import { ConsumerRunner } from '../source/kafka/consumer-runner.js';
import type { SourceMessage } from '../source/kafka/merged-partitions.js';
import { messageInput } from '../source/kafka/message-input.js';
import { routedMessage } from './routed-source.js';
import { shardKeys, type ShardKeys } from './shard-key.js';

export interface RouterOptions {
  readonly kafka: Kafka;
  readonly config: KafkaConfig & { shardBy: string[] };
  readonly normalize: Normalizer;
  readonly maxLineBytes: number;
  /** The worker's producer thread (the router's sends are a term of their own, state partition -1). */
  readonly producer: ProducerThread;
  readonly log: Logger;
  readonly retry: RetryStatus;
}

/** The router's sends: it writes no state, and is cancelled only when it stops. */
const ROUTER_TERM: SendTerm = { statePartition: -1, epoch: 0 };

/**
 * Stage 1 of sharded deciders (docs/kafka.md, "Sharded deciders"): a consumer group of its own
 * (`<groupId>-router`, kafkajs' usual assignment) over the input topics. Each input message is
 * normalized for its shard key and written, as it is (value, timestamp, headers, plus where it came
 * from), to the shard's partition of the repartition topic, keyed by the shard key; its input offset
 * is committed once the broker has it (at-least-once: what a router routed but did not commit is
 * routed again by the next, and the shard's decider skips the copies). Records that are not alerts
 * go to the shard `[null]`, whose decider dead-letters them as a decider without shards would.
 */
export class Router {
  /** Input messages routed (a redelivery counts again). */
  routed = 0;
  private readonly runner: ConsumerRunner;
  private readonly keys: ShardKeys;

  private constructor(private readonly options: RouterOptions) {
    const { kafka, config, log, retry } = options;
    this.keys = shardKeys(config.shardBy, config.shardPartitions);
    const consumer = kafka.consumer({ ...consumerOptions(config), groupId: routerGroupId(config) });
    this.runner = new ConsumerRunner({
      consumer,
      topics: config.topics.input,
      fromBeginning: config.consumer.fromBeginning,
      run: {
        autoCommit: false,
        eachBatchAutoResolve: false,
        // Another partition's batch is routed while one waits for the broker.
        partitionsConsumedConcurrently: 2,
        eachBatch: async ({ batch, resolveOffset, isStale }) => {
          if (isStale() || batch.messages.length === 0) return;
          const messages = batch.messages.map((m) => this.route(batch.topic, batch.partition, m));
          await options.producer.send([{ topic: config.topics.repartition, messages }], { chunks: [] }, ROUTER_TERM);
          this.routed += messages.length;
          const next = String(Number(batch.lastOffset()) + 1);
          resolveOffset(batch.lastOffset());
          // A commit lost to a rebalance only means the next router routes these again (its copies are skipped).
          await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]).catch((err: unknown) => {
            log.warn({ err, topic: batch.topic, partition: batch.partition }, 'committing routed offsets failed; the next router routes them again');
          });
        },
      },
      log,
      retry,
    });
  }

  static async start(options: RouterOptions): Promise<Router> {
    const router = new Router(options);
    await router.runner.start();
    options.log.info({ groupId: routerGroupId(options.config), input: options.config.topics.input, repartition: options.config.topics.repartition, shardBy: options.config.shardBy }, 'routing the input to the shards');
    return router;
  }

  ready(): boolean {
    return this.runner.ready();
  }

  get restarts(): number {
    return this.runner.restarts;
  }

  /** Stops consuming once the batch in flight is routed and committed, and leaves the group. */
  async stop(): Promise<void> {
    await this.runner.stop();
  }

  private route(topic: string, partition: number, message: SourceMessage) {
    const header = message.headers?.[FORMAT_HEADER];
    const format = header === undefined ? undefined : String(Array.isArray(header) ? header[0] : header);
    const input = messageInput(message.value, 1, this.options.maxLineBytes, format);
    // As the pipeline reads it (a named format, else the configured one); what it cannot read has no shard key.
    const result = 'text' in input ? (format === undefined ? this.options.normalize : normalizerNamed(format))(input.text, 1) : undefined;
    const key = this.keys.keyOf(result);
    return routedMessage({ topic, partition, offset: message.offset }, message, key, this.keys.partitionOf(key));
  }
}
