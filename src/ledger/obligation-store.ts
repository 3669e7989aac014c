import type { Transaction } from 'kysely';
import { ObligationStatus, type ObligationState } from '../obligations/obligation-record.js';
import { appendEvent, lockCase, type CaseChange, type LedgerContext, type NewEvent } from './case-store.js';
import { CaseEventRow, ObligationRow, type CaseRow, type LedgerTables } from './rows.js';

/** An obligation whose clock starts on a case: what the obligations file says, with its times. */
export interface ObligationStart {
  readonly name: string;
  readonly title: string;
  /** What started it, for people. */
  readonly trigger: string;
  readonly notify: readonly string[];
  readonly startedAtMs: number;
  readonly dueAtMs: number;
  /** Reminder lead times, ms. */
  readonly remindMs: readonly number[];
  /** When the clock acts next (a reminder or the due time). */
  readonly nextAtMs: number;
  /** The event recorded with it (note) and what its notices say. */
  readonly note: string;
  readonly summary: string;
}

/** A running obligation due for a step, as the clock sees it. */
export type DueObligation = Readonly<ObligationRow>;

/** What one step of a running obligation writes: its new columns and the event, with its notices. */
export interface ObligationUpdate {
  readonly set: Partial<Pick<ObligationRow, 'status' | 'reminders_sent' | 'next_at_ms' | 'missed_at_ms'>>;
  readonly event: Omit<NewEvent, 'actor'>;
}

export type ObligationActionResult =
  | { readonly status: 'not_found'; readonly message: string }
  | { readonly status: 'refused'; readonly message: string }
  | { readonly status: 'done'; readonly obligation: ObligationStatus; readonly change: CaseChange };

export interface ObligationFilter {
  readonly status?: ObligationState | undefined;
  readonly caseId?: string | undefined;
  readonly limit?: number | undefined;
}

/** The obligations' figures for the metrics (docs/metrics.md, "Obligations"). */
export interface ObligationStats {
  /** Per obligation, the soonest-due running one: seconds until due (negative once past). */
  readonly running: readonly { obligation: string; seconds: number }[];
  /** Obligations that passed their due time unmet (missed, or met late), by name. */
  readonly missed: readonly { obligation: string; count: number }[];
  /** Obligations by name and status. */
  readonly byStatus: readonly { obligation: string; status: string; count: number }[];
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function obligationStatusOf(row: ObligationRow): ObligationStatus {
  return ObligationStatus.parse({
    caseId: row.case_id,
    name: row.name,
    title: row.title,
    trigger: row.trigger,
    notify: JSON.parse(row.notify),
    startedAt: iso(row.started_at_ms),
    dueAt: iso(row.due_at_ms),
    status: row.status,
    late: row.missed_at_ms !== null,
    remindersSent: row.reminders_sent,
    nextReminderAt: row.status === 'running' && row.next_at_ms !== null && row.next_at_ms < row.due_at_ms ? iso(row.next_at_ms) : null,
    doneAt: iso(row.done_at_ms),
    doneBy: row.done_by,
    note: row.note,
  });
}

/**
 * Cases' notification deadlines in the ledger: starting them from a case's timeline, their reminders and
 * misses, people marking them met or waived, and reads. Every change is one transaction with its case
 * event and the notifications it causes (the case's row locked, as for every other case change).
 */
export class ObligationStore {
  constructor(private readonly ctx: LedgerContext) {}

