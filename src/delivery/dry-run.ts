import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DeliveryResult, Notification, Receiver, ReceiverState } from '../receivers/receiver.js';

/** One line of the dry-run file: what would have been sent, to whom, by which call. */
export interface DryRunLine {
  /** Wall clock when it would have been sent (ISO). */
  readonly at: string;
  readonly receiver: string;
  readonly method: 'send' | 'update' | 'resolve';
  readonly notification: Notification;
}

/**
 * `delivery.dryRun` (`run --dry-run`): stands in for every receiver, under its name, and appends what
 * would have been sent to an NDJSON file instead of sending it. Everything else (outbox, order,
 * escalation, rate limits) runs as it would for real, so the file shows who would have been told, when.
 */
export class DryRunReceiver implements Receiver {
  readonly type = 'dry-run';
  private ready: Promise<unknown> | undefined;

  constructor(
    readonly name: string,
    private readonly file: string,
    private readonly now: () => number = Date.now,
  ) {}

  send(notification: Notification, _state: ReceiverState): Promise<DeliveryResult> {
    return this.write('send', notification);
  }

  update(notification: Notification, _state: ReceiverState): Promise<DeliveryResult> {
    return this.write('update', notification);
  }

  resolve(notification: Notification, _state: ReceiverState): Promise<DeliveryResult> {
    return this.write('resolve', notification);
  }

  private async write(method: DryRunLine['method'], notification: Notification): Promise<DeliveryResult> {
    this.ready ??= mkdir(dirname(this.file), { recursive: true });
    await this.ready;
    const line: DryRunLine = { at: new Date(this.now()).toISOString(), receiver: this.name, method, notification };
    await appendFile(this.file, `${JSON.stringify(line)}\n`);
    return { outcome: 'delivered' };
  }
}
