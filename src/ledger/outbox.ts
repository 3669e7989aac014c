import type { ReceiverState } from '../receivers/receiver.js';
import type { NotificationStatus } from '../cases/case-record.js';
import type { CaseChange, CaseStore, LedgerContext } from './case-store.js';
import { notificationStatusOf } from './case-store.js';
import { NotificationRow } from './rows.js';

export interface NotificationFilter {
  readonly status?: NotificationRow['status'] | undefined;
  readonly receiver?: string | undefined;
  readonly caseId?: string | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
}

/** Per receiver, what the outbox holds (the delivery metrics read it). */
export interface ReceiverTally {
  readonly receiver: string;
  readonly delivered: number;
  readonly dead: number;
  readonly pending: number;
  /** Attempts that did not deliver (retries and the last attempt of dead letters). */
  readonly failedAttempts: number;
}

/**
 * The durable outbox: notifications written in the same transaction as the case change that causes
 * them (src/ledger/case-store.ts), then sent by the delivery stage (src/delivery/). A notification is
 * pending until a receiver took it (delivered) or it is dead-lettered; what each receiver remembers of
 * a case (ReceiverState) is kept per (receiver, case) so that a retry after a crash finds what was sent.
 */
export class Outbox {
  constructor(
    private readonly ctx: LedgerContext,
    private readonly cases: CaseStore,
  ) {}

  /**
   * Pending notifications due at `nowMs`, each the first pending one of its (case, receiver): a later
   * notification of a case to a receiver waits for the earlier ones, so order per case is kept.
   */
  async due(nowMs: number, limit = 100): Promise<NotificationRow[]> {
    const rows = await this.heads()
      .selectAll('n')
      .where('n.next_attempt_at_ms', '<=', nowMs)
      .orderBy('n.next_attempt_at_ms')
      .orderBy('n.case_seq')
      .orderBy('n.id')
      .limit(limit)
      .execute();
    return rows.map((r) => NotificationRow.parse(r));
  }

  /**
   * When the next notification falls due (epoch ms), or undefined when none is pending. Only the first
   * pending notification of each (case, receiver) counts: one queued behind it is not due before it.
   */
  async nextDueMs(): Promise<number | undefined> {
    const row = await this.heads()
      .select((eb) => eb.fn.min('n.next_attempt_at_ms').as('next'))
      .executeTakeFirst();
    return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
  }

