import type { DeliveryResult, Notification, Receiver, ReceiverState } from './receiver.js';
import { scrubSecrets } from './secrets.js';

/**
 * Whether a failure is worth a retry, decided the same way for every receiver (Alertmanager's
 * notify.RetryError): 429 and 5xx and the network are worth it, the vendor's Retry-After is kept; any
 * other 4xx means the request or the configuration is wrong, and trying again cannot help.
 */

export function delivered(state?: ReceiverState): DeliveryResult {
  return state === undefined ? { outcome: 'delivered' } : { outcome: 'delivered', state };
}

export function retry(error: string, retryAfterMs?: number): DeliveryResult {
  return retryAfterMs === undefined ? { outcome: 'retry', error } : { outcome: 'retry', error, retryAfterMs };
}

export function failed(error: string): DeliveryResult {
  return { outcome: 'failed', error };
}

/** Request Timeout and Too Early are about the moment, not the request. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

/**
 * The outcome of an HTTP answer that is not a success. `what` names the call ("Slack chat.postMessage"),
 * `detail` is the vendor's error text, if any (it never holds a secret: the guard scrubs it anyway).
 */
export function fromHttpStatus(
  what: string,
  status: number,
  retryAfter: string | null | undefined,
  nowMs: number,
  detail = '',
): DeliveryResult {
  const error = `${what}: HTTP ${status}${detail ? `: ${oneLine(detail)}` : ''}`;
  if (status >= 500 || RETRYABLE_4XX.has(status)) return retry(error, parseRetryAfter(retryAfter, nowMs));
  return failed(error);
}

/** Retry-After as delta-seconds or an HTTP-date (RFC 9110 10.2.3), in milliseconds from now; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** Socket-level failures: the request may not have reached the vendor, or its answer did not reach us. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNECTION',
  'ESOCKET',
  'EDNS',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ERR_CANCELED',
  'ERR_NETWORK',
]);

/** True for a timeout or a socket error, looking through `cause` (fetch wraps them in "fetch failed"). */
export function isNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== undefined && NETWORK_CODES.has(code)) return true;
  }
  return false;
}

/** An error's message with its causes ("fetch failed: connect ECONNREFUSED 127.0.0.1:9"). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; depth++) {
    if (e instanceof Error) {
      if (e.message && !parts.includes(e.message)) parts.push(e.message);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return oneLine(parts.join(': ') || 'unknown error');
}

/** A thrown error: the network is worth a retry, anything else is not. */
export function fromError(what: string, err: unknown): DeliveryResult {
  const error = `${what}: ${describeError(err)}`;
  return isNetworkError(err) ? retry(error) : failed(error);
}

/**
 * Ends a receiver's sequence of calls early (Slack and Jira make several per notification) with the
 * outcome of the call that did not succeed.
 */
export class Stop extends Error {
  constructor(readonly result: DeliveryResult) {
    super(result.outcome === 'delivered' ? 'delivered' : result.error);
  }
}

/** Runs a receiver's calls: what they return is the state to keep, a Stop is the outcome. */
export async function runSteps(steps: () => Promise<ReceiverState>): Promise<DeliveryResult> {
  try {
    return delivered(await steps());
  } catch (err) {
    if (err instanceof Stop) return err.result;
    throw err;
  }
}

const MAX_ERROR_CHARS = 500;

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_ERROR_CHARS ? `${line.slice(0, MAX_ERROR_CHARS - 1)}…` : line;
}

/**
 * Wraps a receiver so that nothing it returns or throws carries a secret, and nothing it throws escapes:
 * a thrown error becomes a result (retry for the network, failed otherwise), every error text is
 * scrubbed of the receiver's secret values.
 */
export function guarded(receiver: Receiver, secretValues: () => readonly string[]): Receiver {
  const call = async (
    step: 'send' | 'update' | 'resolve',
    notification: Notification,
    state: ReceiverState,
  ): Promise<DeliveryResult> => {
    let result: DeliveryResult;
    try {
      result = await receiver[step](notification, state);
    } catch (err) {
      result = fromError(`${receiver.type} receiver "${receiver.name}"`, err);
    }
    if (result.outcome === 'delivered') return result;
    return { ...result, error: scrubSecrets(result.error, secretValues()) };
  };
  const wrapped: Receiver = {
    name: receiver.name,
    type: receiver.type,
    send: (notification, state) => call('send', notification, state),
    update: (notification, state) => call('update', notification, state),
    resolve: (notification, state) => call('resolve', notification, state),
    // The delivery stage scrubs its own errors (a timeout, a receiver's bug) of the same values.
    get secrets() {
      return secretValues();
    },
  };
  if (receiver.close) wrapped.close = () => receiver.close!();
  if (receiver.rateKey) wrapped.rateKey = (notification) => receiver.rateKey!(notification);
  return wrapped;
}
