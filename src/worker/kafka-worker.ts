import { Kafka, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaConfig } from '../config/kafka.js';
import { clientOptions, consumerOptions, producerOptions, runOptions } from '../kafka/client-options.js';
import { ensureTopics } from '../kafka/topics.js';
import type { Normalizer } from '../normalize/index.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { OutputSender } from '../sinks/kafka/output-sender.js';
import { ConsumerRunner } from '../source/kafka/consumer-runner.js';
import { createBatchHandler, type BatchHandlerStats } from './batch-handler.js';
import { BatchProcessor } from './batch-processor.js';

export interface KafkaWorkerOptions {
  readonly kafka: KafkaConfig;
  readonly ruleset: CompiledRuleSet;
  readonly normalize: Normalizer;
  readonly maxLineBytes: number;
  readonly maxAlertIdsPerIncident: number;
  readonly maxOpenIncidents: number;
  readonly log: Logger;
}

/** What the worker has done so far, for metrics and the shutdown summary. */
export interface KafkaWorkerStats extends BatchHandlerStats {
  /** Messages dead-lettered before the pipeline (no value, empty, not UTF-8). */
  rejected: number;
  produceRequests: number;
  sendRetries: number;
  consumerRestarts: number;
}

/**
 * The worker on Kafka: input topics → BatchProcessor (pipeline) → output topics, at-least-once. One
 * pipeline for all partitions this process is assigned (exact for one worker; docs/kafka.md, "Not yet").
 */
export class KafkaWorker {
  private constructor(
    readonly processor: BatchProcessor,
    private readonly runner: ConsumerRunner,
    private readonly producer: Producer,
    private readonly sender: OutputSender,
    private readonly handlerStats: BatchHandlerStats,
  ) {}

  /** Checks or creates the topics, connects the producer, starts consuming. Fails (nothing left running) if any step does. */
  static async start(options: KafkaWorkerOptions): Promise<KafkaWorker> {
    const { kafka: config, log } = options;
    const kafka = new Kafka(clientOptions(config, log));
    const { input, decisions, incidents, deadLetters } = config.topics;

    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await ensureTopics(admin, {
        topics: [...input, decisions, incidents, deadLetters],
        create: config.createTopics.enabled,
        partitions: config.createTopics.partitions,
        replicationFactor: config.createTopics.replicationFactor,
      });
      if (created.length > 0) log.info({ topics: created }, 'created Kafka topics');
    } finally {
      await admin.disconnect();
    }

    const producer = kafka.producer(producerOptions(config));
    await producer.connect();
    const processor = new BatchProcessor({
      ruleset: options.ruleset,
      normalize: options.normalize,
      maxLineBytes: options.maxLineBytes,
      maxAlertIdsPerIncident: options.maxAlertIdsPerIncident,
      maxOpenIncidents: options.maxOpenIncidents,
      topics: { decisions, incidents, deadLetters },
      log,
    });
    const sender = new OutputSender(producer, { acks: config.producer.acks, maxRequestBytes: config.producer.maxRequestBytes, log });
    const handler = createBatchHandler(processor, sender);
    const runner = new ConsumerRunner({
      consumer: kafka.consumer(consumerOptions(config)),
      topics: input,
      fromBeginning: config.consumer.fromBeginning,
      run: { ...runOptions(config), eachBatch: handler.eachBatch },
      log,
    });
    try {
      await runner.start();
    } catch (err) {
      await runner.stop().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    log.info({ brokers: config.brokers, groupId: config.groupId, input, outputs: { decisions, incidents, deadLetters } }, 'consuming alerts from Kafka');
    return new KafkaWorker(processor, runner, producer, sender, handler.stats);
  }

  /** In the group and consuming: not before the first join, not while crashed, restarting or stopping. */
  ready(): boolean {
    return this.runner.ready();
  }

  stats(): KafkaWorkerStats {
    return {
      ...this.handlerStats,
      rejected: this.processor.rejected,
      produceRequests: this.sender.requests,
      sendRetries: this.sender.retries,
      consumerRestarts: this.runner.restarts,
    };
  }

  /** Stops fetching, lets the batch in flight finish (sends, acks, commit), leaves the group, disconnects. */
  async stop(): Promise<void> {
    try {
      await this.runner.stop();
    } finally {
      await this.producer.disconnect();
    }
  }
}
