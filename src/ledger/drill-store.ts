import type { LedgerContext } from './case-store.js';
import { DrillRunRow } from './rows.js';

/** A drill run as the ledger keeps it: its outcome and its whole report (JSON). */
export interface DrillRunRecord {
  readonly id: string;
  readonly name: string;
  readonly file: string;
  readonly runAt: string;
  readonly passed: boolean;
  readonly failures: number;
  readonly gaps: number;
  readonly report: unknown;
}

/** The drills' figures for the metrics: each drill's last passed run and last failed run. */
export interface DrillStats {
  readonly last: readonly { drill: string; atMs: number; passed: boolean }[];
}

/**
 * Drill runs (docs/drills.md), apart from cases: a drill's cases, notifications and obligations live in
 * its own ledger, so nothing of it is counted with real cases (metrics, report, lists); this table keeps
 * that it ran, when, and how it went, as evidence of the exercise.
 */
export class DrillStore {
  constructor(private readonly ctx: LedgerContext) {}

  async record(run: Omit<DrillRunRecord, 'runAt'> & { readonly runAtMs: number }): Promise<void> {
    await this.ctx.db
      .insertInto('drill_runs')
      .values({ id: run.id, name: run.name, file: run.file, run_at_ms: run.runAtMs, passed: run.passed ? 1 : 0, failures: run.failures, gaps: run.gaps, report: JSON.stringify(run.report) })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  /** Runs, newest first; of the period when given. */
  async list(options: { readonly fromMs?: number; readonly toMs?: number; readonly limit?: number } = {}): Promise<DrillRunRecord[]> {
    let query = this.ctx.db.selectFrom('drill_runs').selectAll();
    if (options.fromMs !== undefined) query = query.where('run_at_ms', '>=', options.fromMs);
    if (options.toMs !== undefined) query = query.where('run_at_ms', '<=', options.toMs);
    const rows = await query.orderBy('run_at_ms', 'desc').orderBy('id').limit(options.limit ?? 100).execute();
    return rows.map((r) => {
      const row = DrillRunRow.parse(r);
      return { id: row.id, name: row.name, file: row.file, runAt: new Date(row.run_at_ms).toISOString(), passed: row.passed === 1, failures: row.failures, gaps: row.gaps, report: JSON.parse(row.report) };
    });
  }

  /** Per drill, its last passed and its last failed run: a failed run does not hide how long ago it last passed. */
  async stats(): Promise<DrillStats> {
    const rows = await this.ctx.db
      .selectFrom('drill_runs')
      .select((eb) => ['name', 'passed', eb.fn.max('run_at_ms').as('at')])
      .groupBy(['name', 'passed'])
      .orderBy('name')
      .orderBy('passed', 'desc')
      .execute();
    return { last: rows.map((r) => ({ drill: r.name, atMs: Number(r.at), passed: Number(r.passed) === 1 })) };
  }
}
