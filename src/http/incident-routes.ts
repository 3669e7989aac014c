import { z } from 'zod';
import { feedbackAuditOf, FeedbackBody, FeedbackOutcome, Verdict } from '../feedback/feedback.js';
import { IncidentRecord } from '../incidents/index.js';
import { LedgerIncident } from '../ledger/records.js';
import { sinceField, sinceMsOf } from '../ledger/since.js';
import { storable } from '../ledger/storable-text.js';
import { IncidentSample, sampleIncidents } from '../tune/sampling.js';
import { ApiError, ErrorBody } from './api-error.js';
import { defineRoute, ledgerOf, type Route } from './route.js';

const IncidentParams = z.object({ id: storable(z.string().min(1).max(200)).describe('incident id (inc-…)') }).strict();

const IncidentList = z
  .object({
    incidents: z.array(IncidentRecord.extend({ verdict: Verdict.nullable() })),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .strict();

const ListQuery = z
  .object({
    status: z.enum(['open', 'closed']).optional().describe('the incident\'s state'),
    verdict: z.enum([...Verdict.options, 'unreviewed']).optional().describe('the current verdict, or unreviewed'),
    rule: storable(z.string().min(1)).optional().describe('the rule that opened it'),
    since: sinceField('7d')
      .optional()
      .describe('first seen at or after: an ISO date-time, or a duration back from the newest incident (event time)'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const notFound = (id: string) => new ApiError(404, 'not_found', `no incident ${id} in the ledger`, '/id');

const SampleQuery = z
  .object({
    n: z.coerce.number().int().min(1).max(1000).describe('how many incidents to draw'),
    seed: storable(z.string().min(1).max(200)).default('alertgate').describe('the same seed and ledger give the same sample'),
    since: sinceField('30d').default('30d').describe('first seen at or after: an ISO date-time, or a duration back from the newest incident (event time); default 30d, as tuning.since'),
  })
  .strict();

export const incidentRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/incidents/sample',
    role: 'viewer',
    summary: 'A stratified, seeded random sample of the unreviewed incidents to review: n split across the rules in proportion to their unreviewed incidents (at least one each while n allows); the tuner scales what the reviewed sample says (docs/tuning.md, "Few verdicts").',
    query: SampleQuery,
    responses: {
      200: { description: 'the sample, by rule', schema: IncidentSample },
      400: { description: 'a bad query parameter', schema: ErrorBody },
    },
    async handle({ query }, ctx) {
      const ledger = ledgerOf(ctx);
      const sinceMs = sinceMsOf(query.since, await ledger.latestEventTimeMs());
      return { status: 200, body: { seed: query.seed, incidents: sampleIncidents(await ledger.tuningIncidents(sinceMs), query.n, query.seed) } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/incidents',
    role: 'viewer',
    summary: 'Incidents in the ledger, newest first, filtered by state, verdict, rule and time.',
    query: ListQuery,
    responses: { 200: { description: 'the incidents and the page asked for', schema: IncidentList }, 400: { description: 'a bad query parameter', schema: ErrorBody } },
    async handle({ query }, ctx) {
      const ledger = ledgerOf(ctx);
      const sinceMs = sinceMsOf(query.since, await ledger.latestEventTimeMs());
      const rows = await ledger.incidents({
        status: query.status,
        verdict: query.verdict,
        ruleId: query.rule,
        // A duration over an empty ledger bounds nothing, and there is nothing to bound.
        sinceMs,
        limit: query.limit,
        offset: query.offset,
      });
      return { status: 200, body: { incidents: rows.map((r) => ({ ...r.incident, verdict: r.verdict })), limit: query.limit, offset: query.offset } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/incidents/:id',
    role: 'viewer',
    summary: 'One incident: its record (alert ids included), the explanation of the alert that opened it, its current verdict and feedback history.',
    params: IncidentParams,
    responses: { 200: { description: 'the incident', schema: LedgerIncident }, 404: { description: 'unknown incident', schema: ErrorBody } },
    async handle({ params }, ctx) {
      const incident = await ledgerOf(ctx).incident(params.id);
      if (!incident) throw notFound(params.id);
      return { status: 200, body: incident };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/incidents/:id/feedback',
    role: 'analyst',
    summary:
      'Records an analyst\'s verdict. The same feedback twice is one record (200, status duplicate); a different one is added to the history (201) and, when it is the latest by time, becomes the current verdict.',
    params: IncidentParams,
    body: FeedbackBody,
    responses: {
      201: { description: 'recorded', schema: FeedbackOutcome },
      200: { description: 'already recorded: nothing changed', schema: FeedbackOutcome },
      400: { description: 'a malformed body, naming the field', schema: ErrorBody },
      404: { description: 'unknown incident', schema: ErrorBody },
      413: { description: 'body over api.bodyLimitBytes', schema: ErrorBody },
    },
    async handle({ params, body, principal }, ctx) {
      const result = await ledgerOf(ctx).addFeedback({ ...body, incidentId: params.id }, `api:${principal.name}`);
      if (result.status === 'not_found') throw notFound(params.id);
      if (result.status === 'created') ctx.audit?.feedback(feedbackAuditOf(result, principal.name));
      return { status: result.status === 'created' ? 201 : 200, body: result };
    },
  }),
];
