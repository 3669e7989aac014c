import type { Logger } from 'pino';
import type { Escalator } from '../escalation/escalator.js';
import type { Leases } from '../ledger/leases.js';
import type { Outbox } from '../ledger/outbox.js';
import { Wakeup } from '../worker/wakeup.js';
import type { Deliverer } from './deliverer.js';

/** The lease every delivering worker competes for. */
export const DELIVERY_LEASE = 'delivery';

export interface DispatcherOptions {
  readonly leases: Pick<Leases, 'acquire' | 'release'>;
  readonly outbox: Pick<Outbox, 'nextDueMs'>;
  /** Who this worker is in the lease (host and pid, or a test's name). */
  readonly holder: string;
  readonly escalator?: Escalator | undefined;
  /** The obligations clock (src/obligations/keeper.ts): starts, reminds and misses deadlines before delivery. */
  readonly obligations?: { tick(): Promise<unknown> } | undefined;
  readonly deliverer: Deliverer;
  readonly leaseTtlMs: number;
  readonly pollMs: number;
  readonly now: () => number;
  readonly log: Logger;
}

/**
 * Where escalation and delivery run in a worker: only while it holds the ledger's `delivery` lease, so
 * that with several workers (Kafka) exactly one escalates and sends; the others wait and take over
 * within a lease's time to live when it goes. Works in rounds: take or renew the lease, run the
 * escalation steps that are due, then deliver until nothing more is due; then sleep until woken (a
 * case changed in this process), the next retry is due, or the poll interval passes (a CLI changed a
 * case, escalation may be due, another worker may be gone).
 */
export class Dispatcher {
  private readonly wakeup = new Wakeup();
  private running: Promise<void> | undefined;
  private stopping = false;
  private holding = false;
  /** Rounds never overlap (the loop's and one asked for by settle()): each notification is sent by one of them. */
  private rounds: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: DispatcherOptions) {}

  /** Whether this worker held the lease at its last round. */
  get leader(): boolean {
    return this.holding;
  }

  /** Something may be due: run a round soon. */
  wake(): void {
    this.wakeup.notify();
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** One round, after any round in progress; false when another worker holds the lease. */
  round(): Promise<boolean> {
    const next = this.rounds.then(() => this.roundNow());
    this.rounds = next.catch(() => undefined);
    return next;
  }

  private async roundNow(): Promise<boolean> {
    const { leases, holder, leaseTtlMs, escalator, deliverer, log } = this.options;
    const lease = await leases.acquire(DELIVERY_LEASE, holder, leaseTtlMs);
    if (lease === undefined) {
      if (this.holding) log.warn({ holder }, 'delivery lease lost: another worker escalates and sends now');
      this.holding = false;
      return false;
    }
    if (!this.holding) log.info({ holder, token: lease.token }, 'holding the delivery lease: this worker escalates and sends');
    this.holding = true;
    await escalator?.tick();
    await this.options.obligations?.tick();
    // Delivering one notification can make the next of its case due: go on while something moves.
    for (let pass = await deliverer.runOnce(); !this.stopping && pass.delivered + pass.retried + pass.dead > 0; pass = await deliverer.runOnce()) {
      if (this.options.now() >= lease.expiresAtMs - leaseTtlMs / 3) break;
    }
    return true;
  }

  /** Stops after the round in progress and gives the lease up, so another worker takes over at once. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeup.notify();
    await this.running;
    if (this.holding) await this.options.leases.release(DELIVERY_LEASE, this.options.holder).catch(() => undefined);
    this.holding = false;
  }

  private async loop(): Promise<void> {
    const { log, pollMs, leaseTtlMs } = this.options;
    while (!this.stopping) {
      try {
        await this.round();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'escalation and delivery round failed; trying again');
      }
      if (this.stopping) break;
      await this.wakeup.wait(await this.sleepMs(pollMs, leaseTtlMs));
    }
  }

  /** Until the next retry is due, the poll interval, or a lease renewal, whichever comes first. */
  private async sleepMs(pollMs: number, leaseTtlMs: number): Promise<number> {
    const cap = Math.min(pollMs, leaseTtlMs / 3);
    if (!this.holding) return cap;
    const next = await this.options.outbox.nextDueMs().catch(() => undefined);
    return next === undefined ? cap : Math.max(10, Math.min(cap, next - this.options.now()));
  }
}
