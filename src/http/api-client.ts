import type { z } from 'zod';
import { ErrorBody } from './api-error.js';

/** The API said no (4xx/5xx); `status` and the API's own message. */
export class ApiRequestError extends Error {
  override name = 'ApiRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Calls a running worker's API (docs/api.md) with a bearer token; answers are checked against the route's schema. */
export class ApiClient {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  get url(): string {
    return this.base;
  }

  /**
   * One request. A status in `passThrough` comes back as `{status}` for the caller to handle (404 for
   * "no such incident"); any other error status throws an ApiRequestError with the API's message.
   */
  async request<T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, body?: unknown, passThrough: readonly number[] = []): Promise<{ status: number; body: T | undefined }> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const payload: unknown = await response.json().catch(() => undefined);
    if (passThrough.includes(response.status)) return { status: response.status, body: undefined };
    if (!response.ok) {
      const error = ErrorBody.safeParse(payload);
      throw new ApiRequestError(response.status, error.success ? error.data.error.message : `HTTP ${response.status}`);
    }
    return { status: response.status, body: schema.parse(payload) };
  }

  /** A GET whose answer is text (a markdown postmortem), not JSON; a refusal throws as request() does. */
  async text(path: string): Promise<string> {
    const response = await fetch(`${this.base}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    const text = await response.text();
    if (!response.ok) {
      let payload: unknown;
      try {
        payload = JSON.parse(text);
      } catch {
        payload = undefined;
      }
      const error = ErrorBody.safeParse(payload);
      throw new ApiRequestError(response.status, error.success ? error.data.error.message : `HTTP ${response.status}`);
    }
    return text;
  }
}
