import type { Logger } from 'pino';
import type { Backoff } from '../kafka/backoff.js';
import type { CaseChange } from '../ledger/case-store.js';
import type { Outbox } from '../ledger/outbox.js';
import type { NotificationRow } from '../ledger/rows.js';
import { renderLink } from '../receivers/config.js';
import { CaseNotice, type DeliveryResult, type Notification, type NotificationKind, type Receiver } from '../receivers/receiver.js';
import { scrubSecrets } from '../receivers/secrets.js';
import { RateLimiter, type Rate } from './rate-limit.js';
import { retryDelayMs } from './retry.js';

export interface DelivererOptions {
  readonly outbox: Pick<Outbox, 'due' | 'told' | 'receiverState' | 'delivered' | 'retry' | 'defer' | 'dead'>;
  /** The configured receivers by name. */
  readonly receivers: ReadonlyMap<string, Receiver>;
  readonly maxAttempts: number;
  readonly backoff: Backoff;
  readonly timeoutMs: number;
  /** The rate of a receiver (its name). */
  readonly rateOf: (receiver: string) => Rate;
  /** Told when a notification to another receiver is dead-lettered. */
  readonly fallback?: string | undefined;
  /** `receivers.link`: the link every notice carries, `{{caseId}}` replaced (renderLink). */
  readonly link?: string | undefined;
  readonly concurrency: number;
  readonly now: () => number;
  /** [0, 1): the jitter of retries. */
  readonly random: () => number;
  readonly log: Logger;
  /** Sees the case events dead letters write (audit log). */
  readonly onChanges?: ((changes: readonly CaseChange[]) => void) | undefined;
}

/** What one pass over the due notifications did. */
export interface DeliveryPass {
  delivered: number;
  retried: number;
  dead: number;
  /** Held back by a rate limit (not an attempt). */
  deferred: number;
}

type Method = 'send' | 'update' | 'resolve';

/**
 * The one delivery stage every receiver sits behind (Alertmanager's notify pipeline): takes the due
 * notifications from the outbox, first pending per (case, receiver) so a case's messages keep their
 * order, and for each one:
 *
 * - holds it back while its receiver's token bucket (per receiver, or per receiver and target) is empty;
 * - calls `send` for a receiver's first notice of a case, `update` after it, `resolve` when resolved, with
 *   what the receiver remembers of the case, within a timeout;
 * - records the outcome: delivered (with the receiver's new state), retry later (doubling backoff with
 *   jitter, never sooner than Retry-After), or dead-lettered after `maxAttempts` or a failure that
 *   retrying cannot fix, which also tells the fallback receiver.
 *
 * A crash between a receiver's answer and its record sends the notification again: at least once,
 * and the receiver's own idempotency (PagerDuty's dedup_key, Jira's lookup by label, the Slack message's
 * ts in its state) makes the second send find the first. Errors are stored, logged and served without
 * the receivers' secrets.
 */
export class Deliverer {
  private readonly limiter: RateLimiter;
  private readonly secrets: readonly string[];

  constructor(private readonly options: DelivererOptions) {
    this.limiter = new RateLimiter((key) => options.rateOf(key.slice(0, key.indexOf('\u0000'))));
    // Longest first, so a secret that contains another is removed whole.
    this.secrets = [...new Set([...options.receivers.values()].flatMap((r) => r.secrets ?? []))].sort((a, b) => b.length - a.length);
  }

