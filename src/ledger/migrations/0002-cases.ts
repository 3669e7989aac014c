import { createHash } from 'node:crypto';
import type { Kysely, Migration } from 'kysely';

/**
 * Cases and their delivery: the incident's life after promotion (state, assignee, classification,
 * escalation), its timeline, the notification outbox, what each receiver remembers of a case, and
 * leases (which worker delivers). Incidents gain the case they belong to. Existing incidents each
 * become a case of their own (open, never escalated), so an older ledger lists them as cases too.
 * Portable SQL only, as 0001.
 */
export const cases: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('incidents').addColumn('case_id', 'text').execute();
    await db.schema.createIndex('incidents_case').on('incidents').column('case_id').execute();

    await db.schema
      .createTable('cases')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('first_seen_ms', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_ms', 'bigint', (c) => c.notNull())
      .addColumn('alert_count', 'bigint', (c) => c.notNull())
      .addColumn('incident_count', 'integer', (c) => c.notNull())
      .addColumn('open_incidents', 'integer', (c) => c.notNull())
      .addColumn('rules', 'text', (c) => c.notNull())
      .addColumn('entities', 'text', (c) => c.notNull())
      .addColumn('tags', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('assignee', 'text')
      .addColumn('classification', 'text')
      .addColumn('policy', 'text')
      .addColumn('oncall', 'text')
      .addColumn('escalation_level', 'integer', (c) => c.notNull())
      .addColumn('reminders', 'integer', (c) => c.notNull())
      .addColumn('next_escalation_at_ms', 'bigint')
      .addColumn('rematch', 'integer', (c) => c.notNull())
      .addColumn('opened_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('acknowledged_at_ms', 'bigint')
      .addColumn('resolved_at_ms', 'bigint')
      .addColumn('closed_at_ms', 'bigint')
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('last_seq', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('cases_first_seen').on('cases').column('first_seen_ms').execute();
    await db.schema.createIndex('cases_state').on('cases').columns(['state', 'severity']).execute();
    await db.schema.createIndex('cases_escalation').on('cases').column('next_escalation_at_ms').execute();

    await db.schema
      .createTable('case_events')
      .addColumn('case_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('at_ms', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('from_value', 'text')
      .addColumn('to_value', 'text')
      .addColumn('note', 'text')
      .addPrimaryKeyConstraint('case_events_pk', ['case_id', 'seq'])
      .execute();
    await db.schema.createIndex('case_events_event').on('case_events').columns(['event', 'at_ms']).execute();

    await db.schema
      .createTable('notifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('case_id', 'text', (c) => c.notNull())
      .addColumn('case_seq', 'integer', (c) => c.notNull())
      .addColumn('receiver', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('notice', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at_ms', 'bigint')
      .addColumn('fallback_for', 'text')
      .execute();
    await db.schema.createIndex('notifications_due').on('notifications').columns(['status', 'next_attempt_at_ms']).execute();
    await db.schema.createIndex('notifications_case').on('notifications').columns(['case_id', 'receiver', 'case_seq']).execute();

    await db.schema
      .createTable('receiver_states')
      .addColumn('receiver', 'text', (c) => c.notNull())
      .addColumn('case_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('receiver_states_pk', ['receiver', 'case_id'])
      .execute();

    await db.schema
      .createTable('leases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('token', 'integer', (c) => c.notNull())
      .addColumn('expires_at_ms', 'bigint', (c) => c.notNull())
      .execute();

    await backfill(db as Kysely<Backfill>);
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ['leases', 'receiver_states', 'notifications', 'case_events', 'cases']) await db.schema.dropTable(table).execute();
    await db.schema.dropIndex('incidents_case').execute();
    await db.schema.alterTable('incidents').dropColumn('case_id').execute();
  },
};

/** The tables as this migration knows them (frozen: later schema changes do not touch a shipped migration). */
interface Backfill {
  incidents: { id: string; rule_id: string; severity: string; status: string; first_seen_ms: number; last_seen_ms: number; alert_count: number; record: string; updated_at_ms: number; case_id: string | null };
  cases: Record<string, unknown>;
  case_events: Record<string, unknown>;
}

/** Every incident already recorded becomes a case of its own, open and never escalated. */
async function backfill(db: Kysely<Backfill>): Promise<void> {
  const incidents = await db.selectFrom('incidents').select(['id', 'rule_id', 'severity', 'status', 'first_seen_ms', 'last_seen_ms', 'alert_count', 'record', 'updated_at_ms']).execute();
  const cases: Record<string, unknown>[] = [];
  const events: Record<string, unknown>[] = [];
  for (const i of incidents) {
    const caseId = `case-${createHash('sha256').update(i.id).digest('hex').slice(0, 24)}`;
    const record = JSON.parse(i.record) as { title: string; category: string; groupKey: Record<string, string> };
    const entities: Record<string, string[]> = {};
    for (const [path, value] of Object.entries(record.groupKey)) if (path.startsWith('entities.') && value !== '') entities[path.slice(9)] = [value];
    const at = Number(i.updated_at_ms);
    await db.updateTable('incidents').set({ case_id: caseId }).where('id', '=', i.id).execute();
    cases.push({
      id: caseId,
      title: record.title,
      severity: i.severity,
      category: record.category,
      summary: record.title,
      first_seen_ms: i.first_seen_ms,
      last_seen_ms: i.last_seen_ms,
      alert_count: i.alert_count,
      incident_count: 1,
      open_incidents: i.status === 'open' ? 1 : 0,
      rules: JSON.stringify([{ id: i.rule_id, alerts: Number(i.alert_count) }]),
      entities: JSON.stringify(entities),
      tags: '[]',
      state: 'open',
      assignee: null,
      classification: null,
      policy: null,
      oncall: null,
      escalation_level: 0,
      reminders: 0,
      next_escalation_at_ms: null,
      rematch: 0,
      opened_at_ms: at,
      acknowledged_at_ms: null,
      resolved_at_ms: null,
      closed_at_ms: null,
      updated_at_ms: at,
      last_seq: 1,
    });
    events.push({ case_id: caseId, seq: 1, at_ms: at, actor: 'migration', event: 'opened', from_value: null, to_value: 'open', note: 'recorded before cases existed' });
  }
  // Well inside SQLite's and PostgreSQL's bound-parameter limits.
  for (let i = 0; i < cases.length; i += 100) {
    await db.insertInto('cases').values(cases.slice(i, i + 100)).execute();
    await db.insertInto('case_events').values(events.slice(i, i + 100)).execute();
  }
}
