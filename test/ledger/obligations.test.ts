import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { caseIdOf } from '../../src/cases/case-id.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { Ledger as LedgerClass, type Ledger } from '../../src/ledger/ledger.js';
import { MIGRATIONS } from '../../src/ledger/migrations/index.js';
import { ObligationKeeper } from '../../src/obligations/keeper.js';
import { loadObligationsOrThrow } from '../../src/obligations/load.js';
import { tempDir } from '../helpers.js';
import { describeLedger } from './backends.js';
import { incidentRecord, incidentsBatch } from './fixtures.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);

const OBLIGATIONS = `timezone: Europe/Berlin
calendars:
  us: { timezone: America/New_York, holidays: [2026-11-26] }
obligations:
  - name: breach-24h
    title: Tell the customer
    when: { classification: [data-breach] }
    within: { hours: 24 }
    notify: [legal-email]
    remind: [4h, 1h]
  - name: gdpr
    title: Notify the supervisory authority
    when: { flag: [personal-data] }
    within: { hours: 72 }
    notify: [dpo-email, ciso-email]
  - name: sec
    title: File the 8-K
    when: { flag: [material] }
    within: { businessDays: 4, calendar: us, cutoff: "17:30" }
    notify: [legal-email]
`;

async function setUp(fresh: (o: { now: () => number }) => Promise<Ledger>) {
  const clock = { now: T0 };
  const ledger = await fresh({ now: () => clock.now });
  const file = join(tempDir('alertgate-obligations-'), 'obligations.yaml');
  writeFileSync(file, OBLIGATIONS);
  const keeper = new ObligationKeeper({ store: ledger.obligations, policy: await loadObligationsOrThrow(file), now: () => clock.now });
  const first = incidentRecord({ n: 1, severity: 'high' });
  const caseId = caseIdOf(first.id);
  await ledger.writeBatch(incidentsBatch([{ ...first, caseId }]));
  return { clock, ledger, keeper, caseId };
}

