import { randomUUID } from 'node:crypto';
import type { SelectQueryBuilder } from 'kysely';
import type { LedgerContext } from './case-store.js';
import { AutoTuneRunRow, type LedgerTables } from './rows.js';

/** How many runs the ledger keeps: the newest is what GET /tuning/auto/last shows; a few more for looking back. */
export const AUTO_TUNE_RUNS_KEPT = 30;

/**
 * Auto-tune's runs, newest kept (docs/tuning.md, "Auto-tune"). The ledger stores them as JSON and does
 * not read them: their shape is the tuner's (AutoTuneRun), checked when read back.
 */
export class AutoTuneRunStore {
  constructor(private readonly ctx: LedgerContext) {}

  /** Records a run and lets go of those older than the newest AUTO_TUNE_RUNS_KEPT. */
  async record(runAtMs: number, run: unknown): Promise<void> {
    await this.ctx.db.transaction().execute(async (trx) => {
      const newest = await trx.selectFrom('auto_tune_runs').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
      const seq = Number(newest?.seq ?? 0) + 1;
      await trx.insertInto('auto_tune_runs').values({ id: randomUUID(), run_at_ms: runAtMs, seq, run: JSON.stringify(run) }).execute();
      const kept = await newestFirst(trx.selectFrom('auto_tune_runs').select('id')).limit(AUTO_TUNE_RUNS_KEPT).execute();
      await trx.deleteFrom('auto_tune_runs').where('id', 'not in', kept.map((r) => r.id)).execute();
    });
  }

  /** The newest `limit` runs, newest first, each with when it ran. */
  async list(limit = AUTO_TUNE_RUNS_KEPT): Promise<{ runAtMs: number; run: unknown }[]> {
    const rows = await newestFirst(this.ctx.db.selectFrom('auto_tune_runs').selectAll()).limit(limit).execute();
    return rows.map((r) => {
      const row = AutoTuneRunRow.parse(r);
      return { runAtMs: row.run_at_ms, run: JSON.parse(row.run) as unknown };
    });
  }
}

/** By when they ran, then by the order they were recorded in (runs of one millisecond). */
function newestFirst<O>(query: SelectQueryBuilder<LedgerTables, 'auto_tune_runs', O>): SelectQueryBuilder<LedgerTables, 'auto_tune_runs', O> {
  return query.orderBy('run_at_ms', 'desc').orderBy('seq', 'desc');
}
