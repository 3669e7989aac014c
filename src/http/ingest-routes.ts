import { z } from 'zod';
import { BodyError, JSON_MEDIA_TYPE, linesOfBody, NDJSON_MEDIA_TYPES } from '../ingest/body.js';
import { IngestOutcome } from '../ingest/target.js';
import { ApiError, ErrorBody } from './api-error.js';
import { defineRoute, type RawBody, type Route } from './route.js';

/** An NDJSON body: one alert (a JSON object) per line. */
const NdjsonBody = z.string().describe('one alert, a JSON object in the input format, per line (NDJSON); blank lines are skipped');
/** A JSON body: an array of alerts, or one alert. */
const JsonBody = z.union([z.array(z.record(z.string(), z.unknown())), z.record(z.string(), z.unknown())]).describe('an array of alerts (JSON objects in the input format), or one alert');

/**
 * Prometheus Alertmanager's webhook body (version 4; Grafana's webhook contact point sends the same):
 * what the route documents. The normalizer (format alertmanager) is what reads it, element by element.
 */
const AlertmanagerWebhook = z
  .looseObject({
    version: z.string().optional(),
    groupKey: z.string(),
    status: z.enum(['firing', 'resolved']).optional(),
    receiver: z.string(),
    alerts: z.array(
      z.looseObject({
        status: z.enum(['firing', 'resolved']).optional(),
        labels: z.record(z.string(), z.string()),
        annotations: z.record(z.string(), z.string()).optional(),
        startsAt: z.string(),
        endsAt: z.string().optional(),
        fingerprint: z.string().optional(),
      }),
    ),
  })
  .describe("Alertmanager's webhook payload: each element of alerts[] is one alert, decided or dead-lettered on its own");

/** The bodies POST /ingest reads: NDJSON under its media types, a JSON array (or object) as application/json. */
const NDJSON_OR_JSON: RawBody = {
  types: { ...Object.fromEntries(NDJSON_MEDIA_TYPES.map((t) => [t, NdjsonBody])), [JSON_MEDIA_TYPE]: JsonBody },
};

/**
 * A route that feeds request bodies to the worker's input (IngestTarget): each line is decided or a
 * dead letter, and the answer says which. `format`: the format its bodies are in, whatever the
 * worker's input.format (a route for one detector's payload); without it, the input's format.
 */
export function ingestRoute(spec: { path: string; summary: string; body: RawBody; format?: string }): Route {
  return defineRoute({
    method: 'POST',
    path: spec.path,
    role: 'ingest',
    summary: spec.summary,
    rawBody: spec.body,
    responses: {
      200: { description: 'file worker: every line decided or dead-lettered (decisions says how)', schema: IngestOutcome },
      202: { description: 'Kafka worker: every line on the input topic, acknowledged by the broker; dead letters as the decider will write them', schema: IngestOutcome },
      400: { description: 'a body with no alerts, or a JSON body that does not parse', schema: ErrorBody },
      413: { description: 'body over ingest.http.bodyLimitBytes', schema: ErrorBody },
      415: { description: 'a media type other than NDJSON or JSON', schema: ErrorBody },
      429: {
        description: 'the worker is behind (docs/api.md, "Ingest"): nothing was taken; send the same body again after Retry-After seconds',
        schema: ErrorBody,
        headers: { 'Retry-After': 'seconds to wait (ingest.http.retryAfterSeconds)' },
      },
      501: { description: 'HTTP input is off (ingest.http.enabled)', schema: ErrorBody },
    },
    async handle({ body, principal }, ctx) {
      if (!ctx.ingest) throw new ApiError(501, 'not_implemented', 'this worker takes no HTTP input: set ingest.http.enabled (docs/api.md, "Ingest")');
      const target = ctx.ingest();
      const behind = target === undefined ? 'the worker is still starting' : await target.behind();
      if (behind !== undefined) {
        const retry = target?.retryAfterSeconds ?? 1;
        return { status: 429, body: new ApiError(429, 'behind', `${behind}; send it again in ${retry} s`).body(), headers: { 'retry-after': String(retry) } };
      }
      let lines;
      try {
        lines = await linesOfBody(body.bytes, body.mediaType, target!.maxLineBytes);
      } catch (err) {
        if (err instanceof BodyError) throw new ApiError(400, 'bad_request', err.message);
        throw err;
      }
      const outcome = await target!.ingest({ lines, format: spec.format, tokenName: principal.name });
      return { status: outcome.decisions ? 200 : 202, body: outcome };
    },
  });
}

export const ingestRoutes: readonly Route[] = [
  ingestRoute({
    path: '/ingest',
    summary:
      'Alerts in the input format, as NDJSON or a JSON array: each line is decided (file worker: at once, after the input file) or produced to the input topic (Kafka worker: answered once the broker has them), or is a dead letter; the answer counts each.',
    body: NDJSON_OR_JSON,
  }),
  // Alertmanager's webhook_configs (and Grafana's webhook contact point) post here as they are.
  ingestRoute({
    path: '/ingest/alertmanager',
    summary:
      "Prometheus Alertmanager's webhook payload (webhook_configs url), whatever input.format is: each element of alerts[] is one alert, decided (file worker) or produced to the input topic (Kafka worker), or a dead letter; the answer counts each.",
    body: { types: { [JSON_MEDIA_TYPE]: AlertmanagerWebhook } },
    format: 'alertmanager',
  }),
];