  /** Cases not closed whose timeline has events the obligations clock has not read yet (a closed case's duties were settled or waived while it was worked). */
  async casesToRead(limit = 100): Promise<string[]> {
    const rows = await this.ctx.db
      .selectFrom('cases')
      .select('id')
      .where('state', '!=', 'closed')
      .whereRef('last_seq', '>', 'obligations_seq')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Reads a case's timeline for obligations to start: `decide` sees the case (locked), its timeline and
   * the obligations started already, and returns those that start now. Each is a row and an
   * `obligation-started` event telling its receivers; the case is marked read up to its last event.
   */
  async start(caseId: string, decide: (row: CaseRow, timeline: readonly CaseEventRow[], started: ReadonlySet<string>) => readonly ObligationStart[]): Promise<CaseChange[]> {
    return this.ctx.db.transaction().execute(async (trx) => {
      let row = await lockCase(trx, this.ctx, caseId);
      if (!row) return [];
      const timeline = (await trx.selectFrom('case_events').selectAll().where('case_id', '=', caseId).orderBy('seq').execute()).map((e) => CaseEventRow.parse(e));
      const started = new Set((await trx.selectFrom('case_obligations').select('name').where('case_id', '=', caseId).execute()).map((r) => r.name));
      const changes: CaseChange[] = [];
      for (const o of decide(row, timeline, started)) {
        await trx
          .insertInto('case_obligations')
          .values({
            case_id: caseId,
            name: o.name,
            title: o.title,
            trigger: o.trigger,
            notify: JSON.stringify(o.notify),
            started_at_ms: o.startedAtMs,
            due_at_ms: o.dueAtMs,
            remind: JSON.stringify(o.remindMs),
            reminders_sent: 0,
            next_at_ms: o.nextAtMs,
            status: 'running',
            missed_at_ms: null,
            done_at_ms: null,
            done_by: null,
            note: null,
          })
          .execute();
        const change = await appendEvent(trx, this.ctx, row, {
          actor: 'alertgate',
          event: 'obligation-started',
          from: null,
          to: o.name,
          note: o.note,
          receivers: o.notify.map((receiver) => ({ receiver, kind: 'update' as const })),
          summary: o.summary,
        });
        row = { ...row, last_seq: change.event.seq };
        changes.push(change);
      }
      await trx.updateTable('cases').set({ obligations_seq: row.last_seq }).where('id', '=', caseId).execute();
      return changes;
    });
  }

  /** Running obligations whose next moment (a reminder, the due time) has come. */
  async due(nowMs: number, limit = 100): Promise<{ caseId: string; name: string }[]> {
    const rows = await this.ctx.db
      .selectFrom('case_obligations')
      .select(['case_id', 'name'])
      .where('status', '=', 'running')
      .where('next_at_ms', '<=', nowMs)
      .orderBy('next_at_ms')
      .orderBy('case_id')
      .orderBy('name')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ caseId: r.case_id, name: r.name }));
  }

  /** When the clock acts next on any running obligation (epoch ms), or undefined. */
  async nextDueMs(): Promise<number | undefined> {
    const row = await this.ctx.db.selectFrom('case_obligations').select((eb) => eb.fn.min('next_at_ms').as('next')).where('status', '=', 'running').executeTakeFirst();
    return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
  }

  /** One step of a running obligation, in one transaction; `decide` sees it as it is now (undefined: nothing to do). */
  async step(caseId: string, name: string, decide: (o: DueObligation) => ObligationUpdate | undefined): Promise<CaseChange[]> {
    return this.ctx.db.transaction().execute(async (trx) => {
      const row = await lockCase(trx, this.ctx, caseId);
      const found = await this.read(trx, caseId, name);
      if (!row || !found || found.status !== 'running') return [];
      const update = decide(found);
      if (!update) return [];
      await trx.updateTable('case_obligations').set(update.set).where('case_id', '=', caseId).where('name', '=', name).execute();
      return [await appendEvent(trx, this.ctx, row, { ...update.event, actor: 'alertgate' })];
    });
  }

  /**
   * A person records an obligation met (running, or missed: then it was met late) or waived (running
   * only, with a reason), in the case's timeline.
   */
  async settle(caseId: string, name: string, status: 'met' | 'waived', input: { readonly actor: string; readonly note: string | undefined }): Promise<ObligationActionResult> {
    return this.ctx.db.transaction().execute(async (trx) => {
      const row = await lockCase(trx, this.ctx, caseId);
      if (!row) return { status: 'not_found', message: `no case ${caseId} in the ledger` } as const;
      const found = await this.read(trx, caseId, name);
      if (!found) {
        const names = (await trx.selectFrom('case_obligations').select('name').where('case_id', '=', caseId).orderBy('name').execute()).map((r) => r.name);
        return { status: 'not_found', message: `case ${caseId} has no obligation ${name} (its obligations: ${names.join(', ') || 'none started'})` } as const;
      }
      const allowed = status === 'met' ? ['running', 'missed'] : ['running'];
      if (!allowed.includes(found.status)) {
        return { status: 'refused', message: `cannot mark ${name} ${status}: it is ${found.status}${found.done_by ? ` (by ${found.done_by})` : ''}` } as const;
      }
      if (status === 'waived' && input.note === undefined) return { status: 'refused', message: 'a waiver needs a reason (--reason / reason)' } as const;
      const now = this.ctx.now();
      const after: ObligationRow = { ...found, status, next_at_ms: null, done_at_ms: now, done_by: input.actor, note: input.note ?? null };
      await trx
        .updateTable('case_obligations')
        .set({ status, next_at_ms: null, done_at_ms: now, done_by: input.actor, note: after.note })
        .where('case_id', '=', caseId)
        .where('name', '=', name)
        .execute();
      const change = await appendEvent(trx, this.ctx, row, {
        actor: input.actor,
        event: status === 'met' ? 'obligation-met' : 'obligation-waived',
        from: found.status,
        to: status,
        note: `${name}${found.missed_at_ms !== null ? ' (late)' : ''}${input.note ? `: ${input.note}` : ''}`,
      });
      return { status: 'done', obligation: obligationStatusOf(after), change } as const;
    });
  }

  /** Obligations across cases, the soonest due first. */
  async list(filter: ObligationFilter = {}): Promise<ObligationStatus[]> {
    let query = this.ctx.db.selectFrom('case_obligations').selectAll();
    if (filter.status) query = query.where('status', '=', filter.status);
    if (filter.caseId) query = query.where('case_id', '=', filter.caseId);
    const rows = await query.orderBy('due_at_ms').orderBy('case_id').orderBy('name').limit(filter.limit ?? 100).execute();
    return rows.map((r) => obligationStatusOf(ObligationRow.parse(r)));
  }

  /** The obligations of the cases first seen (event time) in [fromMs, toMs], the soonest due first: at most `limit`. */
  async ofCasesFirstSeen(fromMs: number, toMs: number, limit: number): Promise<ObligationStatus[]> {
    const rows = await this.ctx.db
      .selectFrom('case_obligations')
      .innerJoin('cases', 'cases.id', 'case_obligations.case_id')
      .selectAll('case_obligations')
      .where('cases.first_seen_ms', '>=', fromMs)
      .where('cases.first_seen_ms', '<=', toMs)
      .orderBy('case_obligations.due_at_ms')
      .orderBy('case_obligations.case_id')
      .orderBy('case_obligations.name')
      .limit(limit)
      .execute();
    return rows.map((r) => obligationStatusOf(ObligationRow.parse(r)));
  }

  async stats(nowMs: number): Promise<ObligationStats> {
    const { db } = this.ctx;
    const running = await db
      .selectFrom('case_obligations')
      .select((eb) => ['name', eb.fn.min('due_at_ms').as('due')])
      .where('status', '=', 'running')
      .groupBy('name')
      .orderBy('name')
      .execute();
    const missed = await db
      .selectFrom('case_obligations')
      .select((eb) => ['name', eb.fn.countAll().as('n')])
      .where('missed_at_ms', 'is not', null)
      .groupBy('name')
      .orderBy('name')
      .execute();
    const byStatus = await db
      .selectFrom('case_obligations')
      .select((eb) => ['name', 'status', eb.fn.countAll().as('n')])
      .groupBy(['name', 'status'])
      .orderBy('name')
      .orderBy('status')
      .execute();
    return {
      running: running.map((r) => ({ obligation: r.name, seconds: (Number(r.due) - nowMs) / 1000 })),
      missed: missed.map((r) => ({ obligation: r.name, count: Number(r.n) })),
      byStatus: byStatus.map((r) => ({ obligation: r.name, status: r.status, count: Number(r.n) })),
    };
  }

  private async read(trx: Transaction<LedgerTables>, caseId: string, name: string): Promise<ObligationRow | undefined> {
    const row = await trx.selectFrom('case_obligations').selectAll().where('case_id', '=', caseId).where('name', '=', name).executeTakeFirst();
    return row ? ObligationRow.parse(row) : undefined;
  }
}
