import { ErrorBody } from '../http/api-error.js';
import { FeedbackOutcome, type FeedbackBody, type FeedbackResult } from './feedback.js';

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

/** Posts verdicts to a running worker's API (POST /incidents/:id/feedback) with a bearer token. */
export class FeedbackApiClient {
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

  async submit(incidentId: string, body: FeedbackBody): Promise<FeedbackResult> {
    const response = await fetch(`${this.base}/incidents/${encodeURIComponent(incidentId)}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(body),
    });
    const payload: unknown = await response.json().catch(() => undefined);
    if (response.status === 404) return { status: 'not_found', incidentId };
    if (!response.ok) {
      const error = ErrorBody.safeParse(payload);
      throw new ApiRequestError(response.status, error.success ? error.data.error.message : `HTTP ${response.status}`);
    }
    return FeedbackOutcome.parse(payload);
  }
}
