import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { caseIdOf } from '../../src/cases/case-id.js';
import { TRANSITIONS } from '../../src/cases/lifecycle.js';
import type { IncidentRecord } from '../../src/incidents/index.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { Ledger as LedgerClass } from '../../src/ledger/ledger.js';
import { parseLedgerLocation } from '../../src/ledger/connect.js';
import { MIGRATIONS } from '../../src/ledger/migrations/index.js';
import { tempDir } from '../helpers.js';
import { describeLedger } from './backends.js';
import { incidentRecord } from './fixtures.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);

/** Two rules' incidents filed into one case, as the pipeline would. */
function attack(overrides: { first?: Partial<IncidentRecord>; second?: Partial<IncidentRecord> } = {}) {
  const first = incidentRecord({ n: 1, ruleId: 'brute', severity: 'high', status: 'open', groupKey: { 'entities.src_ip': '203.0.113.7' }, ...overrides.first });
  const caseId = caseIdOf(first.id);
  const second = incidentRecord({ n: 2, ruleId: 'malware', severity: 'critical', alertCount: 3, groupKey: { 'entities.host': 'web-1' }, ...overrides.second });
  return { caseId, first: { ...first, caseId }, second: { ...second, caseId } };
}

const opening = (incidentId: string, entities: Record<string, string>, tags: string[] = []) => ({
  incidentId,
  alertId: `alert-of-${incidentId}`,
  decisionJson: JSON.stringify({ explanation: { by: 'rule', rule: { id: 'brute', version: 1, priority: 1, file: 'brute.yaml' }, aggregates: { fails: 25 }, params: { minFails: 20 } } }),
  alert: { name: 'ssh failed', source: 'wazuh', severity: 'medium', entities, tags },
});

/** Tells receivers at level 1, as the escalation does (so that later changes update them). */
async function tell(ledger: Ledger, caseId: string, receivers: string[]) {
  return ledger.cases.escalate(caseId, () => ({
    set: { escalation_level: 1, policy: 'p', oncall: 'alice', next_escalation_at_ms: null },
    events: [{ event: 'escalated', from: '0', to: '1', note: null, receivers: receivers.map((receiver) => ({ receiver, kind: 'open' as const })) }],
  }));
}

