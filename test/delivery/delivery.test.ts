import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import type { DeliveryResult, Receiver } from '../../src/receivers/receiver.js';
import { describeLedger } from '../ledger/backends.js';
import { deliveryRig, figures, SECRETS, T0 } from './harness.js';
import { PagerReceiver } from './vendor-receivers.mjs';

const SEC = 1000;
const MIN = 60 * SEC;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

type Rig = Awaited<ReturnType<typeof deliveryRig>>;
async function rig(...args: Parameters<typeof deliveryRig>): Promise<Rig> {
  const r = await deliveryRig(...args);
  cleanups.push(() => r.close());
  return r;
}

describeLedger('delivery', (fresh, backend) => {
  it('receiver down for minutes, then back: nothing lost, no duplicate, order per case kept', async () => {
    const r = await rig(fresh);
    const cases = await r.openCases(12);
    await r.vendor.down();
    // Ten minutes of outage; meanwhile analysts acknowledge four cases and resolve four others.
    await r.runFor(2 * MIN);
    for (const id of cases.slice(0, 4)) expect((await r.ledger.cases.act(id, 'acknowledge', { actor: 'cli:ana' })).status).toBe('done');
    for (const id of cases.slice(4, 8)) expect((await r.ledger.cases.act(id, 'resolve', { actor: 'cli:ana' })).status).toBe('done');
    await r.runFor(8 * MIN);
    const during = await figures(r.ledger, r.vendor);
    expect(during).toMatchObject({ delivered: 0, deadLettered: 0 });
    expect(r.vendor.statuses.size).toBe(0);

    await r.vendor.up();
    await r.settle();
    const after = await figures(r.ledger, r.vendor);
    console.log(`[${backend}] receiver down 10 min then back: ${JSON.stringify(after)}`);
    // 12 cases × (pager, tickets) opened, 4 acknowledged and 4 resolved: an update or a resolve to both.
    expect(after).toMatchObject({ notifications: 40, delivered: 40, deadLettered: 0, duplicates: 0, lost: 0, pages: 12, retransmissions: 0 });
    const pager = r.vendor.actionsByCase('pager');
    const tickets = r.vendor.actionsByCase('tickets');
    for (const [i, id] of cases.entries()) {
      const expected = i < 4 ? ['trigger', 'acknowledge'] : i < 8 ? ['trigger', 'resolve'] : ['trigger'];
      expect(pager.get(id), id).toEqual(expected);
      expect(tickets.get(id), id).toEqual(i < 4 ? ['create', 'comment'] : i < 8 ? ['create', 'transition'] : ['create']);
    }
    // 15 minutes after opening, the cases nobody acknowledged or resolved escalate: the secondary is paged for them only.
    r.advance(Math.max(0, T0 + 15 * MIN - r.now()));
    await r.settle();
    expect([...r.vendor.actionsByCase('pager', 1).keys()].sort()).toEqual(cases.slice(8).sort());
  });

  it('429 storm: Retry-After honoured, nothing lost, no duplicate', async () => {
    const r = await rig(fresh);
    const cases = await r.openCases(10);
    r.vendor.throttleNext(25, 30);
    const start = r.now();
    await r.dispatcher.round();
    // Every attempt was throttled: none is tried again before the 30 s the vendor asked for.
    const pending = await r.ledger.outbox.list({ status: 'pending' });
    expect(pending).toHaveLength(20);
    for (const n of pending) {
      expect(n.attempts).toBe(1);
      expect(Date.parse(n.nextAttemptAt!) - start).toBeGreaterThanOrEqual(30 * SEC);
      expect(n.lastError).toMatch(/^HTTP 429/);
    }
    await r.settle();
    const result = await figures(r.ledger, r.vendor);
    console.log(`[${backend}] 429 storm (25 × Retry-After 30 s): ${JSON.stringify(result)}`);
    expect(result).toMatchObject({ notifications: 20, delivered: 20, deadLettered: 0, duplicates: 0, lost: 0, pages: 10, retransmissions: 0 });
    expect(r.vendor.statuses.get(429)).toBe(25);
    for (const id of cases) expect(r.vendor.actionsByCase('tickets').get(id)).toEqual(['create']);
  });

  it('escalation fires at level 2 when nobody acknowledges', async () => {
    const r = await rig(fresh);
    const [id] = await r.openCases(1);
    await r.settle();
    expect(r.vendor.actionsByCase('pager', 1).size).toBe(0);
    r.advance(14 * MIN + 59 * SEC);
    await r.dispatcher.round();
    expect(r.vendor.actionsByCase('pager', 1).size).toBe(0);
    r.advance(SEC);
    await r.settle();
    expect(r.vendor.actionsByCase('pager', 1).get(id!)).toEqual(['trigger']);
    const detail = (await r.ledger.cases.get(id!))!;
    expect(detail.escalation).toMatchObject({ policy: 'page', level: 2 });
    expect(detail.timeline.filter((e) => e.event === 'escalated').map((e) => `${e.from}→${e.to} ${e.at}`)).toEqual([
      `0→1 ${new Date(Date.UTC(2026, 10, 20, 10, 0, 0)).toISOString()}`,
      `1→2 ${new Date(Date.UTC(2026, 10, 20, 10, 15, 0)).toISOString()}`,
    ]);
  });

  it('acknowledging stops escalation', async () => {
    const r = await rig(fresh);
    const [id] = await r.openCases(1);
    await r.settle();
    r.advance(10 * MIN);
    expect((await r.ledger.cases.act(id!, 'acknowledge', { actor: 'api:ana' })).status).toBe('done');
    await r.settle();
    r.advance(6 * 60 * MIN);
    await r.settle();
    expect(r.vendor.actionsByCase('pager', 1).size).toBe(0);
    expect(r.vendor.actionsByCase('pager').get(id!)).toEqual(['trigger', 'acknowledge']);
    expect((await r.ledger.cases.get(id!))!.escalation).toMatchObject({ level: 1, nextAt: null });
  });

  it('resolve notifies resolve: the page is resolved and the ticket transitioned', async () => {
    const r = await rig(fresh);
    const [id] = await r.openCases(1);
    await r.settle();
    await r.ledger.cases.act(id!, 'resolve', { actor: 'api:ana', note: 'contained and cleaned' });
    await r.settle();
    expect(r.vendor.actionsByCase('pager').get(id!)).toEqual(['trigger', 'resolve']);
    expect(r.vendor.actionsByCase('tickets').get(id!)).toEqual(['create', 'transition']);
  });

  it('a failure retrying cannot fix is dead-lettered at once, counted, visible, and the fallback receiver is told; no secret in the ledger, the API model or the logs', async () => {
    const r = await rig(fresh, {
      fallback: 'fallback-pager',
      // The primary pager with a revoked key: the vendor's 400 repeats the key it was sent.
      receivers: (vendor) => [new PagerReceiver('pager', vendor.url, REVOKED_KEY)],
    });
    const [id] = await r.openCases(1);
    await r.settle();
    const dead = await r.ledger.outbox.list({ status: 'dead' });
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ receiver: 'pager', attempts: 1, status: 'dead' });
    expect(dead[0]!.lastError).toBe('HTTP 400: {"status":"invalid event","message":"unknown routing_key [redacted]"}');
    // The fallback pager was paged instead.
    expect(r.vendor.actionsByCase('pager', 2).get(id!)).toEqual(['trigger']);
    const detail = (await r.ledger.cases.get(id!))!;
    expect(detail.timeline.find((e) => e.event === 'notification-dead')).toMatchObject({ actor: 'delivery', from: 'pager', to: 'fallback-pager' });
    expect((await r.ledger.outbox.tally()).find((t) => t.receiver === 'pager')).toMatchObject({ dead: 1 });
    const everything = JSON.stringify([detail, await r.ledger.outbox.list({}), r.logLines, r.changes]);
    expect(everything).toContain('[redacted]');
    for (const secret of [REVOKED_KEY, ...SECRETS.routingKeys, SECRETS.token]) expect(everything).not.toContain(secret);
  });

  it('a receiver that is not configured is dead-lettered at once, naming it', async () => {
    const r = await rig(fresh, { escalationYaml: 'timezone: UTC\npolicies:\n  - name: p\n    levels:\n      - notify: [slack-typo]\n' });
    await r.openCases(1);
    await r.settle();
    const [dead] = await r.ledger.outbox.list({ status: 'dead' });
    expect(dead!.lastError).toBe('no receiver named "slack-typo" is configured (receivers: fallback-pager, pager, pager-secondary, tickets)');
  });

  it('rate limit: one message a second to a receiver, whatever the backlog', async () => {
    const r = await rig(fresh, { rate: { perSecond: 1, burst: 1 } });
    await r.openCases(5);
    await r.settle();
    const delivered = (await r.ledger.outbox.list({ status: 'delivered', receiver: 'pager' })).map((n) => Date.parse(n.deliveredAt!)).sort((a, b) => a - b);
    expect(delivered).toHaveLength(5);
    for (let i = 1; i < delivered.length; i++) expect(delivered[i]! - delivered[i - 1]!).toBeGreaterThanOrEqual(SEC);
    expect((await figures(r.ledger, r.vendor)).duplicates).toBe(0);
  });

  it('a receiver that throws or hangs is retried, never crashes the round', async () => {
    let calls = 0;
    const flaky: Receiver = {
      name: 'tickets',
      type: 'flaky',
      async send(): Promise<DeliveryResult> {
        calls++;
        if (calls === 1) throw new Error('socket hang up');
        if (calls === 2) return new Promise(() => {});
        return { outcome: 'delivered' };
      },
      update: async () => ({ outcome: 'delivered' }),
      resolve: async () => ({ outcome: 'delivered' }),
    };
    const r = await rig(fresh, { receivers: () => [flaky], timeoutMs: 200 });
    await r.openCases(1);
    await r.dispatcher.round();
    const [n] = await r.ledger.outbox.list({ receiver: 'tickets' });
    expect(n).toMatchObject({ status: 'pending', attempts: 1, lastError: 'socket hang up' });
    r.advance(2 * SEC);
    // The second call hangs: after the timeout it counts as a failed attempt.
    await r.settle();
    expect((await r.ledger.outbox.list({ receiver: 'tickets' }))[0]).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('a receiver that answers nothing usable is retried, never stalls the outbox', async () => {
    let calls = 0;
    const broken: Receiver = {
      name: 'tickets',
      type: 'broken',
      send: async () => (++calls === 1 ? (undefined as unknown as DeliveryResult) : { outcome: 'delivered' }),
      update: async () => ({ outcome: 'delivered' }),
      resolve: async () => ({ outcome: 'delivered' }),
    };
    const r = await rig(fresh, { receivers: () => [broken] });
    await r.openCases(1);
    await r.dispatcher.round();
    expect((await r.ledger.outbox.list({ receiver: 'tickets' }))[0]).toMatchObject({ status: 'pending', attempts: 1, lastError: 'receiver tickets (broken) answered send with no valid result' });
    await r.settle();
    expect((await r.ledger.outbox.list({ receiver: 'tickets' }))[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('two workers on one ledger: only the lease holder escalates and sends; the other takes over when it stops', async () => {
    const a = await rig(fresh, { holder: 'worker-a' });
    await a.openCases(3);
    // A second dispatcher on the same ledger (its own vendor connection, same vendor).
    const b = deliveryRigOn(a, 'worker-b');
    expect(await a.dispatcher.round()).toBe(true);
    expect(await b.dispatcher.round()).toBe(false);
    expect(a.vendor.pages).toBe(3);
    await a.dispatcher.stop();
    expect(await b.dispatcher.round()).toBe(true);
    await a.openCases(2);
    await b.dispatcher.round();
    expect(a.vendor.pages).toBe(5);
    expect((await figures(a.ledger, a.vendor)).duplicates).toBe(0);
    expect(a.vendor.repeatedNotifications()).toBe(0);
  });
});

/** A key the vendor does not know (the primary pager, misconfigured). */
const REVOKED_KEY = 'R3VOKED-routing-key-9d8e7f';

/** Another worker's dispatcher over the same ledger and vendor (same receivers, its own holder name). */
function deliveryRigOn(a: Rig, holder: string) {
  const dispatcher = new Dispatcher({
    leases: a.ledger.leases,
    outbox: a.ledger.outbox,
    holder,
    escalator: a.escalator,
    deliverer: a.deliverer,
    leaseTtlMs: 24 * 3_600_000,
    pollMs: 1000,
    now: a.now,
    log: pino({ level: 'silent' }),
  });
  return { dispatcher };
}
