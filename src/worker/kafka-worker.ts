import type { Admin, Consumer } from 'kafkajs';
import type { CaseMergeOptions } from '../cases/case-merger.js';
import { Kafka } from '../kafka/kafkajs.js';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../config/kafka.js';
import { clientOptions, consumerOptions, runOptions } from '../kafka/client-options.js';
import type { LedgerRecorder } from '../ledger/recorder.js';
import type { StateLossWarning } from '../metrics/state-loss-warning.js';
import type { DedupOptions } from '../dedup/seen-alerts.js';
import { RetryStatus, type RetryLoop } from '../kafka/retry-status.js';
import { ensureTopics, MissingTopicsError } from '../kafka/topics.js';
import type { Normalizer } from '../normalize/index.js';
import type { EventTimeConfig } from '../config/event-time.js';
import type { ExplanationsConfig } from '../config/explanations.js';
import type { FutureDatedEvent } from '../pipeline/pipeline.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { ProducerThread } from '../sinks/kafka/producer-thread.js';
import { ConsumerRunner } from '../source/kafka/consumer-runner.js';
import { soleOwnerAssigner } from '../source/kafka/sole-owner-assigner.js';
import { shardAssigner } from '../source/kafka/shard-assigner.js';
import { Router } from '../shard/router.js';
import { PipelineStats } from '../metrics/pipeline-stats.js';
import { ShardedDeciders } from './sharded-deciders.js';
import { ShardPipelines } from './shard-pipelines.js';
import type { PipelineView } from '../pipeline/pipeline.js';
import { ChunkProcessor } from './chunk-processor.js';
import { Decider, type DeciderStats } from './decider.js';

export interface KafkaWorkerOptions {
  readonly kafka: KafkaConfig;
  readonly ruleset: CompiledRuleSet;
  readonly normalize: Normalizer;
  readonly maxLineBytes: number;
  readonly maxAlertIdsPerIncident: number;
  readonly maxOpenIncidents: number;
  /** The bound on future-dated alerts (config eventTime). */
  readonly eventTime?: EventTimeConfig;
  /** Sees each future-dated alert (the worker's log and GET /watermark). */
  readonly onFutureDated?: (event: FutureDatedEvent) => void;
  /** How incidents join cases (config `cases`). */
  readonly cases?: CaseMergeOptions | undefined;
  readonly log: Logger;
  /** The pipeline's metric breakdowns (bounded source labels). */
  readonly stats?: PipelineStats;
  /** Sees every decision's JSON (the audit trail). */
  readonly onDecision?: (json: string) => void;
  /** Records decisions and incidents in the ledger. */
  readonly recorder?: LedgerRecorder | undefined;
  /** Other topics to check (or create) at start, e.g. the feedback topic. */
  readonly extraTopics?: readonly string[];
  /** Deduplication by alert id (DEFAULT_DEDUP if left out). */
  readonly dedup?: DedupOptions;
  /** Warns while windows decide on lost state. */
  readonly stateLoss?: StateLossWarning;
  /** How much each decision explains (config outputs.explanations; full if left out). */
  readonly explanations?: ExplanationsConfig;
}

/** What the worker has done so far, for metrics and the shutdown summary. */
export interface KafkaWorkerStats extends DeciderStats {
  /** Messages dead-lettered before the pipeline (no value, empty, not UTF-8). */
  rejected: number;
  produceRequests: number;
  sendRetries: number;
  consumerRestarts: number;
  /** Attempts that failed and were tried again, by retry loop. */
  retries: Record<RetryLoop, number>;
  /** The retry loops whose last attempt failed (the worker is not ready meanwhile). */
  failing: RetryLoop[];
  /** Whether this worker decides (owns the input partitions) or waits as a standby. */
  owner: boolean;
}

/** The decide stage: one decider over every input partition, or (kafka.shardBy) one per shard this worker owns. */
export type DecideStage = Pick<Decider, 'owner' | 'settled' | 'stats' | 'lag' | 'reload' | 'changeState' | 'stop'>;

/**
 * The worker on Kafka. Without shards, every worker of the group joins it; one, the decider, is given
 * all input partitions (soleOwnerAssigner) and runs them, merged, through one pipeline; the others
 * stand by and take over, with the state, when it goes. With kafka.shardBy, every worker also routes
 * input to the repartition topic (Router), and decides the shards the group gives it (ShardedDeciders)
 * (docs/kafka.md).
 */
export class KafkaWorker {
  private constructor(
    /** The deciding pipeline, or the shards' pipelines read as one. */
    readonly pipeline: PipelineView,
    readonly decider: DecideStage,
    private readonly processors: () => readonly ChunkProcessor[],
    private readonly runner: ConsumerRunner,
    private readonly router: Router | undefined,
    private readonly producer: ProducerThread,
    private readonly admin: Admin,
    private readonly retry: RetryStatus,
  ) {}

