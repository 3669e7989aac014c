import type { Kysely, Migration } from 'kysely';

/**
 * Auto-tune's runs (docs/tuning.md, "Auto-tune"), each as the JSON GET /tuning/auto/last answers: a
 * dry run's report outlives the worker that made it, and every worker on the ledger shows the same
 * newest run. Only the newest few are kept (AUTO_TUNE_RUNS_KEPT). Portable SQL, as 0001.
 */
export const autoTuneRuns: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('auto_tune_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_at_ms', 'bigint', (c) => c.notNull())
      // Orders runs of the same millisecond (a clock that did not move): one more than the newest's.
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('run', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('auto_tune_runs_at').on('auto_tune_runs').columns(['run_at_ms', 'seq']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('auto_tune_runs').execute();
  },
};
