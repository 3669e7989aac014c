import type { Kysely, Migration } from 'kysely';

/**
 * The alert ids whose decisions a source has counted (sources that count each alert once: the Kafka
 * worker), so a chunk decided and sent again after a crash is not counted twice. Kept for a day
 * (COUNT_ONCE_HORIZON_MS), by when the chunk's input offsets are long committed. Portable SQL, as 0001.
 */
export const countedAlerts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('counted_alerts')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('alert_id', 'text', (c) => c.notNull())
      .addColumn('recorded_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('counted_alerts_pk', ['source', 'alert_id'])
      .execute();
    await db.schema.createIndex('counted_alerts_recorded').on('counted_alerts').columns(['source', 'recorded_at_ms']).execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable('counted_alerts').execute();
  },
};
