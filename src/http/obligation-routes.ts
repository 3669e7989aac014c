import { z } from 'zod';
import { CaseEvent } from '../cases/case-record.js';
import type { Ledger } from '../ledger/ledger.js';
import { ObligationState, ObligationStatus } from '../obligations/obligation-record.js';
import { storable } from '../ledger/storable-text.js';
import { ApiError, ErrorBody } from './api-error.js';
import { caseId, note } from './case-routes.js';
import { defineRoute, ledgerOf, type ApiContext, type Route } from './route.js';

const Params = z
  .object({
    id: caseId,
    name: storable(z.string().min(1).max(64)).describe('the obligation, by its name in the obligations file'),
  })
  .strict();

/** What marking an obligation answers: the obligation after it and the event recorded. */
export const ObligationOutcome = z.object({ obligation: ObligationStatus, event: CaseEvent }).strict();
export type ObligationOutcome = z.infer<typeof ObligationOutcome>;

/** Marks a case's obligation met or waived; the same code serves the API and `alertgate obligations --db`. */
export async function settleObligation(
  ledger: Ledger,
  id: string,
  name: string,
  status: 'met' | 'waived',
  who: { actor: string; note: string | undefined },
  hooks: Pick<ApiContext, 'onCaseChanges'>,
): Promise<ObligationOutcome> {
  const caseId = await ledger.cases.resolveId(id);
  if (caseId === undefined) throw new ApiError(404, 'not_found', `no case ${id} in the ledger`, '/id');
  const result = await ledger.obligations.settle(caseId, name, status, who);
  if (result.status === 'not_found') throw new ApiError(404, 'not_found', result.message, '/name');
  if (result.status === 'refused') throw new ApiError(409, 'conflict', result.message);
  hooks.onCaseChanges?.([result.change]);
  return { obligation: result.obligation, event: result.change.event };
}

const responses = {
  200: { description: 'done: the obligation after it and the event recorded', schema: ObligationOutcome },
  400: { description: 'a malformed body, naming the field', schema: ErrorBody },
  404: { description: 'unknown case, or the case has no such obligation (the message lists its obligations)', schema: ErrorBody },
  409: { description: 'not possible from its status (a waived one cannot be met; a missed one cannot be waived)', schema: ErrorBody },
};

export const obligationRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/obligations',
    role: 'viewer',
    summary: "Cases' notification deadlines (docs/obligations.md), the soonest due first: running, met, missed or waived.",
    query: z
      .object({
        status: ObligationState.optional(),
        case: storable(z.string().min(1)).optional().describe('a case id'),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    responses: { 200: { description: 'the obligations', schema: z.object({ obligations: z.array(ObligationStatus) }).strict() }, 400: { description: 'a bad query parameter', schema: ErrorBody } },
    async handle({ query }, ctx) {
      const obligations = await ledgerOf(ctx).obligations.list({ status: query.status, caseId: query.case, limit: query.limit });
      return { status: 200, body: { obligations } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/cases/:id/obligations/:name/met',
    role: 'analyst',
    summary: 'Records an obligation of the case met (late, if its due time passed), with a note of what was done.',
    params: Params,
    body: z.object({ note: note.optional() }).strict(),
    responses,
    async handle({ params, body, principal }, ctx) {
      return { status: 200, body: await settleObligation(ledgerOf(ctx), params.id, params.name, 'met', { actor: `api:${principal.name}`, note: body.note }, ctx) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/cases/:id/obligations/:name/waive',
    role: 'analyst',
    summary: 'Waives a running obligation of the case that does not apply, with the reason.',
    params: Params,
    body: z.object({ reason: note }).strict(),
    responses,
    async handle({ params, body, principal }, ctx) {
      return { status: 200, body: await settleObligation(ledgerOf(ctx), params.id, params.name, 'waived', { actor: `api:${principal.name}`, note: body.reason }, ctx) };
    },
  }),
];
