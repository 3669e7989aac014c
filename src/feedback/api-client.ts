import type { ApiClient } from '../http/api-client.js';
import { FeedbackOutcome, type FeedbackBody, type FeedbackResult } from './feedback.js';

/** Posts verdicts to a running worker's API (POST /incidents/:id/feedback) with a bearer token. */
export class FeedbackApiClient {
  constructor(private readonly client: ApiClient) {}

  get url(): string {
    return this.client.url;
  }

  async submit(incidentId: string, body: FeedbackBody): Promise<FeedbackResult> {
    const answer = await this.client.request('POST', `/incidents/${encodeURIComponent(incidentId)}/feedback`, FeedbackOutcome, body, [404]);
    return answer.status === 404 ? { status: 'not_found', incidentId } : answer.body!;
  }
}
