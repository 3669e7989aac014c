import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { postJson, type Transport } from './http.js';
import type { DeliveryResult, Notification, Receiver } from './receiver.js';
import { MaybeSecret, reveal, SecretRef } from './secrets.js';

/**
 * A generic webhook: the Notification as JSON (docs/schemas/notification.schema.json), signed the way
 * Stripe and Slack sign theirs, so the receiving end can check who sent it and refuse a replay:
 *
 *     X-Alertgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * The body is the same bytes on every attempt of a notification, and X-Alertgate-Delivery carries the
 * notification id, so a receiver that remembers the ids it has handled sees each one once.
 * verifyWebhookSignature() is the check, exported for users (docs/receivers.md).
 */

export const SIGNATURE_HEADER = 'x-alertgate-signature';
export const DELIVERY_HEADER = 'x-alertgate-delivery';
export const EVENT_HEADER = 'x-alertgate-event';

/** How old a signature may be before a receiver refuses it (Stripe's default tolerance too). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Header names a webhook may not set: the transport's own and the signature's. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'connection', 'transfer-encoding', SIGNATURE_HEADER, DELIVERY_HEADER, EVENT_HEADER]);

export const WebhookOptions = z
  .object({
    type: z.literal('webhook'),
    /** Where to POST; env:/file: if the URL itself carries a token. */
    url: MaybeSecret,
    /** The HMAC key; without it the body is sent unsigned. */
    secret: SecretRef.optional(),
    /** Extra headers (an Authorization header, a tenant id); a value may be env:/file: too. */
    headers: z
      .record(z.string(), MaybeSecret)
      .superRefine((headers, ctx) => {
        // Checked here rather than as the record's key schema, whose error would not say what is wrong.
        for (const header of Object.keys(headers)) {
          if (!HEADER_NAME.test(header)) ctx.addIssue({ code: 'custom', message: 'not an HTTP header name', path: [header] });
          else if (RESERVED_HEADERS.has(header.toLowerCase())) ctx.addIssue({ code: 'custom', message: 'set by alertgate itself', path: [header] });
        }
      })
      .default({}),
  })
  .strict()
  .superRefine((options, ctx) => {
    // A plain URL is checked here; one from env:/file: when it is resolved (its value must not be echoed).
    if (typeof options.url === 'string' && !/^https?:\/\/./.test(options.url)) {
      ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL', path: ['url'] });
    }
  });
export type WebhookOptions = z.infer<typeof WebhookOptions>;

/** `t=<seconds>,v1=<hex>` for a body signed at `unixSeconds`. */
export function signWebhook(body: string, secret: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export type VerifyResult = { readonly ok: true; readonly timestamp: number } | { readonly ok: false; readonly reason: string };

/**
 * Checks an X-Alertgate-Signature header against the raw request body (the bytes received, before any
 * JSON parsing): the HMAC must match in constant time and the timestamp must be within
 * `toleranceSeconds` of `nowSeconds`, which refuses a request replayed later.
 */
export function verifyWebhookSignature(input: {
  header: string | null | undefined;
  body: string | Buffer;
  secret: string;
  toleranceSeconds?: number;
  nowSeconds?: number;
}): VerifyResult {
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!input.header) return { ok: false, reason: 'no signature header' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of input.header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d+$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined) return { ok: false, reason: 'no timestamp in the signature header' };
  if (signatures.length === 0) return { ok: false, reason: 'no v1 signature in the signature header' };
  if (Math.abs(now - timestamp) > tolerance) return { ok: false, reason: `timestamp outside the tolerance of ${tolerance}s (replayed or clock skew)` };
  const body = typeof input.body === 'string' ? input.body : input.body.toString('utf8');
  const expected = Buffer.from(createHmac('sha256', input.secret).update(`${timestamp}.${body}`).digest('hex'));
  // Several v1 values let a sender sign with an old and a new secret while the key is rotated.
  const match = signatures.some((sig) => timingSafeEqual(Buffer.from(sig), expected));
  return match ? { ok: true, timestamp } : { ok: false, reason: 'signature does not match' };
}

/** The request without secrets: the body, and the headers with their secret values left out. */
export function renderWebhook(notification: Notification, options: WebhookOptions): { url: string; headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { [EVENT_HEADER]: notification.kind, [DELIVERY_HEADER]: notification.id };
  for (const [name, value] of Object.entries(options.headers)) headers[name] = typeof value === 'string' ? value : `<${value.ref}>`;
  return { url: typeof options.url === 'string' ? options.url : `<${options.url.ref}>`, headers, body: JSON.stringify(notification) };
}

export function createWebhookReceiver(name: string, options: WebhookOptions, transport: Transport): Receiver {
  const url = reveal(options.url);
  const secret = options.secret?.reveal();
  const extra = Object.fromEntries(Object.entries(options.headers).map(([header, value]) => [header, reveal(value)]));
  const post = (notification: Notification): Promise<DeliveryResult> => {
    const { headers, body } = renderWebhook(notification, options);
    const signature: Record<string, string> = secret === undefined ? {} : { [SIGNATURE_HEADER]: signWebhook(body, secret, Math.floor(transport.now() / 1000)) };
    return postJson({ what: 'webhook', url, headers: { ...headers, ...extra, ...signature }, body }, transport);
  };
  return { name, type: 'webhook', send: post, update: post, resolve: post };
}