  /** The first pending notification of each (case, receiver): the only one that may be sent. */
  private heads() {
    return this.ctx.db
      .selectFrom('notifications as n')
      .where('n.status', '=', 'pending')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('notifications as e')
              .select('e.id')
              .whereRef('e.case_id', '=', 'n.case_id')
              .whereRef('e.receiver', '=', 'n.receiver')
              .where('e.status', '=', 'pending')
              .whereRef('e.case_seq', '<', 'n.case_seq'),
          ),
        ),
      );
  }

  /** Whether the receiver took an earlier notification of the case (then a change is an update, not a first notice). */
  async told(receiver: string, caseId: string, beforeSeq: number): Promise<boolean> {
    const row = await this.ctx.db
      .selectFrom('notifications')
      .select('id')
      .where('receiver', '=', receiver)
      .where('case_id', '=', caseId)
      .where('status', '=', 'delivered')
      .where('case_seq', '<', beforeSeq)
      .executeTakeFirst();
    return row !== undefined;
  }

  async receiverState(receiver: string, caseId: string): Promise<ReceiverState> {
    const row = await this.ctx.db.selectFrom('receiver_states').select('state').where('receiver', '=', receiver).where('case_id', '=', caseId).executeTakeFirst();
    return row ? (JSON.parse(row.state) as ReceiverState) : {};
  }

  /** The receiver took it: delivered, and what it remembers of the case merged into its state (one transaction). */
  async delivered(row: NotificationRow, state: ReceiverState | undefined): Promise<void> {
    const now = this.ctx.now();
    await this.ctx.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('notifications')
        .set({ status: 'delivered', attempts: row.attempts + 1, delivered_at_ms: now, last_error: null })
        .where('id', '=', row.id)
        .execute();
      if (state === undefined || Object.keys(state).length === 0) return;
      const found = await trx.selectFrom('receiver_states').select('state').where('receiver', '=', row.receiver).where('case_id', '=', row.case_id).executeTakeFirst();
      const merged = JSON.stringify({ ...(found ? (JSON.parse(found.state) as ReceiverState) : {}), ...state });
      await trx
        .insertInto('receiver_states')
        .values({ receiver: row.receiver, case_id: row.case_id, state: merged, updated_at_ms: now })
        .onConflict((oc) => oc.columns(['receiver', 'case_id']).doUpdateSet({ state: merged, updated_at_ms: now }))
        .execute();
    });
  }

  /** An attempt failed and is worth another: counted, tried again at `nextAtMs`. `error` has its secrets removed already. */
  async retry(row: NotificationRow, error: string, nextAtMs: number): Promise<void> {
    await this.ctx.db.updateTable('notifications').set({ attempts: row.attempts + 1, last_error: error, next_attempt_at_ms: nextAtMs }).where('id', '=', row.id).execute();
  }

  /** Not tried now (the receiver's rate limit): due again at `nextAtMs`, no attempt counted. */
  async defer(row: NotificationRow, nextAtMs: number): Promise<void> {
    await this.ctx.db.updateTable('notifications').set({ next_attempt_at_ms: nextAtMs }).where('id', '=', row.id).execute();
  }

  /**
   * Dead-lettered: no more attempts. Recorded on its case, and the fallback receiver (when there is one
   * and this was not already its notification) gets the same notice, in the same transaction.
   */
  async dead(row: NotificationRow, error: string, fallback: string | undefined): Promise<CaseChange | undefined> {
    return this.ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('notifications').set({ status: 'dead', attempts: row.attempts + 1, last_error: error }).where('id', '=', row.id).execute();
      return this.cases.noteDeadLetter(trx, row, error, fallback);
    });
  }

  /** Notifications, newest first. */
  async list(filter: NotificationFilter = {}): Promise<NotificationStatus[]> {
    let query = this.ctx.db.selectFrom('notifications').selectAll();
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.receiver) query = query.where('receiver', '=', filter.receiver);
    if (filter.caseId) query = query.where('case_id', '=', filter.caseId);
    const rows = await query
      .orderBy('created_at_ms', 'desc')
      .orderBy('id')
      .limit(filter.limit ?? 100)
      .offset(filter.offset ?? 0)
      .execute();
    return rows.map((r) => notificationStatusOf(NotificationRow.parse(r)));
  }

  /**
   * Per receiver: delivered, dead-lettered, pending and failed attempts. Every figure but pending only
   * grows (a notification never leaves delivered or dead), so the metrics export them as counters.
   */
  async tally(): Promise<ReceiverTally[]> {
    const rows = await this.ctx.db
      .selectFrom('notifications')
      .select((eb) => [
        'receiver',
        eb.fn.sum<number>(eb.case().when('status', '=', 'delivered').then(1).else(0).end()).as('delivered'),
        eb.fn.sum<number>(eb.case().when('status', '=', 'dead').then(1).else(0).end()).as('dead'),
        eb.fn.sum<number>(eb.case().when('status', '=', 'pending').then(1).else(0).end()).as('pending'),
        eb.fn.sum<number>('attempts').as('attempts'),
      ])
      .groupBy('receiver')
      .orderBy('receiver')
      .execute();
    return rows.map((r) => ({
      receiver: r.receiver,
      delivered: Number(r.delivered),
      dead: Number(r.dead),
      pending: Number(r.pending),
      failedAttempts: Number(r.attempts) - Number(r.delivered),
    }));
  }
}
