import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { Ledger } from '../ledger/ledger.js';
import { RenewingProducer } from '../kafka/renewing-producer.js';
import { refusedAsData } from '../ledger/storable-text.js';
import { deadLetter } from '../pipeline/dead-letter.js';
import { feedbackAuditOf } from './feedback.js';
import { parseFeedback } from './import-file.js';

export interface FeedbackConsumerOptions {
  /** A kafkajs client (the worker's: `new Kafka(clientOptions(config.kafka, log))`). */
  readonly kafka: Kafka;
  readonly topic: string;
  /** Its own consumer group: verdicts are consumed apart from alerts. */
  readonly groupId: string;
  /** Malformed messages and verdicts on unknown incidents go here; without it they are logged, counted and skipped. */
  readonly deadLetterTopic?: string | undefined;
  readonly ledger: Pick<Ledger, 'addFeedback'>;
  readonly log: Logger;
  /** Recorded verdicts go to the audit trail (actor `kafka:<topic>`). */
  readonly audit?: AuditLog | undefined;
  /** Where a group with no committed offset starts (default: the earliest message). */
  readonly fromBeginning?: boolean;
  readonly sessionTimeoutMs?: number;
}

export interface FeedbackConsumerStats {
  /** Messages handled (whatever became of them). */
  received: number;
  recorded: number;
  duplicates: number;
  unknownIncident: number;
  malformed: number;
  /** Valid verdicts the ledger refused as data (it cannot store them): dead-lettered, not tried again. */
  unstorable: number;
  deadLettered: number;
}

/**
 * Verdicts from a Kafka topic, for pipelines that already emit them (a SOAR, a ticket system's
 * webhook bridge). Each message is one FeedbackLine as JSON (what `alertgate feedback import` reads
 * per line), recorded in the ledger with source `kafka:<topic>`. At-least-once: a message's offset is
 * committed after the ledger has it, and recording is idempotent, so a redelivery changes nothing.
 * A message that is not a valid verdict, or names an incident the ledger does not know, is logged
 * (topic, partition, offset, reason: never the whole value), counted and, when a dead-letter topic
 * is configured, sent there with `alertgate-error` and `alertgate-source-*` headers; the consumer
 * goes on. Text the ledger cannot store (NUL, a lone surrogate) is refused by the schema; a verdict the
 * ledger still refuses as data (refusedAsData) is dead-lettered the same way, since it would fail
 * again forever and hold up every verdict after it. Any other ledger failure (unreachable, busy) is not
 * skipped: kafkajs retries the message.
 */
export class KafkaFeedbackConsumer {
  readonly stats: FeedbackConsumerStats = { received: 0, recorded: 0, duplicates: 0, unknownIncident: 0, malformed: 0, unstorable: 0, deadLettered: 0 };
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  private constructor(
    private readonly options: FeedbackConsumerOptions,
    private readonly consumer: Consumer,
    private readonly producer: RenewingProducer | undefined,
  ) {}

  static async start(options: FeedbackConsumerOptions): Promise<KafkaFeedbackConsumer> {
    const consumer = options.kafka.consumer({ groupId: options.groupId, sessionTimeout: options.sessionTimeoutMs ?? 10_000, allowAutoTopicCreation: false, maxWaitTimeInMs: 1_000 });
    const producer = options.deadLetterTopic ? new RenewingProducer(() => options.kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 }), options.log) : undefined;
    const self = new KafkaFeedbackConsumer(options, consumer, producer);
    try {
      await producer?.connect();
      await consumer.connect();
      await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromBeginning ?? true });
      await consumer.run({ eachMessage: (payload) => self.handle(payload) });
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
      throw err;
    }
    options.log.info({ topic: options.topic, groupId: options.groupId, deadLetterTopic: options.deadLetterTopic ?? null }, 'consuming feedback from Kafka');
    return self;
  }

  /** Resolves once `count` messages have been handled in all (for tests and orderly shutdowns). */
  handled(count: number): Promise<void> {
    if (this.stats.received >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async stop(): Promise<void> {
    try {
      await this.consumer.disconnect();
    } finally {
      await this.producer?.disconnect();
    }
  }

  private async handle({ topic, partition, message }: EachMessagePayload): Promise<void> {
    const source = { topic, partition, offset: message.offset };
    const text = message.value?.toString('utf8') ?? '';
    const parsed = message.value === null ? { ok: false as const, problems: ['no value (a tombstone)'] } : parseFeedback(text);
    if (!parsed.ok) {
      this.stats.malformed++;
      await this.reject(source, text, parsed.problems.join('; '));
    } else {
      const result = await this.options.ledger.addFeedback(parsed.feedback, `kafka:${topic}`).catch((err: unknown) => {
        if (refusedAsData(err)) return { status: 'unstorable' as const, why: (err as Error).message };
        throw err;
      });
      if (result.status === 'unstorable') {
        this.stats.unstorable++;
        await this.reject(source, text, `the ledger cannot store it: ${result.why}`);
      } else if (result.status === 'not_found') {
        this.stats.unknownIncident++;
        await this.reject(source, text, `unknown incident ${parsed.feedback.incidentId}`);
      } else if (result.status === 'duplicate') this.stats.duplicates++;
      else {
        this.stats.recorded++;
        this.options.audit?.feedback(feedbackAuditOf(result, `kafka:${topic}`));
      }
    }
    this.stats.received++;
    for (const w of [...this.waiters]) {
      if (this.stats.received >= w.count) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  private async reject(source: { topic: string; partition: number; offset: string }, text: string, reason: string): Promise<void> {
    this.options.log.warn({ ...source, reason }, 'feedback message rejected');
    if (!this.producer || !this.options.deadLetterTopic) return;
    const { raw, truncated } = deadLetter(1, reason, text);
    await this.producer.send({
      topic: this.options.deadLetterTopic,
      messages: [
        {
          key: `${source.topic}-${source.partition}-${source.offset}`,
          value: JSON.stringify({ ...source, reason, raw, truncated }),
          headers: {
            'alertgate-error': reason,
            'alertgate-source-topic': source.topic,
            'alertgate-source-partition': String(source.partition),
            'alertgate-source-offset': source.offset,
          },
        },
      ],
    });
    this.stats.deadLettered++;
  }
}