describeLedger('cases', (fresh, backend) => {
  it('files incidents into their case: detection facts from its incidents, rules by alerts, entities and tags, an opened event', async () => {
    let now = T0 + 5 * MIN;
    const ledger = await fresh({ now: () => now });
    const { caseId, first, second } = attack();
    const changes = await ledger.writeBatch({ incidents: [first], openings: [opening(first.id, { src_ip: '203.0.113.7', host: 'web-1' }, ['auth'])], counts: [], source: 's' }, { escalate: true });
    expect(changes.map((c) => [c.caseId, c.event.event, c.event.to])).toEqual([[caseId, 'opened', 'open']]);
    now += MIN;
    await ledger.writeBatch({ incidents: [second], openings: [opening(second.id, { host: 'web-1', user: 'root' }, ['edr', 'auth'])], counts: [], source: 's' });
    const detail = (await ledger.cases.get(caseId))!;
    expect(detail).toMatchObject({
      id: caseId,
      title: first.title,
      severity: 'critical',
      state: 'open',
      detection: 'active',
      alertCount: 4,
      incidentCount: 2,
      rules: [
        { id: 'malware', alerts: 3 },
        { id: 'brute', alerts: 1 },
      ],
      entities: { host: ['web-1'], src_ip: ['203.0.113.7'], user: ['root'] },
      tags: ['auth', 'edr'],
      openedAt: new Date(T0 + 5 * MIN).toISOString(),
      escalation: { level: 0, nextAt: new Date(T0 + 5 * MIN).toISOString() },
    });
    expect(detail.summary).toBe(`${first.title}. Opened by rule brute v1: fails 25 (thresholds minFails 20) on src_ip=203.0.113.7.`);
    expect(detail.incidents.map((i) => i.id)).toEqual([first.id, second.id]);
    expect(detail.timeline.map((e) => [e.event, e.from, e.to])).toEqual([
      ['opened', null, 'open'],
      ['grew', '1 incidents, high', '2 incidents, critical'],
    ]);
    expect(await ledger.cases.resolveId(second.id)).toBe(caseId);
    expect(await ledger.cases.resolveId('inc-000000000000000000000000')).toBeUndefined();
  });

  it('writing the same incidents again changes nothing (at-least-once redelivery)', async () => {
    const ledger = await fresh({ now: () => T0 });
    const { caseId, first, second } = attack();
    await ledger.writeBatch({ incidents: [first, second], openings: [], counts: [], source: 's' });
    const before = await ledger.cases.get(caseId);
    expect(await ledger.writeBatch({ incidents: [first, second], openings: [], counts: [], source: 's' })).toEqual([]);
    expect(await ledger.cases.get(caseId)).toEqual(before);
  });

  it('detection going quiet is an event, never a state change; a new incident is growth that updates every receiver told', async () => {
    const ledger = await fresh({ now: () => T0 });
    const { caseId, first, second } = attack({ second: { status: 'open' } });
    await ledger.writeBatch({ incidents: [first], openings: [], counts: [], source: 's' });
    await tell(ledger, caseId, ['slack', 'pager']);
    const grew = await ledger.writeBatch({ incidents: [second], openings: [], counts: [], source: 's' });
    expect(grew.map((c) => [c.event.event, c.notifications.map((n) => `${n.receiver}:${n.kind}`)])).toEqual([['grew', ['pager:update', 'slack:update']]]);
    const quiet = await ledger.writeBatch({ incidents: [{ ...first, status: 'closed' }, { ...second, status: 'closed' }], openings: [], counts: [], source: 's' });
    expect(quiet.map((c) => [c.event.event, c.notifications.length])).toEqual([['quiet', 0]]);
    const detail = (await ledger.cases.get(caseId))!;
    expect(detail).toMatchObject({ state: 'open', detection: 'quiet' });
  });

  it('the opening incident names the case whichever flush brings it', async () => {
    const ledger = await fresh({ now: () => T0 });
    const { caseId, first, second } = attack();
    await ledger.writeBatch({ incidents: [second], openings: [], counts: [], source: 's' });
    expect((await ledger.cases.get(caseId))!.title).toBe(second.title);
    await ledger.writeBatch({ incidents: [first], openings: [], counts: [], source: 's' });
    expect((await ledger.cases.get(caseId))!.title).toBe(first.title);
  });

  it('lifecycle: refuses what the table does not allow, with what is possible; ack stops escalation; resolve resolves every receiver told; close tells nobody', async () => {
    let now = T0;
    const ledger = await fresh({ now: () => now });
    const { caseId, first } = attack();
    await ledger.writeBatch({ incidents: [first], openings: [], counts: [], source: 's' }, { escalate: true });
    await tell(ledger, caseId, ['pager']);
    now += 4 * MIN;
    expect(await ledger.cases.act(caseId, 'close', { actor: 'cli:ana' })).toEqual({
      status: 'refused',
      caseId,
      message: 'cannot close a case that is open; from open a case can be: acknowledge, assign, classify, flag, unflag, contain, resolve (docs/cases.md, "Lifecycle")',
    });
    const ack = await ledger.cases.act(caseId, 'acknowledge', { actor: 'cli:ana', note: 'on it' });
    expect(ack).toMatchObject({ status: 'done', case: { state: 'acknowledged', acknowledgedAt: new Date(T0 + 4 * MIN).toISOString(), escalation: { nextAt: null } } });
    expect(ack.status === 'done' && ack.change.notifications.map((n) => `${n.receiver}:${n.kind}`)).toEqual(['pager:update']);
    expect(await ledger.cases.dueForEscalation(now + 60 * MIN)).toEqual([]);
    expect(await ledger.cases.act(caseId, 'acknowledge', { actor: 'cli:ana' })).toMatchObject({ status: 'refused', message: expect.stringContaining('(it is already acknowledged)') });
    await ledger.cases.act(caseId, 'assign', { actor: 'cli:ana', assignee: 'bob' });
    await ledger.cases.act(caseId, 'classify', { actor: 'cli:bob', classification: 'unauthorized-access' });
    now += 30 * MIN;
    const resolved = await ledger.cases.act(caseId, 'resolve', { actor: 'cli:bob' });
    expect(resolved.status === 'done' && resolved.change.notifications.map((n) => `${n.receiver}:${n.kind}`)).toEqual(['pager:resolve']);
    const closed = await ledger.cases.act(caseId, 'close', { actor: 'cli:bob' });
    expect(closed.status === 'done' && closed.change.notifications).toEqual([]);
    expect(await ledger.cases.act(caseId, 'assign', { actor: 'cli:bob', assignee: 'eve' })).toMatchObject({ status: 'refused' });
    const reopened = await ledger.cases.act(caseId, 'reopen', { actor: 'cli:carol', note: 'it came back' });
    expect(reopened).toMatchObject({ status: 'done', case: { state: 'reopened', assignee: 'bob', classification: 'unauthorized-access', closedAt: null, escalation: { level: 0, policy: null } } });
    // Reopened: nobody has it, so escalation starts over.
    expect(await ledger.cases.dueForEscalation(now)).toEqual([caseId]);
    const detail = (await ledger.cases.get(caseId))!;
    expect(detail.timeline.map((e) => `${e.actor} ${e.event} ${e.from ?? '-'}→${e.to ?? '-'}`)).toEqual([
      'alertgate opened -→open',
      'alertgate escalated 0→1',
      'cli:ana acknowledged open→acknowledged',
      'cli:ana assigned -→bob',
      'cli:bob classified -→unauthorized-access',
      'cli:bob resolved acknowledged→resolved',
      'cli:bob closed resolved→closed',
      'cli:carol reopened closed→reopened',
    ]);
    expect(detail.resolvedAt).toBe(new Date(T0 + 34 * MIN).toISOString());
    expect(await ledger.cases.act('case-000000000000000000000000', 'acknowledge', { actor: 'x' })).toEqual({ status: 'not_found', caseId: 'case-000000000000000000000000' });
  });

  it('two analysts acknowledging one case at once: one acknowledges it, the other is refused; one event, one update per receiver', async () => {
    const ledger = await fresh({ now: () => T0 });
    const { caseId, first } = attack();
    await ledger.writeBatch({ incidents: [first], openings: [], counts: [], source: 's' });
    await tell(ledger, caseId, ['pager']);
    const results = await Promise.all(['cli:ana', 'api:bob', 'api:eve'].map((actor) => ledger.cases.act(caseId, 'acknowledge', { actor })));
    expect(results.map((r) => r.status).sort()).toEqual(['done', 'refused', 'refused']);
    const detail = (await ledger.cases.get(caseId))!;
    expect(detail.timeline.filter((e) => e.event === 'acknowledged')).toHaveLength(1);
    expect(detail.notifications.filter((n) => n.kind === 'update')).toHaveLength(1);
  });

  it('every action of the transition table is taken from each state it lists, and refused from the others', async () => {
    const ledger = await fresh({ now: () => T0 });
    let n = 0;
    // A case driven into `state` by allowed actions only.
    const paths: Record<string, string[]> = { open: [], acknowledged: ['acknowledge'], contained: ['contain'], resolved: ['resolve'], closed: ['resolve', 'close'], reopened: ['resolve', 'reopen'] };
    for (const [action, rule] of Object.entries(TRANSITIONS)) {
      for (const [state, path] of Object.entries(paths)) {
        const record = incidentRecord({ n: ++n });
        await ledger.writeBatch({ incidents: [record], openings: [], counts: [], source: 's' });
        const id = caseIdOf(record.id);
        // unflag needs the flag it removes: set while flagging is still allowed.
        if (action === 'unflag') expect((await ledger.cases.act(id, 'flag', { actor: 't', flag: 'material' })).status).toBe('done');
        for (const step of path) expect((await ledger.cases.act(id, step as never, { actor: 't' })).status).toBe('done');
        const result = await ledger.cases.act(id, action as never, { actor: 't', assignee: 'x', classification: 'malware', flag: 'material' });
        expect(result.status, `${action} from ${state}`).toBe((rule.from as readonly string[]).includes(state) ? 'done' : 'refused');
      }
    }
  });

  it('lists cases by state, severity, rule, time, classification and assignee, with the verdict from the feedback', async () => {
    const ledger = await fresh({ now: () => T0 });
    const { caseId, first, second } = attack();
    const other = incidentRecord({ n: 5, ruleId: 'scan', severity: 'low' });
    await ledger.writeBatch({ incidents: [first, second, other], openings: [], counts: [], source: 's' });
    const otherCase = caseIdOf(other.id);
    await ledger.cases.act(otherCase, 'assign', { actor: 't', assignee: 'bob' });
    await ledger.cases.act(caseId, 'classify', { actor: 't', classification: 'malware' });
    await ledger.addFeedback({ incidentId: first.id, verdict: 'false_positive', reason: 'r', analyst: 'a' }, 'test');
    await ledger.addFeedback({ incidentId: second.id, verdict: 'true_positive', reason: 'r', analyst: 'a' }, 'test');
    const ids = async (filter: Parameters<Ledger['cases']['list']>[0]) => (await ledger.cases.list(filter)).map((c) => c.id);
    expect(await ids({})).toEqual([otherCase, caseId]);
    expect(await ids({ ruleId: 'malware' })).toEqual([caseId]);
    expect(await ids({ severity: 'low' })).toEqual([otherCase]);
    expect(await ids({ classification: 'malware' })).toEqual([caseId]);
    expect(await ids({ assignee: 'bob' })).toEqual([otherCase]);
    expect(await ids({ state: 'open' })).toEqual([otherCase, caseId]);
    expect(await ids({ sinceMs: Date.parse(other.firstSeen) })).toEqual([otherCase]);
    expect(await ids({ untilMs: Date.parse(other.firstSeen) - 1 })).toEqual([caseId]);
    const [o, c] = await ledger.cases.list({});
    expect([o!.verdict, c!.verdict]).toEqual([null, 'true_positive']);
  });

  it('outbox: order per case and receiver (a notification queued behind a retry is not due before it), receiver state merged, retry, dead letter with its fallback told', async () => {
    let now = T0;
    const ledger = await fresh({ now: () => now });
    const { caseId, first, second } = attack();
    await ledger.writeBatch({ incidents: [first], openings: [], counts: [], source: 's' });
    await tell(ledger, caseId, ['slack', 'pager']);
    await ledger.writeBatch({ incidents: [second], openings: [], counts: [], source: 's' });
    // Two notifications per receiver; only the first of each is due.
    let due = await ledger.outbox.due(now);
    expect(due.map((r) => `${r.receiver}:${r.kind}`).sort()).toEqual(['pager:open', 'slack:open']);
    const slackOpen = due.find((r) => r.receiver === 'slack')!;
    await ledger.outbox.delivered(slackOpen, { ts: '1.1', channel: 'C1' });
    await ledger.outbox.retry(due.find((r) => r.receiver === 'pager')!, 'HTTP 503', now + MIN);
    due = await ledger.outbox.due(now);
    expect(due.map((r) => `${r.receiver}:${r.kind}`)).toEqual(['slack:update']);
    expect(await ledger.outbox.told('slack', caseId, due[0]!.case_seq)).toBe(true);
    expect(await ledger.outbox.told('pager', caseId, 99)).toBe(false);
    await ledger.outbox.delivered(due[0]!, { ts: '1.2' });
    expect(await ledger.outbox.receiverState('slack', caseId)).toEqual({ ts: '1.2', channel: 'C1' });
    // The pager's retry is due a minute later; its update waits behind it.
    expect(await ledger.outbox.due(now)).toEqual([]);
    // ...and is not due before it: the next due time is the retry's, not the queued update's (the dispatcher would spin).
    expect(await ledger.outbox.nextDueMs()).toBe(now + MIN);
    now += MIN;
    const [pagerOpen] = await ledger.outbox.due(now);
    expect(pagerOpen).toMatchObject({ receiver: 'pager', kind: 'open', attempts: 1, last_error: 'HTTP 503' });
    const dead = await ledger.outbox.dead(pagerOpen!, 'HTTP 400: bad routing key', 'email');
    expect(dead?.event).toMatchObject({ event: 'notification-dead', from: 'pager', to: 'email', actor: 'delivery' });
    expect(dead?.notifications.map((n) => `${n.receiver}:${n.kind}`)).toEqual(['email:open']);
    due = await ledger.outbox.due(now);
    expect(due.map((r) => `${r.receiver}:${r.kind}:${r.fallback_for === pagerOpen!.id}`).sort()).toEqual(['email:open:true', 'pager:update:false']);
    // A fallback's own dead letter tells nobody else.
    const email = due.find((r) => r.receiver === 'email')!;
    expect((await ledger.outbox.dead(email, 'smtp down', 'email'))?.notifications).toEqual([]);
    expect((await ledger.outbox.list({ status: 'dead' })).map((n) => n.receiver).sort()).toEqual(['email', 'pager']);
    expect(await ledger.outbox.tally()).toEqual([
      { receiver: 'email', delivered: 0, dead: 1, pending: 0, failedAttempts: 1 },
      { receiver: 'pager', delivered: 0, dead: 1, pending: 1, failedAttempts: 2 },
      { receiver: 'slack', delivered: 2, dead: 0, pending: 0, failedAttempts: 0 },
    ]);
  });

  it('leases: one holder at a time, renewed by it, taken over once expired with a higher token', async () => {
    let now = T0;
    const ledger = await fresh({ now: () => now });
    expect(await ledger.leases.acquire('delivery', 'w1', 10_000)).toEqual({ token: 1, expiresAtMs: T0 + 10_000 });
    expect(await ledger.leases.acquire('delivery', 'w2', 10_000)).toBeUndefined();
    now += 5_000;
    expect(await ledger.leases.acquire('delivery', 'w1', 10_000)).toEqual({ token: 1, expiresAtMs: T0 + 15_000 });
    now += 10_001;
    expect(await ledger.leases.acquire('delivery', 'w2', 10_000)).toEqual({ token: 2, expiresAtMs: now + 10_000 });
    await ledger.leases.release('delivery', 'w1');
    expect(await ledger.leases.acquire('delivery', 'w1', 10_000)).toBeUndefined();
    await ledger.leases.release('delivery', 'w2');
    expect(await ledger.leases.acquire('delivery', 'w1', 10_000)).toMatchObject({ token: 3 });
    if (backend === 'postgres') {
      // Racing first takers: exactly one wins.
      const race = await Promise.all(['a', 'b', 'c', 'd'].map((h) => ledger.leases.acquire('race', h, 10_000)));
      expect(race.filter((r) => r !== undefined)).toHaveLength(1);
    }
  });
});