describeLedger('obligations', (fresh) => {
  it('a clock started by reclassification runs from the reclassification, however late the clock reads the timeline, and tells its receivers', async () => {
    const { clock, ledger, keeper, caseId } = await setUp(fresh);
    clock.now = T0 + 5 * MIN;
    await ledger.cases.act(caseId, 'classify', { actor: 'cli:ana', classification: 'malware' });
    expect(await keeper.tick()).toEqual([]);
    clock.now = T0 + 40 * MIN;
    await ledger.cases.act(caseId, 'classify', { actor: 'cli:ana', classification: 'data-breach' });
    // The worker was down for two hours: the clock still starts at the reclassification.
    clock.now = T0 + 160 * MIN;
    const started = await keeper.tick();
    expect(started.map((c) => [c.event.event, c.event.to, c.notifications.map((n) => `${n.receiver}:${n.kind}`)])).toEqual([['obligation-started', 'breach-24h', ['legal-email:update']]]);
    const [o] = (await ledger.cases.get(caseId))!.obligations;
    expect(o).toMatchObject({ name: 'breach-24h', status: 'running', startedAt: new Date(T0 + 40 * MIN).toISOString(), dueAt: new Date(T0 + 40 * MIN + 24 * HOUR).toISOString(), late: false, nextReminderAt: new Date(T0 + 40 * MIN + 20 * HOUR).toISOString() });
    expect(await keeper.tick()).toEqual([]);
    // Reclassified away from data-breach: a duty once known keeps running.
    await ledger.cases.act(caseId, 'classify', { actor: 'cli:ana', classification: 'malware' });
    expect(await keeper.tick()).toEqual([]);
    expect((await ledger.obligations.list({ caseId })).map((x) => x.status)).toEqual(['running']);
    const notice = JSON.parse((await ledger.outbox.due(clock.now)).find((n) => n.receiver === 'legal-email')!.notice) as { summary: string; drill: boolean };
    expect(notice).toMatchObject({ summary: `Obligation started: Tell the customer. Due 2026-11-21T10:40:00Z (24 h from 2026-11-20T10:40:00Z): classified data-breach.`, drill: false });
  });

  it('reminds before the due time, then records a missed deadline, tells its receivers and counts it; met afterwards is met late', async () => {
    const { clock, ledger, keeper, caseId } = await setUp(fresh);
    await ledger.cases.act(caseId, 'classify', { actor: 'cli:ana', classification: 'data-breach' });
    await keeper.tick();
    clock.now = T0 + 20 * HOUR + MIN;
    const reminded = await keeper.tick();
    expect(reminded.map((c) => [c.event.event, c.event.note])).toEqual([['obligation-reminded', 'breach-24h: reminder 1, due 2026-11-21T10:00:00Z (in 3h 59m)']]);
    expect(reminded[0]!.notifications.map((n) => `${n.receiver}:${n.kind}`)).toEqual(['legal-email:reminder']);
    // The second reminder, an hour before.
    clock.now = T0 + 23 * HOUR + 30 * MIN;
    expect((await keeper.tick()).map((c) => c.event.event)).toEqual(['obligation-reminded']);
    expect((await ledger.obligations.stats(clock.now)).running).toEqual([{ obligation: 'breach-24h', seconds: 1800 }]);
    clock.now = T0 + 24 * HOUR;
    const missed = await keeper.tick();
    expect(missed.map((c) => [c.event.event, c.event.from, c.event.to, c.notifications.map((n) => `${n.receiver}:${n.kind}`)])).toEqual([['obligation-missed', 'running', 'missed', ['legal-email:update']]]);
    expect(await ledger.obligations.stats(clock.now)).toEqual({ running: [], missed: [{ obligation: 'breach-24h', count: 1 }], byStatus: [{ obligation: 'breach-24h', status: 'missed', count: 1 }] });
    clock.now += 2 * HOUR;
    const met = await ledger.obligations.settle(caseId, 'breach-24h', 'met', { actor: 'cli:ana', note: 'customer told, ticket 4711' });
    expect(met).toMatchObject({ status: 'done', obligation: { status: 'met', late: true, doneBy: 'cli:ana', note: 'customer told, ticket 4711' }, change: { event: { event: 'obligation-met', note: 'breach-24h (late): customer told, ticket 4711' } } });
    // Met late is still a miss in the count.
    expect((await ledger.obligations.stats(clock.now)).missed).toEqual([{ obligation: 'breach-24h', count: 1 }]);
  });

  it('waiving needs a reason, records who and why, stops the clock, and cannot be undone by met', async () => {
    const { clock, ledger, keeper, caseId } = await setUp(fresh);
    await ledger.cases.act(caseId, 'flag', { actor: 'cli:ana', flag: 'personal-data' });
    expect(await ledger.cases.act(caseId, 'flag', { actor: 'cli:ana', flag: 'personal-data' })).toMatchObject({ status: 'refused', message: 'the case is flagged personal-data already' });
    expect((await keeper.tick()).flatMap((c) => c.notifications.map((n) => `${n.receiver}:${n.kind}`))).toEqual(['dpo-email:update', 'ciso-email:update']);
    expect(await ledger.obligations.settle(caseId, 'gdpr', 'waived', { actor: 'cli:dpo', note: undefined })).toEqual({ status: 'refused', message: 'a waiver needs a reason (--reason / reason)' });
    expect(await ledger.obligations.settle(caseId, 'nope', 'waived', { actor: 'cli:dpo', note: 'x' })).toEqual({ status: 'not_found', message: `case ${caseId} has no obligation nope (its obligations: gdpr)` });
    clock.now = T0 + HOUR;
    const waived = await ledger.obligations.settle(caseId, 'gdpr', 'waived', { actor: 'cli:dpo', note: 'pseudonymised test data only: no risk to people (Art. 33(1))' });
    expect(waived).toMatchObject({ status: 'done', obligation: { status: 'waived', late: false, doneBy: 'cli:dpo', doneAt: new Date(T0 + HOUR).toISOString() } });
    expect(await ledger.obligations.settle(caseId, 'gdpr', 'met', { actor: 'cli:ana', note: undefined })).toEqual({ status: 'refused', message: 'cannot mark gdpr met: it is waived (by cli:dpo)' });
    clock.now = T0 + 100 * HOUR;
    expect(await keeper.tick()).toEqual([]);
    const detail = (await ledger.cases.get(caseId))!;
    expect(detail.flags).toEqual(['personal-data']);
    expect(detail.timeline.map((e) => `${e.actor} ${e.event} ${e.from ?? '-'}→${e.to ?? '-'}`)).toEqual([
      'alertgate opened -→open',
      'cli:ana flagged -→personal-data',
      'alertgate obligation-started -→gdpr',
      'cli:dpo obligation-waived running→waived',
    ]);
  });

  it('a case closed before the clock read it starts nothing: its duties were settled while it was worked', async () => {
    const { ledger, keeper, caseId } = await setUp(fresh);
    await ledger.cases.act(caseId, 'flag', { actor: 'cli:ana', flag: 'personal-data' });
    await ledger.cases.act(caseId, 'resolve', { actor: 'cli:ana' });
    await ledger.cases.act(caseId, 'close', { actor: 'cli:ana' });
    expect(await keeper.tick()).toEqual([]);
    // Reopened: read again, and the flag recorded before starts its clock then.
    await ledger.cases.act(caseId, 'reopen', { actor: 'cli:ana' });
    expect((await keeper.tick()).map((c) => c.event.to)).toEqual(['gdpr']);
  });

  it('business days for a determination of materiality: the SEC clock skips Thanksgiving and the weekend', async () => {
    const { clock, ledger, keeper, caseId } = await setUp(fresh);
    // Wed 25 Nov 2026, 15:00 Eastern: Thu 26 is Thanksgiving, 28-29 the weekend: Fri 27, Mon 30, Tue 1, Wed 2.
    clock.now = Date.parse('2026-11-25T20:00:00Z');
    await ledger.cases.act(caseId, 'flag', { actor: 'cli:cfo', flag: 'material' });
    await keeper.tick();
    expect((await ledger.obligations.list({ caseId })).map((o) => [o.name, o.dueAt])).toEqual([['sec', '2026-12-02T22:30:00.000Z']]);
  });
});

