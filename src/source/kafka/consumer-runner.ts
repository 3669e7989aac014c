import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, ConsumerRunConfig } from 'kafkajs';
import type { Logger } from 'pino';
import { DEFAULT_BACKOFF, jitteredBackoffMs, type Backoff } from '../../kafka/backoff.js';
import type { RetryStatus } from '../../kafka/retry-status.js';

export interface ConsumerRunnerOptions {
  readonly consumer: Consumer;
  readonly topics: readonly string[];
  readonly fromBeginning: boolean;
  /** Passed to consumer.run (eachBatch and the commit settings). */
  readonly run: ConsumerRunConfig;
  readonly log: Logger;
  readonly backoff?: Backoff;
  /** Counts the restarts that failed (loop `consumer_restart`) and says while they do. */
  readonly retry?: RetryStatus;
}

/**
 * Keeps a kafkajs consumer running: connect, subscribe, run, and start it again when it crashes for
 * good. kafkajs restarts a consumer itself only after a retriable error; "group coordinator not
 * found" while the broker is away is not one, and the consumer would then stay stopped (kafkajs
 * issues #1445, #1630; docs/kafka.md). Ready means: a member of the group, not stopping.
 */
export class ConsumerRunner {
  /** Restarts after a crash kafkajs did not restart from. */
  restarts = 0;
  private joined = false;
  private stopping = false;
  private restarting: Promise<void> | undefined;
  /** Cuts a restart's backoff short when stopping. */
  private readonly stopped = new AbortController();
  private readonly backoff: Backoff;

  constructor(private readonly options: ConsumerRunnerOptions) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    const { consumer, log } = options;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.joined = true;
      log.info({ groupId: payload.groupId, memberId: payload.memberId, assignment: payload.memberAssignment }, 'joined the consumer group');
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.joined = false;
      if (this.stopping) return;
      log.error({ err: payload.error, groupId: payload.groupId, restartedByKafkajs: payload.restart }, 'the Kafka consumer crashed');
      if (!payload.restart) this.restartLater();
    });
    consumer.on(consumer.events.DISCONNECT, () => {
      this.joined = false;
    });
    consumer.on(consumer.events.STOP, () => {
      this.joined = false;
    });
  }

  ready(): boolean {
    return this.joined && !this.stopping;
  }

  /** Connects and starts consuming; resolves once kafkajs runs (joining the group happens after). */
  async start(): Promise<void> {
    const { consumer, topics, fromBeginning, run } = this.options;
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning });
    await consumer.run(run);
  }

  /** Stops fetching, waits for the batch in flight (its sends and commit), leaves the group and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.joined = false;
    this.stopped.abort();
    await this.restarting;
    await this.options.consumer.disconnect();
  }

  private restartLater(): void {
    this.restarting ??= this.restartWithBackoff().finally(() => (this.restarting = undefined));
  }

  private async restartWithBackoff(): Promise<void> {
    const { consumer, log } = this.options;
    for (let attempt = 1; !this.stopping; attempt++) {
      const delayMs = jitteredBackoffMs(attempt, this.backoff);
      log.warn({ attempt, delayMs }, 'starting the Kafka consumer again');
      await sleep(delayMs, undefined, { signal: this.stopped.signal }).catch(() => undefined);
      if (this.stopping) return;
      try {
        // kafkajs disconnected it when it crashed.
        await this.start();
        this.restarts++;
        this.options.retry?.recovered('consumer_restart');
        return;
      } catch (err) {
        this.options.retry?.failed('consumer_restart');
        log.error({ err, attempt }, 'starting the Kafka consumer again failed');
        await consumer.disconnect().catch(() => undefined);
      }
    }
  }
}
