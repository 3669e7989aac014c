import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, Message } from 'kafkajs';
import type { Logger } from 'pino';
import { producerOptions } from '../kafka/client-options.js';
import { RenewingProducer } from '../kafka/renewing-producer.js';
import { INPUT_PRODUCER, partitionCount, sendInput, UnkeyedPartitions } from '../kafka/send-input.js';
import type { Normalizer } from '../normalize/index.js';
import { FORMAT_HEADER, normalizerNamed } from '../pipeline/line-format.js';
import { MAX_LISTED_DEAD_LETTERS, Requests, type IngestBatch, type IngestOutcome, type IngestTarget } from './target.js';

/** How old a lag reading may be when a request asks whether the worker is behind. */
export const LAG_READING_MAX_AGE_MS = 1_000;

export interface KafkaIngestOptions {
  readonly kafka: Kafka;
  /** Where the lines go: one of the input topics. */
  readonly topic: string;
  /** The input topics and the group whose committed offsets say how far the decider is. */
  readonly inputTopics: readonly string[];
  readonly groupId: string;
  /** The worker's normalizer (input.format): what the decider will make of each line. */
  readonly normalize: Normalizer;
  readonly maxLineBytes: number;
  /** 429 while the input topics hold more than this many messages the group has not committed. */
  readonly maxLag: number;
  readonly retryAfterSeconds: number;
  readonly log: Pick<Logger, 'info' | 'warn'>;
  readonly now?: () => number;
  readonly newId?: () => string;
}

/**
 * HTTP input for the Kafka worker, on any worker of the group (decider or standby): the lines are
 * produced to an input topic and the request is answered once the broker has acknowledged them, so
 * the decider takes them like any other input message: in its merged order, with the same
 * guarantees, dead letters and accounting. The answer says which lines the decider will dead-letter:
 * the same normalizer reads them here first. A line over input.maxLineBytes is not produced (the
 * decider would dead-letter it, and the broker refuse a large one): the answer lists it.
 *
 * "Behind": the group's uncommitted messages on the input topics (high watermark minus committed
 * offset, summed over partitions) are more than maxLag, read at most LAG_READING_MAX_AGE_MS before.
 */
export class KafkaIngest implements IngestTarget {
  readonly maxLineBytes: number;
  readonly retryAfterSeconds: number;
  private lag: { value: number; atMs: number } | undefined;
  private readonly requests = new Requests();
  private reading: Promise<number> | undefined;
  private readonly now: () => number;
  private readonly newId: () => string;

  private constructor(
    private readonly options: KafkaIngestOptions,
    private readonly producer: RenewingProducer,
    private readonly admin: Admin,
    private readonly unkeyed: UnkeyedPartitions,
  ) {
    this.maxLineBytes = options.maxLineBytes;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? (() => `ing-${randomUUID()}`);
  }

  static async start(options: KafkaIngestOptions): Promise<KafkaIngest> {
    const producer = new RenewingProducer(() => options.kafka.producer(producerOptions({ producer: INPUT_PRODUCER })), options.log);
    const admin = options.kafka.admin();
    await producer.connect();
    let unkeyed: UnkeyedPartitions;
    try {
      await admin.connect();
      unkeyed = new UnkeyedPartitions(await partitionCount(admin, options.topic));
    } catch (err) {
      await admin.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    return new KafkaIngest(options, producer, admin, unkeyed);
  }

  async behind(): Promise<string | undefined> {
    if (this.requests.stopping) return 'the worker is stopping';
    const lag = await this.currentLag();
    return lag > this.options.maxLag ? `the input topics hold ${lag} messages the decider has not committed (ingest.http.maxLag ${this.options.maxLag})` : undefined;
  }

  async ingest(batch: IngestBatch): Promise<IngestOutcome> {
    const request = this.newId();
    const normalize = batch.format === undefined ? this.options.normalize : normalizerNamed(batch.format);
    const headers = batch.format === undefined ? undefined : { [FORMAT_HEADER]: batch.format };
    const messages: Message[] = [];
    const deadLetters: IngestOutcome['deadLetters'] = [];
    let accepted = 0;
    for (const line of batch.lines) {
      if ('oversized' in line) {
        deadLetters.push({ line: line.line, reason: `line is ${line.bytes} bytes, over the ${this.maxLineBytes}-byte limit (input.maxLineBytes); not produced` });
        continue;
      }
      const result = normalize(line.text, line.line);
      // A multi-alert record (an Alertmanager payload): the decider splits it the same way, each part an alert or a dead letter.
      for (const part of result.ok === 'split' ? result.parts : [result]) {
        if (part.ok) accepted++;
        else deadLetters.push({ line: line.line, reason: part.reason });
      }
      // A multi-alert record has no one alert id to key it by.
      messages.push({ key: result.ok === true ? result.alert.id : null, value: line.text, ...(headers ? { headers } : {}) });
    }
    await this.requests.track(sendInput(this.producer, this.options.topic, messages, this.unkeyed));
    this.options.log.info({ request, tokenName: batch.tokenName, topic: this.options.topic, lines: batch.lines.length, produced: messages.length, deadLettered: deadLetters.length }, 'HTTP input produced');
    return {
      request,
      lines: batch.lines.length,
      accepted,
      deadLettered: deadLetters.length,
      deadLetters: deadLetters.slice(0, MAX_LISTED_DEAD_LETTERS),
      topic: this.options.topic,
    };
  }

  /** Refuses new requests, waits for those being sent, disconnects. */
  async stop(): Promise<void> {
    await this.requests.stop();
    await this.producer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }

  /** The group's lag on the input topics, read again when the last reading is older than LAG_READING_MAX_AGE_MS (one read at a time). */
  private async currentLag(): Promise<number> {
    const nowMs = this.now();
    if (this.lag !== undefined && nowMs - this.lag.atMs < LAG_READING_MAX_AGE_MS) return this.lag.value;
    this.reading ??= this.readLag()
      .then((value) => {
        this.lag = { value, atMs: this.now() };
        return value;
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readLag(): Promise<number> {
    const { admin, options } = this;
    const committed = await admin.fetchOffsets({ groupId: options.groupId, topics: [...options.inputTopics] });
    let lag = 0;
    for (const topic of options.inputTopics) {
      const ends = await admin.fetchTopicOffsets(topic);
      const done = committed.find((c) => c.topic === topic)?.partitions ?? [];
      for (const { partition, high, low } of ends) {
        const offset = Number(done.find((p) => p.partition === partition)?.offset ?? -1);
        lag += Number(high) - (offset >= 0 ? offset : Number(low));
      }
    }
    return lag;
  }
}