it('migration 0003: the history of an older ledger starts no clock; what happens after it does', async () => {
  const path = join(tempDir('alertgate-ledger-'), 'old.sqlite');
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(path) }) });
  const old = new Migrator({ db, provider: { getMigrations: async () => ({ '0001-init': MIGRATIONS['0001-init']!, '0002-cases': MIGRATIONS['0002-cases']! }) } });
  expect((await old.migrateToLatest()).error).toBeUndefined();
  const record = incidentRecord({ n: 1 });
  await db
    .insertInto('incidents')
    .values({ id: record.id, rule_id: 'r1', rule_version: 1, status: 'closed', severity: 'high', first_seen_ms: Date.parse(record.firstSeen), last_seen_ms: Date.parse(record.lastSeen), alert_count: 1, record: JSON.stringify(record), verdict: null, feedback_id: null, updated_at_ms: T0, case_id: caseIdOf(record.id) })
    .execute();
  // Classified a data breach a year ago: its 24-hour duty, if any, was dealt with then.
  await db.insertInto('cases').values({ id: caseIdOf(record.id), title: 't', severity: 'high', category: 'other', summary: 's', first_seen_ms: T0, last_seen_ms: T0, alert_count: 1, incident_count: 1, open_incidents: 0, rules: '[]', entities: '{}', tags: '[]', state: 'open', assignee: null, classification: 'data-breach', policy: null, oncall: null, escalation_level: 0, reminders: 0, next_escalation_at_ms: null, rematch: 0, opened_at_ms: T0, acknowledged_at_ms: null, resolved_at_ms: null, closed_at_ms: null, updated_at_ms: T0, last_seq: 2 }).execute();
  await db.insertInto('case_events').values([
    { case_id: caseIdOf(record.id), seq: 1, at_ms: T0, actor: 'alertgate', event: 'opened', from_value: null, to_value: 'open', note: null },
    { case_id: caseIdOf(record.id), seq: 2, at_ms: T0, actor: 'cli:ana', event: 'classified', from_value: null, to_value: 'data-breach', note: null },
  ]).execute();
  await db.destroy();
  const clock = { now: T0 + 365 * 24 * HOUR };
  const ledger = await LedgerClass.open(parseLedgerLocation(path), { now: () => clock.now });
  try {
    const file = join(tempDir('alertgate-obligations-'), 'obligations.yaml');
    writeFileSync(file, OBLIGATIONS);
    const keeper = new ObligationKeeper({ store: ledger.obligations, policy: await loadObligationsOrThrow(file), now: () => clock.now });
    expect(await keeper.tick()).toEqual([]);
    await ledger.cases.act(caseIdOf(record.id), 'flag', { actor: 'cli:dpo', flag: 'personal-data' });
    expect((await keeper.tick()).map((c) => c.event.to)).toEqual(['gdpr']);
  } finally {
    await ledger.close();
  }
});
