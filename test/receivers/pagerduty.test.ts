import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createReceivers, ReceiversConfig } from '../../src/receivers/config.js';
import type { Receiver } from '../../src/receivers/receiver.js';
import { refusedUrl, type FakeServer } from './fake-server.js';
import { notification } from './fixtures.js';
import { contractFor, startContractProxy, type ContractProxy } from './prism.js';
import { pagerDutyFake, ROUTING_KEY, type Alert } from './vendor-fakes.js';

const contractsDir = inject('contractsDir');
describe.skipIf(!contractsDir)('PagerDuty receiver against the Events API v2 contract (prism proxy) and a PagerDuty fake', () => {
  const alerts = new Map<string, Alert>();
  let fake: FakeServer;
  let prism: ContractProxy;
  let receiver: Receiver;
  let now = Date.parse('2026-11-20T10:15:00.000Z');

  beforeAll(async () => {
    fake = await pagerDutyFake(alerts);
    prism = await startContractProxy(contractFor('pagerduty', contractsDir), fake.url);
    const config = ReceiversConfig.parse({ named: { oncall: { type: 'pagerduty', routingKey: 'env:PD_KEY', url: `${prism.url}/enqueue` } } });
    receiver = createReceivers(config, { env: { PD_KEY: ROUTING_KEY }, now: () => now }).get('oncall')!;
  });
  afterAll(async () => {
    await prism?.close();
    await fake?.close();
  });

  function events(): Record<string, unknown>[] {
    return fake.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
  }

  it('the contract check can fail: a request that breaks the contract is refused before it reaches PagerDuty', async () => {
    const before = fake.requests.length;
    const response = await fetch(`${prism.url}/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ routing_key: ROUTING_KEY, event_action: 'explode', payload: { summary: 'x', severity: 'high', source: 'y' } }),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(fake.requests.length).toBe(before);
  });

  it('send triggers with dedup_key = case id, the mapped severity, the case in custom_details and the link', async () => {
    const result = await receiver.send(notification('open', { caseId: 'case-pd-1', severity: 'high' }), {});
    expect(result).toEqual({ outcome: 'delivered', state: { dedupKey: 'case-pd-1' } });
    const event = events().at(-1)!;
    expect(event).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: 'case-pd-1',
      client: 'alertgate',
      client_url: 'https://alertgate.example.com/incidents/case-7f3a9c',
      payload: { severity: 'error', source: 'web-01', timestamp: '2026-11-20T10:14:30.000Z', component: 'auth-brute-force', class: 'unauthorized-access' },
    });
    const payload = event.payload as { summary: string; custom_details: Record<string, string> };
    expect(payload.summary).toBe('[HIGH] Brute force against web-01 from 203.0.113.7');
    expect(payload.custom_details).toMatchObject({ Alerts: '42', Entities: 'host: web-01; src_ip: 203.0.113.7; user: alice, bob', Case: 'case-pd-1' });
    expect(alerts.get('case-pd-1')).toEqual({ status: 'triggered', incident: expect.any(Number) });
  });

  it('a send retried after a crash between send and record joins the open alert: one incident, not two pages', async () => {
    const n = notification('open', { caseId: 'case-pd-retry' });
    await receiver.send(n, {});
    const incident = alerts.get('case-pd-retry')!.incident;
    expect(await receiver.send(n, {})).toMatchObject({ outcome: 'delivered' });
    expect(alerts.get('case-pd-retry')).toEqual({ status: 'triggered', incident });
    expect(events().filter((e) => e.dedup_key === 'case-pd-retry').map((e) => e.event_action)).toEqual(['trigger', 'trigger']);
  });

  it('acknowledges the alert when the case is acknowledged (same dedup_key, no payload)', async () => {
    await receiver.send(notification('open', { caseId: 'case-pd-ack' }), {});
    const result = await receiver.update(notification('update', { caseId: 'case-pd-ack', state: 'acknowledged', assignee: 'ana' }), { dedupKey: 'case-pd-ack' });
    expect(result.outcome).toBe('delivered');
    expect(events().at(-1)).toEqual({ routing_key: ROUTING_KEY, event_action: 'acknowledge', dedup_key: 'case-pd-ack' });
    expect(alerts.get('case-pd-ack')!.status).toBe('acknowledged');
  });

  it('resolve resolves the PagerDuty incident (event_action resolve with the same dedup_key)', async () => {
    await receiver.send(notification('open', { caseId: 'case-pd-resolve' }), {});
    const result = await receiver.resolve(notification('resolve', { caseId: 'case-pd-resolve', state: 'resolved' }), { dedupKey: 'case-pd-resolve' });
    expect(result.outcome).toBe('delivered');
    expect(events().at(-1)).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: 'case-pd-resolve' });
    expect(alerts.get('case-pd-resolve')!.status).toBe('resolved');
  });

  it('a reopened case triggers a new incident under the same dedup_key', async () => {
    await receiver.send(notification('open', { caseId: 'case-pd-reopen' }), {});
    const first = alerts.get('case-pd-reopen')!.incident;
    await receiver.resolve(notification('resolve', { caseId: 'case-pd-reopen', state: 'resolved' }), {});
    await receiver.update(notification('update', { caseId: 'case-pd-reopen', state: 'reopened' }), {});
    expect(alerts.get('case-pd-reopen')).toEqual({ status: 'triggered', incident: first + 1 });
  });

  it('429 → retry with the Retry-After delay (seconds, or an HTTP date against the injected clock)', async () => {
    fake.failNext({ status: 429, headers: { 'retry-after': '30' } });
    expect(await receiver.send(notification('open', { caseId: 'case-pd-429' }), {})).toEqual({
      outcome: 'retry',
      error: 'PagerDuty enqueue (trigger): HTTP 429',
      retryAfterMs: 30_000,
    });
    now = Date.parse('2026-11-20T10:15:00.000Z');
    fake.failNext({ status: 429, headers: { 'retry-after': 'Fri, 20 Nov 2026 10:16:30 GMT' } });
    expect(await receiver.send(notification('open', { caseId: 'case-pd-429' }), {})).toMatchObject({ outcome: 'retry', retryAfterMs: 90_000 });
  });

  it('5xx → retry; 400 → failed with PagerDuty\'s reason', async () => {
    fake.failNext({ status: 503, body: { status: 'unavailable', message: 'Service Unavailable' } });
    expect(await receiver.send(notification('open', { caseId: 'case-pd-5xx' }), {})).toMatchObject({ outcome: 'retry' });
    fake.failNext({ status: 400, body: { status: 'invalid event', message: 'Event object is invalid', errors: ['Length of summary is too long'] } });
    const result = await receiver.send(notification('open', { caseId: 'case-pd-400' }), {});
    expect(result).toMatchObject({ outcome: 'failed' });
    expect(result.outcome === 'failed' && result.error).toMatch(/^PagerDuty enqueue \(trigger\): HTTP 400: .*Length of summary is too long/);
  });

  it('a wrong routing key is failed at once (400), a PagerDuty that cannot be reached is retried', async () => {
    const config = ReceiversConfig.parse({
      named: {
        wrong: { type: 'pagerduty', routingKey: 'env:PD_KEY', url: `${prism.url}/enqueue` },
        down: { type: 'pagerduty', routingKey: 'env:PD_KEY', url: await refusedUrl('/enqueue') },
      },
    });
    const receivers = createReceivers(config, { env: { PD_KEY: 'not-the-key-0000' } });
    expect(await receivers.get('wrong')!.send(notification('open'), {})).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/HTTP 400.*Invalid routing key/) });
    expect(await receivers.get('down')!.send(notification('open'), {})).toMatchObject({ outcome: 'retry', error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
