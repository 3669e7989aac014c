import type { Producer, ProducerBatch, ProducerRecord, RecordMetadata, Transaction } from 'kafkajs';
import type { Logger } from 'pino';

/** What the broker answers when it no longer accepts an idempotent producer's sequence numbers. */
const PRODUCER_STATE_LOST = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_ID_MAPPING']);

/**
 * A kafkajs producer (idempotent, or transactional) that is replaced when the broker no longer
 * accepts its sequence numbers: the broker lost the producer's state (UNKNOWN_PRODUCER_ID, after
 * retention or a restart), or kafkajs fell out of step with it. kafkajs never starts over by itself,
 * so every later send would fail the same way. The new producer has a new producer id (a
 * transactional one the same transactional id, with a new epoch) and connects on its first use;
 * what was being sent is sent again, identical, which at-least-once allows.
 */
export class RenewingProducer {
  private producer: Producer;
  /** Replaced and not connected yet: it connects on its first use (which retries if it cannot). */
  private renewed = false;

  constructor(
    private readonly create: () => Producer,
    private readonly log: Pick<Logger, 'warn'>,
  ) {
    this.producer = create();
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  /** sendBatch, once more through a new producer if the broker refused this one's sequence numbers. */
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.renewingOnce((producer) => producer.sendBatch(batch));
  }

  /** send, as sendBatch. */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.renewingOnce((producer) => producer.send(record));
  }

  /** A transaction of the current producer (after a failed one, call renewIfStateLost with its error). */
  async transaction(): Promise<Transaction> {
    return (await this.current()).transaction();
  }

  /** Replaces the producer when `err` says the broker lost its state; returns whether it did. */
  async renewIfStateLost(err: unknown): Promise<boolean> {
    const type = [err, (err as { cause?: unknown } | undefined)?.cause]
      .map((e) => (e as { type?: unknown } | undefined)?.type)
      .find((t): t is string => typeof t === 'string' && PRODUCER_STATE_LOST.has(t));
    if (type === undefined) return false;
    this.log.warn({ type }, "the broker refused the producer's sequence numbers; starting a new producer");
    await this.producer.disconnect().catch(() => undefined);
    this.producer = this.create();
    this.renewed = true;
    return true;
  }

  private async renewingOnce<T>(use: (producer: Producer) => Promise<T>): Promise<T> {
    try {
      return await use(await this.current());
    } catch (err) {
      if (!(await this.renewIfStateLost(err))) throw err;
      return use(await this.current());
    }
  }

  private async current(): Promise<Producer> {
    if (this.renewed) {
      await this.producer.connect();
      this.renewed = false;
    }
    return this.producer;
  }
}
