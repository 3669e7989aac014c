import { fromError, fromHttpStatus } from './outcome.js';
import type { DeliveryResult } from './receiver.js';

/** The fetch the receivers call (the global one unless a test or a proxy setup injects another). */
export type FetchFn = typeof fetch;

/** What a receiver needs from its surroundings: time (Retry-After dates, signatures) and HTTP. */
export interface Transport {
  readonly fetch: FetchFn;
  readonly now: () => number;
  /** Longest wait for an answer; past it the attempt is a retry. */
  readonly timeoutMs: number;
}

export interface JsonPost {
  /** Names the call in errors ("PagerDuty enqueue"); never the URL, which may hold a token. */
  readonly what: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The exact bytes to send (a webhook signs them). */
  readonly body: string;
}

/**
 * POSTs a JSON body and turns the answer into a result: 2xx delivered, 429/5xx/network retry (with
 * the vendor's Retry-After), other statuses failed with the vendor's error text.
 */
export async function postJson(request: JsonPost, transport: Transport): Promise<DeliveryResult> {
  let response: Response;
  try {
    response = await transport.fetch(request.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...request.headers },
      body: request.body,
      redirect: 'error',
      signal: AbortSignal.timeout(transport.timeoutMs),
    });
  } catch (err) {
    return fromError(request.what, err);
  }
  // Read the body either way, so the connection can be reused.
  const text = await response.text().catch(() => '');
  if (response.ok) return { outcome: 'delivered' };
  return fromHttpStatus(request.what, response.status, response.headers.get('retry-after'), transport.now(), text);
}
