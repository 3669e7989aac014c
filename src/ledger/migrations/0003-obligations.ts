import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Response obligations, postmortems and drills: cases gain the flags analysts set, how far the
 * obligations clock has read their timeline (existing cases: all of it, so their history starts no
 * clock), and when their postmortem was marked done; each started
 * obligation is a row of `case_obligations`; each drill run a row of `drill_runs` (kept apart from
 * cases: a drill's cases live in its own ledger). Portable SQL only, as 0001.
 */
export const obligations: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('cases').addColumn('flags', 'text', (c) => c.notNull().defaultTo('[]')).execute();
    await db.schema.alterTable('cases').addColumn('obligations_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('cases').addColumn('postmortem_done_at_ms', 'bigint').execute();
    await db.schema.alterTable('cases').addColumn('postmortem_done_by', 'text').execute();
    // The obligations clock reads what happens from now on: a year of history does not start (and miss) a year of deadlines.
    await sql`update cases set obligations_seq = last_seq`.execute(db);
    // The clock looks for cases with unread events every round: only those are in this index.
    await db.schema.createIndex('cases_obligations_unread').on('cases').column('id').where(sql.ref('last_seq'), '>', sql.ref('obligations_seq')).execute();

    await db.schema
      .createTable('case_obligations')
      .addColumn('case_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('notify', 'text', (c) => c.notNull())
      .addColumn('started_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('due_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('remind', 'text', (c) => c.notNull())
      .addColumn('reminders_sent', 'integer', (c) => c.notNull())
      .addColumn('next_at_ms', 'bigint')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('missed_at_ms', 'bigint')
      .addColumn('done_at_ms', 'bigint')
      .addColumn('done_by', 'text')
      .addColumn('note', 'text')
      .addPrimaryKeyConstraint('case_obligations_pk', ['case_id', 'name'])
      .execute();
    await db.schema.createIndex('case_obligations_next').on('case_obligations').columns(['status', 'next_at_ms']).execute();

    await db.schema
      .createTable('drill_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('file', 'text', (c) => c.notNull())
      .addColumn('run_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('passed', 'integer', (c) => c.notNull())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('gaps', 'integer', (c) => c.notNull())
      .addColumn('report', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('drill_runs_at').on('drill_runs').column('run_at_ms').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('drill_runs').execute();
    await db.schema.dropTable('case_obligations').execute();
    for (const column of ['postmortem_done_by', 'postmortem_done_at_ms', 'obligations_seq', 'flags']) await db.schema.alterTable('cases').dropColumn(column).execute();
  },
};
