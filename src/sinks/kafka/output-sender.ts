import { setTimeout as sleep } from 'node:timers/promises';
import type { CompressionTypes, Message, ProducerBatch, RecordMetadata, TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { DEFAULT_BACKOFF, jitteredBackoffMs, type Backoff } from '../../kafka/backoff.js';
import { requestChunks } from './request-chunks.js';

/** A producer or a transaction. */
export interface Sender {
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
}

/** Which chunks of input a send carries outputs for, for logs. */
export interface SendContext {
  readonly chunks: readonly number[];
}

/** One produce request and the broker's answer: the base offset per topic-partition it wrote. */
export interface SentRequest {
  readonly topicMessages: readonly TopicMessages[];
  readonly metadata: readonly RecordMetadata[];
}

export interface OutputSenderOptions {
  readonly acks: -1 | 1;
  readonly compression: CompressionTypes;
  /** Most bytes of messages per produce request (below the broker's message.max.bytes). */
  readonly maxRequestBytes: number;
  readonly log: Logger;
  readonly backoff?: Backoff;
  /**
   * Called with a failed request's error before it is tried again outside a transaction (e.g. to
   * replace a producer whose idempotence state the broker no longer accepts).
   */
  readonly beforeRetry?: (err: unknown) => Promise<void>;
  /** Called when `failing` changes (a request failed and is to be tried again; one went through). */
  readonly onFailingChange?: (failing: boolean) => void;
}

/**
 * Sends messages with sendBatch (one request, or as few as the size limit allows, one after the
 * other) and resolves once the broker has acknowledged all of them (acks -1: every in-sync replica).
 * A failed request is tried again, with backoff, for as long as `keepTrying()` says; the caller
 * commits offsets only after this resolves. `producer` is a producer or a transaction.
 */
export class OutputSender {
  /** Produce requests in all. */
  requests = 0;
  /** Failed requests that were tried again. */
  retries = 0;
  /** Requests the broker refused as too large (the request size is halved each time). */
  splits = 0;
  /** The last request failed and is being tried again. */
  failing = false;
  private readonly backoff: Backoff;
  /** Starts at maxRequestBytes; halved when the broker refuses a request as too large. */
  private requestBytes: number;

  constructor(
    private readonly producer: Sender,
    private readonly options: OutputSenderOptions,
  ) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.requestBytes = options.maxRequestBytes;
  }

  async send(topicMessages: readonly TopicMessages[], context: SendContext, keepTrying: () => boolean, via: Sender = this.producer): Promise<SentRequest[]> {
    const sent: SentRequest[] = [];
    for (const chunk of requestChunks(topicMessages, this.requestBytes)) sent.push(...(await this.sendOne(chunk, context, keepTrying, via)));
    return sent;
  }

  private async sendOne(topicMessages: TopicMessages[], context: SendContext, keepTrying: () => boolean, via: Sender): Promise<SentRequest[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.requests++;
        const metadata = await via.sendBatch({ topicMessages, acks: this.options.acks, compression: this.options.compression });
        this.setFailing(false);
        return [{ topicMessages, metadata }];
      } catch (err) {
        if (tooLarge(err) && this.requestBytes > MIN_REQUEST_BYTES) {
          // Compressed less than expected: over the broker's limit, nothing of it written. Smaller from now on.
          this.requestBytes = Math.max(MIN_REQUEST_BYTES, Math.floor(this.requestBytes / 2));
          this.splits++;
          this.options.log.warn({ ...context, maxRequestBytes: this.requestBytes }, 'the broker refused a produce request as too large; sending smaller ones');
          // Inside a transaction the whole transaction is sent again (it was aborted); else only this request.
          if (!keepTrying()) throw err;
          const sent: SentRequest[] = [];
          for (const chunk of requestChunks(topicMessages, this.requestBytes)) sent.push(...(await this.sendOne(chunk, context, keepTrying, via)));
          return sent;
        }
        // Stopping, or the partitions moved (or a transaction, sent again whole): leave it uncommitted; whoever decides next sends it again.
        if (!keepTrying()) {
          this.setFailing(false);
          throw err;
        }
        this.retries++;
        this.setFailing(true);
        const retryInMs = jitteredBackoffMs(attempt, this.backoff);
        this.options.log.error({ err, ...context, attempt, retryInMs }, 'producing outputs failed; trying again (their input stays uncommitted)');
        await sleep(retryInMs);
        if (via === this.producer) await this.options.beforeRetry?.(err);
      }
    }
  }

  private setFailing(failing: boolean): void {
    if (this.failing === failing) return;
    this.failing = failing;
    this.options.onFailingChange?.(failing);
  }
}

/** Requests are not made smaller than this when the broker refuses one as too large. */
const MIN_REQUEST_BYTES = 64 * 1024;

function tooLarge(err: unknown): boolean {
  const types = [err, ...((err as { errors?: unknown[] } | undefined)?.errors ?? [])].map((e) => (e as { type?: string } | undefined)?.type);
  return types.includes('MESSAGE_TOO_LARGE') || types.includes('RECORD_LIST_TOO_LARGE');
}

/**
 * The offsets the broker gave the messages sent to one partition of `topic` (with `partition` set
 * explicitly, as the state topic's are), in the order they were given.
 */
export function offsetsOf(topic: string, partition: number, sent: readonly SentRequest[]): number[] {
  const offsets: number[] = [];
  for (const { topicMessages, metadata } of sent) {
    const messages: Message[] = topicMessages.filter((t) => t.topic === topic).flatMap((t) => t.messages.filter((m) => m.partition === partition));
    if (messages.length === 0) continue;
    const base = metadata.find((m) => m.topicName === topic && m.partition === partition)?.baseOffset;
    if (base === undefined) throw new Error(`the broker did not say where it wrote ${topic}-${partition}`);
    for (let i = 0; i < messages.length; i++) offsets.push(Number(base) + i);
  }
  return offsets;
}
