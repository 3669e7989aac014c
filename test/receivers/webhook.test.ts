import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReceivers, ReceiversConfig } from '../../src/receivers/config.js';
import { Notification, type Receiver } from '../../src/receivers/receiver.js';
import { signWebhook, verifyWebhookSignature } from '../../src/receivers/webhook.js';
import { startFake, type FakeServer, type Recorded } from './fake-server.js';
import { notification } from './fixtures.js';

const SECRET = 'whsec_5f1c0e6a9b2d4c8e7f3a1b0c9d8e7f6a';
const BEARER = 'Bearer hook-token-abcdef0123456789';

describe('generic webhook against a receiving server on loopback that verifies the signature', () => {
  let server: FakeServer;
  let webhook: Receiver;
  /** The receiving server's clock (unix seconds), and alertgate's (ms): both injected. */
  let serverNow = 1_795_000_000;
  let senderNow = serverNow * 1000;
  /** Delivery ids the receiving server has handled: a receiver's own duplicate check. */
  const handled = new Set<string>();

  function verify(req: Recorded) {
    return verifyWebhookSignature({ header: req.headers['x-alertgate-signature'] as string | undefined, body: req.body, secret: SECRET, nowSeconds: serverNow });
  }

  beforeAll(async () => {
    server = await startFake((req) => {
      const check = verify(req);
      if (!check.ok) return { status: 401, body: { error: check.reason } };
      if (req.headers.authorization !== BEARER) return { status: 403, body: { error: 'bad token' } };
      handled.add(req.headers['x-alertgate-delivery'] as string);
      return { status: 204 };
    });
    const config = ReceiversConfig.parse({
      named: { soar: { type: 'webhook', url: `${server.url}/alertgate`, secret: 'env:HOOK_SECRET', headers: { Authorization: 'env:HOOK_AUTH', 'X-Tenant': 'soc-eu' } } },
    });
    webhook = createReceivers(config, { env: { HOOK_SECRET: SECRET, HOOK_AUTH: BEARER }, now: () => senderNow }).get('soar')!;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('posts the Notification as JSON with the signature, delivery id, event and configured headers; the server verifies it', async () => {
    const n = notification('open');
    expect(await webhook.send(n, {})).toEqual({ outcome: 'delivered' });
    const req = server.requests.at(-1)!;
    expect(req.path).toBe('/alertgate');
    expect(req.headers).toMatchObject({ 'content-type': 'application/json', 'x-alertgate-event': 'open', 'x-alertgate-delivery': n.id, 'x-tenant': 'soc-eu', authorization: BEARER });
    expect(req.headers['x-alertgate-signature']).toBe(signWebhook(req.body, SECRET, serverNow));
    expect(req.headers['x-alertgate-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(Notification.parse(JSON.parse(req.body))).toEqual(n);
    expect(handled.has(n.id)).toBe(true);
  });

  it('a replayed request (an old timestamp) is refused by the receiving server, and so is a changed body', async () => {
    await webhook.update(notification('update', { alertCount: 60 }), {});
    const captured = server.requests.at(-1)!;
    const replay = (body: string) =>
      fetch(`${server.url}/alertgate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: BEARER, 'x-alertgate-signature': captured.headers['x-alertgate-signature'] as string },
        body,
      });
    serverNow += 301;
    const late = await replay(captured.body);
    expect(late.status).toBe(401);
    expect(await late.json()).toEqual({ error: 'timestamp outside the tolerance of 300s (replayed or clock skew)' });
    serverNow -= 301;
    const tampered = await replay(captured.body.replace('"alertCount":60', '"alertCount":6'));
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toEqual({ error: 'signature does not match' });
  });

  it('the same notification sent again is the same bytes under the same delivery id', async () => {
    const n = notification('resolve', { state: 'resolved' });
    await webhook.resolve(n, {});
    senderNow += 5000;
    serverNow += 5;
    await webhook.resolve(n, {});
    const [a, b] = server.requests.slice(-2);
    expect(a!.body).toBe(b!.body);
    expect(a!.headers['x-alertgate-delivery']).toBe(b!.headers['x-alertgate-delivery']);
    expect(a!.headers['x-alertgate-signature']).not.toBe(b!.headers['x-alertgate-signature']);
  });

  it('verifyWebhookSignature: accepts what signWebhook signs within the tolerance, refuses any other body, secret or time (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }), fc.integer({ min: -300, max: 300 }), (body, secret, t, skew) => {
        const header = signWebhook(body, secret, t);
        expect(verifyWebhookSignature({ header, body, secret, nowSeconds: t + skew })).toEqual({ ok: true, timestamp: t });
        expect(verifyWebhookSignature({ header, body: `${body} `, secret, nowSeconds: t }).ok).toBe(false);
        expect(verifyWebhookSignature({ header, body, secret: `${secret}x`, nowSeconds: t }).ok).toBe(false);
        expect(verifyWebhookSignature({ header, body, secret, nowSeconds: t + 301 }).ok).toBe(false);
      }),
    );
    expect(verifyWebhookSignature({ header: undefined, body: '{}', secret: 's' })).toEqual({ ok: false, reason: 'no signature header' });
    expect(verifyWebhookSignature({ header: 'v1=abc', body: '{}', secret: 's' })).toEqual({ ok: false, reason: 'no timestamp in the signature header' });
    // While a secret is rotated, the sender may sign with both; either matching is enough.
    const both = `${signWebhook('{}', 'old', 1_800_000_000)},v1=${signWebhook('{}', 'new', 1_800_000_000).split('v1=')[1]}`;
    expect(verifyWebhookSignature({ header: both, body: '{}', secret: 'new', nowSeconds: 1_800_000_000 }).ok).toBe(true);
  });

  it('429 → retry with the Retry-After delay; 5xx → retry; 400 → failed; unsigned without a secret', async () => {
    server.failNext({ status: 429, headers: { 'retry-after': '3' } });
    expect(await webhook.send(notification('open'), {})).toEqual({ outcome: 'retry', error: 'webhook: HTTP 429', retryAfterMs: 3000 });
    server.failNext({ status: 500, body: 'oops' });
    expect(await webhook.send(notification('open'), {})).toEqual({ outcome: 'retry', error: 'webhook: HTTP 500: oops' });
    server.failNext({ status: 400, body: { error: 'unknown field' } });
    expect(await webhook.send(notification('open'), {})).toEqual({ outcome: 'failed', error: 'webhook: HTTP 400: {"error":"unknown field"}' });
    const unsigned = createReceivers(ReceiversConfig.parse({ named: { plain: { type: 'webhook', url: `${server.url}/plain` } } }), { env: {} }).get('plain')!;
    expect(await unsigned.send(notification('open'), {})).toEqual({ outcome: 'failed', error: 'webhook: HTTP 401: {"error":"no signature header"}' });
  });
});
