import { setTimeout as sleep } from 'node:timers/promises';
import type { Producer, TopicMessages } from 'kafkajs';
import type { Logger } from 'pino';
import { backoffMs, DEFAULT_BACKOFF, type Backoff } from '../../kafka/backoff.js';
import { requestChunks } from './request-chunks.js';

/** Which input messages a send carries outputs for, for logs. */
export interface SendContext {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
}

export interface OutputSenderOptions {
  readonly acks: -1 | 1;
  /** Most bytes of messages per produce request (below the broker's message.max.bytes). */
  readonly maxRequestBytes: number;
  readonly log: Logger;
  readonly backoff?: Backoff;
}

/**
 * Sends one batch's outputs with producer.sendBatch (one request, or as few as the size limit allows,
 * one after the other) and resolves once the broker has acknowledged all of them (acks -1: every
 * in-sync replica). A failed request is tried again, with backoff, for as long as `keepTrying()` says;
 * the caller commits the batch's offsets only after this resolves.
 */
export class OutputSender {
  /** Produce requests in all. */
  requests = 0;
  /** Failed requests that were tried again. */
  retries = 0;
  private readonly backoff: Backoff;

  constructor(
    private readonly producer: Producer,
    private readonly options: OutputSenderOptions,
  ) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  async send(topicMessages: readonly TopicMessages[], context: SendContext, keepTrying: () => boolean): Promise<void> {
    for (const chunk of requestChunks(topicMessages, this.options.maxRequestBytes)) await this.sendOne(chunk, context, keepTrying);
  }

  private async sendOne(topicMessages: TopicMessages[], context: SendContext, keepTrying: () => boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.requests++;
        await this.producer.sendBatch({ topicMessages, acks: this.options.acks });
        return;
      } catch (err) {
        // Stopping: leave the batch uncommitted; whoever consumes the partition next decides it again.
        if (!keepTrying()) throw err;
        this.retries++;
        const retryInMs = backoffMs(attempt, this.backoff);
        this.options.log.error({ err, ...context, attempt, retryInMs }, 'producing the outputs of a batch failed; trying again (its offsets stay uncommitted)');
        await sleep(retryInMs);
      }
    }
  }
}