  /** Delivers what is due now, once each; returns what it did. Call again while it makes progress. */
  async runOnce(): Promise<DeliveryPass> {
    const pass: DeliveryPass = { delivered: 0, retried: 0, dead: 0, deferred: 0 };
    const due = await this.options.outbox.due(this.options.now(), 100);
    let next = 0;
    // Each due row is a different (case, receiver): they may go in parallel.
    const worker = async () => {
      for (let i = next++; i < due.length; i = next++) await this.deliver(due[i]!, pass);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, due.length) }, worker));
    return pass;
  }

  /** Removes every receiver's secrets from a text. */
  clean(text: string): string {
    return scrubSecrets(text, this.secrets);
  }

  private async deliver(row: NotificationRow, pass: DeliveryPass): Promise<void> {
    const { outbox, now, log } = this.options;
    const receiver = this.options.receivers.get(row.receiver);
    if (receiver === undefined) {
      const known = [...this.options.receivers.keys()].sort().join(', ');
      await this.deadLetter(row, `no receiver named "${row.receiver}" is configured (receivers: ${known || 'none'})`, pass);
      return;
    }
    const notification = this.notificationOf(row);
    const wait = this.limiter.take(`${row.receiver}\u0000${receiver.rateKey?.(notification) ?? ''}`, now());
    if (wait > 0) {
      await outbox.defer(row, now() + wait);
      pass.deferred++;
      return;
    }
    const state = await outbox.receiverState(row.receiver, row.case_id);
    const method: Method = row.kind === 'resolve' ? 'resolve' : (await outbox.told(row.receiver, row.case_id, row.case_seq)) ? 'update' : 'send';
    const result = await this.call(receiver, method, notification, state);
    if (result.outcome === 'delivered') {
      await outbox.delivered(row, result.state);
      pass.delivered++;
      log.info({ notification: row.id, case: row.case_id, receiver: row.receiver, kind: row.kind, method, attempt: row.attempts + 1 }, 'notification delivered');
      return;
    }
    const error = this.clean(result.error);
    if (result.outcome === 'failed' || row.attempts + 1 >= this.options.maxAttempts) {
      await this.deadLetter(row, result.outcome === 'failed' ? error : `${error} (attempt ${row.attempts + 1} of ${this.options.maxAttempts})`, pass);
      return;
    }
    const delay = retryDelayMs(row.attempts + 1, this.options.backoff, this.options.random, result.retryAfterMs);
    await outbox.retry(row, error, now() + delay);
    pass.retried++;
    log.warn({ notification: row.id, case: row.case_id, receiver: row.receiver, attempt: row.attempts + 1, retryInMs: delay, error }, 'notification failed; will try again');
  }

  private async call(receiver: Receiver, method: Method, notification: Notification, state: Readonly<Record<string, string>>): Promise<DeliveryResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DeliveryResult>((resolve) => {
      timer = setTimeout(() => resolve({ outcome: 'retry', error: `no answer within ${this.options.timeoutMs} ms` }), this.options.timeoutMs);
    });
    try {
      const result: unknown = await Promise.race([receiver[method](notification, state), timeout]);
      // A receiver's bug must not stall the outbox: an answer that is not a result is a failed attempt.
      return isResult(result) ? result : { outcome: 'retry', error: `receiver ${receiver.name} (${receiver.type}) answered ${method} with no valid result` };
    } catch (err) {
      // A receiver that throws (a network error its client did not turn into a result) is worth a retry.
      return { outcome: 'retry', error: (err as Error)?.message ?? String(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  private async deadLetter(row: NotificationRow, error: string, pass: DeliveryPass): Promise<void> {
    const change = await this.options.outbox.dead(row, error, this.options.fallback);
    pass.dead++;
    this.options.log.error(
      { notification: row.id, case: row.case_id, receiver: row.receiver, kind: row.kind, attempts: row.attempts + 1, error, fallback: change?.notifications[0]?.receiver ?? null },
      'notification dead-lettered',
    );
    if (change) this.options.onChanges?.([change]);
  }

  private notificationOf(row: NotificationRow): Notification {
    const notice = CaseNotice.parse(JSON.parse(row.notice));
    const link = this.options.link;
    return {
      id: row.id,
      caseId: row.case_id,
      receiver: row.receiver,
      kind: row.kind as NotificationKind,
      notice: link === undefined ? notice : { ...notice, link: renderLink(link, row.case_id) },
    };
  }
}

function isResult(value: unknown): value is DeliveryResult {
  if (value === null || typeof value !== 'object') return false;
  const r = value as { outcome?: unknown; error?: unknown; state?: unknown };
  if (r.outcome === 'delivered') return r.state === undefined || (typeof r.state === 'object' && r.state !== null);
  return (r.outcome === 'retry' || r.outcome === 'failed') && typeof r.error === 'string';
}
