import { setTimeout as sleep } from 'node:timers/promises';
import type { Message, ProducerBatch, RecordMetadata, TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { backoffMs, DEFAULT_BACKOFF, type Backoff } from '../../kafka/backoff.js';
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
  /** Most bytes of messages per produce request (below the broker's message.max.bytes). */
  readonly maxRequestBytes: number;
  readonly log: Logger;
  readonly backoff?: Backoff;
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
  private readonly backoff: Backoff;

  constructor(
    private readonly producer: Sender,
    private readonly options: OutputSenderOptions,
  ) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  async send(topicMessages: readonly TopicMessages[], context: SendContext, keepTrying: () => boolean, via: Sender = this.producer): Promise<SentRequest[]> {
    const sent: SentRequest[] = [];
    for (const chunk of requestChunks(topicMessages, this.options.maxRequestBytes)) sent.push(await this.sendOne(chunk, context, keepTrying, via));
    return sent;
  }

  private async sendOne(topicMessages: TopicMessages[], context: SendContext, keepTrying: () => boolean, via: Sender): Promise<SentRequest> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.requests++;
        return { topicMessages, metadata: await via.sendBatch({ topicMessages, acks: this.options.acks }) };
      } catch (err) {
        // Stopping, or the partitions moved: leave it uncommitted; whoever decides next sends it again.
        if (!keepTrying()) throw err;
        this.retries++;
        const retryInMs = backoffMs(attempt, this.backoff);
        this.options.log.error({ err, ...context, attempt, retryInMs }, 'producing outputs failed; trying again (their input stays uncommitted)');
        await sleep(retryInMs);
      }
    }
  }
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