  /** Checks or creates the topics, connects, joins the group. Fails (nothing left running) if any step does. */
  static async start(options: KafkaWorkerOptions): Promise<KafkaWorker> {
    const { kafka: config, log } = options;
    const kafka = new Kafka(clientOptions(config, log));
    const { input, decisions, incidents, deadLetters, state, repartition } = config.topics;
    const exactlyOnce = config.delivery === 'exactly-once';
    const sharded = config.shardBy !== undefined;
    const shardTopics = sharded ? { partitions: config.shardPartitions, topics: [repartition] } : { partitions: 1, topics: [] };

    const admin = kafka.admin();
    await admin.connect();
    const retry = new RetryStatus();
    let producer: ProducerThread | undefined;
    let runner: ConsumerRunner | undefined;
    let router: Router | undefined;
    try {
      const created = await ensureTopics(admin, {
        topics: [...input, decisions, incidents, deadLetters, state, ...shardTopics.topics, ...(options.extraTopics ?? [])],
        create: config.createTopics.enabled,
        partitions: config.createTopics.partitions,
        replicationFactor: config.createTopics.replicationFactor,
        special: new Map([
          [state, { partitions: shardTopics.partitions, configEntries: stateTopicConfig(config.state) }],
          [repartition, { partitions: shardTopics.partitions, configEntries: repartitionTopicConfig(config.state) }],
        ]),
      });
      if (created.length > 0) log.info({ topics: created }, 'created Kafka topics');
      if (sharded) await checkShardTopics(admin, config);

      producer = new ProducerThread(
        {
          connection: { brokers: config.brokers, clientId: config.clientId, ssl: config.ssl, sasl: config.sasl },
          logLevel: log.level,
          idempotent: config.producer.idempotent,
          transactionalId: exactlyOnce ? config.producer.transactionalId : undefined,
          acks: config.producer.acks,
          compression: config.producer.compression,
          maxRequestBytes: config.producer.maxRequestBytes,
          stateTopic: state,
        },
        log,
      );
      await producer.connect();
      const sending = producer;
      // Shards count into one set of breakdowns.
      const stats = options.stats ?? new PipelineStats();
      const processorFor = (ruleset: CompiledRuleSet, routed: boolean) =>
        new ChunkProcessor({
          ruleset,
          normalize: options.normalize,
          maxLineBytes: options.maxLineBytes,
          maxAlertIdsPerIncident: options.maxAlertIdsPerIncident,
          maxOpenIncidents: options.maxOpenIncidents,
          ...(options.eventTime ? { eventTime: options.eventTime } : {}),
          ...(options.onFutureDated ? { onFutureDated: options.onFutureDated } : {}),
          cases: options.cases,
          topics: { decisions, incidents, deadLetters },
          log,
          stats,
          onDecision: options.onDecision,
          recorder: options.recorder,
          ...(options.dedup ? { dedup: options.dedup } : {}),
          stateLoss: options.stateLoss,
          explanations: options.explanations,
          routed,
        });
      const deciderFor = (consumer: Consumer, processor: ChunkProcessor, inputTopics: readonly string[], statePartition: number, deciderLog: Logger) =>
        new Decider({
          consumer,
          admin,
          producer: sending,
          processor,
          groupId: config.groupId,
          inputTopics,
          stateTopic: state,
          statePartition,
          exactlyOnce,
          fromBeginning: config.consumer.fromBeginning,
          maxChunkMessages: config.consumer.maxChunkMessages,
          maxBufferedMessages: config.consumer.maxBufferedMessages,
          checkpointIntervalMs: config.state.checkpointIntervalMs,
          incidentUpdateIntervalMs: config.incidentUpdateIntervalMs,
          // A part is one message: below the broker's 1 MiB limit even if it does not compress.
          checkpointPartBytes: 512 * 1024,
          log: deciderLog,
          retry,
        });

      let stage: DecideStage & { onRebalancing(): void; onAssignment(a: Record<string, number[]>): void; onBatch: Decider['onBatch']; onSkipped: Decider['onSkipped'] };
      let consumer: Consumer;
      let pipeline: PipelineView;
      let processors: () => readonly ChunkProcessor[];
      if (config.shardBy) {
        // The assigner asks the shards which of them this worker decides; they need the consumer.
        let shards: ShardedDeciders | undefined;
        consumer = kafka.consumer({ ...consumerOptions(config), partitionAssigners: [shardAssigner({ repartition, state }, () => shards?.owned() ?? [])] });
        const shardConsumer = consumer;
        const shardProcessors = new Map<number, ChunkProcessor>();
        shards = new ShardedDeciders({
          consumer,
          repartitionTopic: repartition,
          stateTopic: state,
          ruleset: options.ruleset,
          log,
          createShard: (partition, ruleset) => {
            const processor = processorFor(ruleset, true);
            shardProcessors.set(partition, processor);
            return { decider: deciderFor(shardConsumer, processor, [repartition], partition, log.child({ shard: partition })), pipeline: processor.pipeline };
          },
        });
        const deciding = shards;
        pipeline = new ShardPipelines(() => deciding.pipelines(), stats, processorFor(options.ruleset, true).pipeline);
        processors = () => [...shardProcessors.values()];
        stage = shards;
        router = await Router.start({ kafka, config: { ...config, shardBy: config.shardBy }, normalize: options.normalize, maxLineBytes: options.maxLineBytes, producer, log, retry });
      } else {
        // The assigner asks the decider whether it owns the partitions; the decider needs the consumer.
        let decider: Decider | undefined;
        consumer = kafka.consumer({ ...consumerOptions(config), partitionAssigners: [soleOwnerAssigner(() => decider?.owner ?? false)] });
        const processor = processorFor(options.ruleset, false);
        decider = deciderFor(consumer, processor, input, 0, log);
        pipeline = processor.pipeline;
        processors = () => [processor];
        stage = decider;
      }
      const deciding = stage;
      consumer.on(consumer.events.REBALANCING, () => deciding.onRebalancing());
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => deciding.onAssignment(payload.memberAssignment));
      // Batches of only control records (transaction markers) never reach eachBatch.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        if (payload.batchSize === 0) deciding.onSkipped(payload.topic, payload.partition, Number(payload.lastOffset) + 1, Number(payload.highWatermark));
      });
      runner = new ConsumerRunner({
        consumer,
        topics: sharded ? [repartition, state] : [...input, state],
        fromBeginning: config.consumer.fromBeginning,
        run: {
          ...runOptions(),
          eachBatch: async ({ batch, resolveOffset, isStale }) => {
            // A seek is pending for this partition: the batch is from before it.
            if (isStale()) return;
            const last = batch.lastOffset();
            deciding.onBatch(batch.topic, batch.partition, batch.messages, Number(last) + 1, Number(batch.highWatermark));
            // Only fetch positions: the decider commits offsets itself.
            resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
          },
        },
        log,
        retry,
      });
      await runner.start();
      log.info(
        { brokers: config.brokers, groupId: config.groupId, input, outputs: { decisions, incidents, deadLetters }, state, delivery: config.delivery, ...(sharded ? { repartition, shards: config.shardPartitions } : {}) },
        'joining the consumer group',
      );
      return new KafkaWorker(pipeline, deciding, processors, runner, router, producer, admin, retry);
    } catch (err) {
      await router?.stop().catch(() => undefined);
      await runner?.stop().catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /** In the group(s) and consuming, if deciding past the recovery of the state, and no retry loop failing (commits, sends, ...). */
  ready(): boolean {
    return this.runner.ready() && (this.router?.ready() ?? true) && this.decider.settled && this.failing().length === 0;
  }

  private failing(): RetryLoop[] {
    this.retry.set('produce', this.producer.retries, this.producer.failing);
    return this.retry.failing();
  }

  stats(): KafkaWorkerStats {
    return {
      ...this.decider.stats,
      rejected: this.processors().reduce((n, p) => n + p.rejected, 0),
      produceRequests: this.producer.requests,
      sendRetries: this.producer.retries,
      consumerRestarts: this.runner.restarts + (this.router?.restarts ?? 0),
      failing: this.failing(),
      retries: { ...this.retry.retries },
      owner: this.decider.owner,
    };
  }

  /** Stops routing, sends what is decided, checkpoints the state, commits, leaves the group (partitions move at once) and disconnects. */
  async stop(): Promise<void> {
    try {
      await this.router?.stop();
      await this.decider.stop();
      await this.runner.stop();
    } finally {
      await this.producer.disconnect();
      await this.admin.disconnect();
    }
  }
}

