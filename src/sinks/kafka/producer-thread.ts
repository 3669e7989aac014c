import { Worker } from 'node:worker_threads';
import type { TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import type { ConnectionConfig } from '../../kafka/client-options.js';
import type { SendContext } from './output-sender.js';

/** What the thread is started with (workerData): plain data, no functions. */
export interface ProducerThreadConfig {
  readonly connection: ConnectionConfig;
  readonly logLevel: string;
  readonly idempotent: boolean;
  /** Set for exactly-once: the thread's producer is transactional. */
  readonly transactionalId?: string | undefined;
  readonly acks: -1 | 1;
  readonly compression: 'gzip' | 'none';
  readonly maxRequestBytes: number;
  /** The state topic: the broker's offsets for the messages sent to a send's state partition come back. */
  readonly stateTopic: string;
}

/** Input offsets to commit in a transaction, and the state-topic pointer (moved to a checkpoint the transaction writes). */
export interface TransactionOffsets {
  readonly consumerGroupId: string;
  readonly positions: readonly (readonly [string, number, number])[];
  readonly statePointer: number | undefined;
  /** The transaction writes a checkpoint: its first part is the state message at this index. */
  readonly pointerAtCheckpoint?: { readonly index: number } | undefined;
}

/**
 * Whose sends: a decider's term (epoch) on its state partition (0 without shards, the shard with
 * them), or the router's (partition -1: it writes no state). Cancelling a term gives up the retries
 * of that partition's sends up to it, and of no other partition's.
 */
export interface SendTerm {
  readonly statePartition: number;
  readonly epoch: number;
}

export type ToProducer =
  | { type: 'connect' | 'disconnect'; id: number }
  | { type: 'send'; id: number; term: SendTerm; topicMessages: TopicMessages[]; context: SendContext }
  | { type: 'transaction'; id: number; term: SendTerm; topicMessages: TopicMessages[]; context: SendContext; offsets: TransactionOffsets }
  | { type: 'cancel'; term: SendTerm };

export type FromProducer =
  | { type: 'status' }
  | { type: 'done'; id: number }
  | { type: 'sent'; id: number; stateOffsets: number[]; statePointer?: number | undefined }
  | { type: 'failed'; id: number; error: { message: string; name?: string | undefined; type?: string | undefined } };

/** The thread's sender's counters, sent with every answer and whenever its sends start or stop failing. */
export interface ProducerStats {
  readonly requests: number;
  readonly retries: number;
  readonly splits: number;
  /** A request failed and is being tried again. */
  readonly failing: boolean;
}

/** An error the producer thread reported, with kafkajs' error type (e.g. INVALID_PRODUCER_EPOCH). */
export class ProducerThreadError extends Error {
  override name = 'ProducerThreadError';
  constructor(
    message: string,
    readonly type: string | undefined,
  ) {
    super(message);
  }
}

/**
 * The worker's producer runs in a thread of its own (worker_threads): producing a chunk's outputs
 * (encoding thousands of records, compressing them) costs about as much CPU as deciding them, and in
 * a thread it runs on the other core while the decide loop goes on. Messages are copied to the thread
 * (structured clone); the broker's answer (offsets per partition) comes back.
 */
export class ProducerThread {
  requests = 0;
  retries = 0;
  splits = 0;
  /** Its last request failed and is being tried again. */
  failing = false;
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: FromProducer) => void }>();
  private exited: Error | undefined;

  constructor(config: ProducerThreadConfig, log: Logger) {
    this.worker = new Worker(new URL('./producer-thread-entry.js', import.meta.url), { workerData: config });
    this.worker.on('message', (message: FromProducer & { stats?: ProducerStats }) => {
      if (message.stats) ({ requests: this.requests, retries: this.retries, splits: this.splits, failing: this.failing } = message.stats);
      if (message.type === 'status') return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      waiter?.resolve(message);
    });
    this.worker.on('error', (err) => log.error({ err }, 'the producer thread failed'));
    this.worker.on('exit', (code) => {
      this.exited = new Error(`the producer thread exited (code ${code})`);
      for (const waiter of this.pending.values()) waiter.resolve({ type: 'failed', id: 0, error: { message: this.exited.message } });
      this.pending.clear();
    });
  }

  async connect(): Promise<void> {
    await this.call({ type: 'connect', id: this.nextId++ });
  }

  /**
   * Sends (retrying while the term is not cancelled) and resolves, once the broker acknowledged all,
   * with the offsets it gave the messages sent to the term's state partition, in order.
   */
  async send(topicMessages: TopicMessages[], context: SendContext, term: SendTerm): Promise<number[]> {
    const answer = await this.call({ type: 'send', id: this.nextId++, term, topicMessages, context });
    return (answer as Extract<FromProducer, { type: 'sent' }>).stateOffsets;
  }

  /** One transaction: the messages and the offsets, committed together; rejects (aborted) on failure. */
  async transaction(topicMessages: TopicMessages[], context: SendContext, term: SendTerm, offsets: TransactionOffsets): Promise<{ stateOffsets: number[]; statePointer: number | undefined }> {
    const answer = (await this.call({ type: 'transaction', id: this.nextId++, term, topicMessages, context, offsets })) as Extract<FromProducer, { type: 'sent' }>;
    return { stateOffsets: answer.stateOffsets, statePointer: answer.statePointer };
  }

  /** Gives up the retries of a term's sends: its decider lost the partitions. */
  cancel(term: SendTerm): void {
    this.worker.postMessage({ type: 'cancel', term } satisfies ToProducer);
  }

  async disconnect(): Promise<void> {
    if (this.exited === undefined) await this.call({ type: 'disconnect', id: this.nextId++ }).catch(() => undefined);
    await this.worker.terminate();
  }

  private call(message: Exclude<ToProducer, { type: 'cancel' }>): Promise<FromProducer> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, {
        resolve: (answer) => (answer.type === 'failed' ? reject(new ProducerThreadError(answer.error.message, answer.error.type)) : resolve(answer)),
      });
      this.worker.postMessage(message);
    });
  }
}
