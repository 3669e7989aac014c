import type { Kysely, Migration } from 'kysely';

/**
 * The first schema: incidents (with their opening decision), decision counts per event-time hour,
 * feedback with its history, rule versions and tuning changes. Portable SQL only: the same migration
 * runs on SQLite and PostgreSQL (times are epoch ms in bigint columns, JSON is text).
 */
export const init: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('rule_version', 'integer', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('first_seen_ms', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_ms', 'bigint', (c) => c.notNull())
      .addColumn('alert_count', 'integer', (c) => c.notNull())
      .addColumn('record', 'text', (c) => c.notNull())
      .addColumn('verdict', 'text')
      .addColumn('feedback_id', 'text')
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('incidents_rule_first_seen').on('incidents').columns(['rule_id', 'first_seen_ms']).execute();
    await db.schema.createIndex('incidents_first_seen').on('incidents').column('first_seen_ms').execute();

    await db.schema
      .createTable('incident_openings')
      .addColumn('incident_id', 'text', (c) => c.primaryKey())
      .addColumn('alert_id', 'text', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('alert', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('decision_counts')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('decision', 'text', (c) => c.notNull())
      .addColumn('bucket_ms', 'bigint', (c) => c.notNull())
      .addColumn('count', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('decision_counts_pk', ['source', 'rule_id', 'decision', 'bucket_ms'])
      .execute();
    await db.schema.createIndex('decision_counts_rule').on('decision_counts').columns(['rule_id', 'bucket_ms']).execute();

    await db.schema
      .createTable('feedback')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('verdict', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('analyst', 'text', (c) => c.notNull())
      .addColumn('entity_kind', 'text')
      .addColumn('entity_value', 'text')
      .addColumn('at_ms', 'bigint', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('recorded_at_ms', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('feedback_incident_seq', ['incident_id', 'seq'])
      .execute();

    await db.schema
      .createTable('rule_versions')
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('fingerprint', 'text', (c) => c.notNull())
      .addColumn('file', 'text', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('first_seen_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('rule_versions_pk', ['rule_id', 'version', 'fingerprint'])
      .execute();

    await db.schema
      .createTable('tuning_changes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('file', 'text', (c) => c.notNull())
      .addColumn('param', 'text', (c) => c.notNull())
      .addColumn('from_value', 'double precision', (c) => c.notNull())
      .addColumn('to_value', 'double precision', (c) => c.notNull())
      .addColumn('version_before', 'integer', (c) => c.notNull())
      .addColumn('version_after', 'integer', (c) => c.notNull())
      .addColumn('before_text', 'text', (c) => c.notNull())
      .addColumn('after_text', 'text', (c) => c.notNull())
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('evidence', 'text', (c) => c.notNull())
      .addColumn('applied_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('reverted_at_ms', 'bigint')
      .addColumn('reverted_by', 'text')
      .addColumn('revert_reason', 'text')
      .execute();
    await db.schema.createIndex('tuning_changes_rule').on('tuning_changes').column('rule_id').execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['tuning_changes', 'rule_versions', 'feedback', 'decision_counts', 'incident_openings', 'incidents']) {
      await db.schema.dropTable(table).execute();
    }
  },
};