/** The repartition topic: routed input, deleted by time (its records are decided, or decided again from it, well within the state's retention). */
function repartitionTopicConfig(state: KafkaConfig['state']): { name: string; value: string }[] {
  return [
    { name: 'cleanup.policy', value: 'delete' },
    { name: 'retention.ms', value: String(state.retentionMs) },
  ];
}

/**
 * With shards, a record's shard is its key's hash modulo kafka.shardPartitions: the repartition topic
 * must have exactly that many partitions, and the state topic one for each.
 */
async function checkShardTopics(admin: Admin, config: KafkaConfig): Promise<void> {
  const { repartition, state } = config.topics;
  const { topics } = await admin.fetchTopicMetadata({ topics: [repartition, state] });
  const count = (topic: string) => topics.find((t) => t.name === topic)?.partitions.length ?? 0;
  if (count(repartition) !== config.shardPartitions || count(state) < config.shardPartitions) {
    throw new MissingTopicsError(
      `kafka.shardPartitions is ${config.shardPartitions}, but the repartition topic "${repartition}" has ${count(repartition)} partitions and the state topic "${state}" ${count(state)}; ` +
        'the repartition topic needs exactly shardPartitions partitions and the state topic at least as many (create them so, or use new topic names)',
    );
  }
}

/** The state topic: one partition, old checkpoints and chunk records deleted by time and size, in small segments so they go soon. */
function stateTopicConfig(state: KafkaConfig['state']): { name: string; value: string }[] {
  return [
    { name: 'cleanup.policy', value: 'delete' },
    { name: 'retention.ms', value: String(state.retentionMs) },
    { name: 'retention.bytes', value: String(state.retentionBytes) },
    { name: 'segment.bytes', value: String(Math.min(64 * 1024 * 1024, Math.max(1024 * 1024, Math.floor(state.retentionBytes / 8)))) },
  ];
}