it('migration 0002 files the incidents of an older ledger into cases of their own', async () => {
  const path = join(tempDir('alertgate-ledger-'), 'old.sqlite');
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(path) }) });
  const old = new Migrator({ db, provider: { getMigrations: async () => ({ '0001-init': MIGRATIONS['0001-init']! }) } });
  expect((await old.migrateToLatest()).error).toBeUndefined();
  const record = incidentRecord({ n: 1 });
  await db
    .insertInto('incidents')
    .values({ id: record.id, rule_id: 'r1', rule_version: 1, status: 'closed', severity: 'high', first_seen_ms: Date.parse(record.firstSeen), last_seen_ms: Date.parse(record.lastSeen), alert_count: 1, record: JSON.stringify(record), verdict: null, feedback_id: null, updated_at_ms: T0 })
    .execute();
  await db.destroy();
  const ledger = await LedgerClass.open(parseLedgerLocation(path));
  try {
    const cases = await ledger.cases.list();
    expect(cases).toHaveLength(1);
    expect(cases[0]).toMatchObject({ id: caseIdOf(record.id), state: 'open', detection: 'quiet', incidentCount: 1, entities: { host: ['host-1'] }, escalation: { nextAt: null } });
    expect((await ledger.cases.get(caseIdOf(record.id)))!.timeline).toMatchObject([{ actor: 'migration', event: 'opened' }]);
  } finally {
    await ledger.close();
  }
});
