import { WatermarkConflict, WatermarkResetAnswer, WatermarkResetRequest, WatermarkView } from '../cli/worker-watermark.js';
import { ApiError, ErrorBody } from './api-error.js';
import { defineRoute, type ApiContext, type Route } from './route.js';

function watermarkOf(ctx: ApiContext) {
  if (!ctx.watermark) throw new ApiError(501, 'not_implemented', 'this worker has no watermark to show (it is still starting)');
  return ctx.watermark;
}

export const watermarkRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/watermark',
    role: 'engineer',
    summary:
      "The watermark (newest event time decided), the stream's event time it is compared with, whether it is poisoned (ahead by more than eventTime.maxFutureSkew), the future-dated alerts and the watermark's recent changes.",
    responses: { 200: { description: 'the watermark', schema: WatermarkView }, 501: { description: 'the worker is still starting', schema: ErrorBody } },
    async handle(_input, ctx) {
      return { status: 200, body: watermarkOf(ctx).view() };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/watermark/reset',
    role: 'engineer',
    summary:
      "Moves a poisoned watermark back, between two chunks (Kafka: then checkpoints): to `recent` (the stream's event time) or a given time. Window events after it are dropped, open incidents whose last alert is after it are closed; audited (docs/rules.md, \"Repairing a poisoned watermark\").",
    body: WatermarkResetRequest,
    responses: {
      200: { description: 'applied (and, on Kafka, checkpointed)', schema: WatermarkResetAnswer },
      202: { description: 'accepted, not applied yet: it waits for the next chunk (GET /watermark shows it as pendingReset)', schema: WatermarkResetAnswer },
      409: { description: 'nothing to move back, no stream time yet, a time ahead of the stream, a standby, or a reset already pending', schema: ErrorBody },
    },
    async handle({ body, principal }, ctx) {
      try {
        const answer = await watermarkOf(ctx).reset(body, principal.name);
        return { status: answer.applied ? 200 : 202, body: answer };
      } catch (err) {
        if (err instanceof WatermarkConflict) throw new ApiError(409, 'conflict', err.message);
        throw err;
      }
    },
  }),
];
