import { z } from 'zod';
import type { Ledger } from '../ledger/ledger.js';
import { postmortemDraft, type Opening } from '../postmortems/draft.js';
import { ApiError, ErrorBody } from './api-error.js';
import { CaseActionOutcome, CaseParams, note } from './case-routes.js';
import { defineRoute, ledgerOf, type ApiContext, type Route } from './route.js';


async function caseIdOf(ledger: Ledger, id: string): Promise<string> {
  const found = await ledger.cases.resolveId(id);
  if (found === undefined) throw new ApiError(404, 'not_found', `no case ${id} in the ledger`, '/id');
  return found;
}

/** The postmortem draft of a case (markdown), from the ledger; the same code serves the API and `alertgate postmortem --db`. */
export async function postmortemOf(ledger: Ledger, id: string): Promise<string> {
  const caseId = await caseIdOf(ledger, id);
  const detail = await ledger.cases.get(caseId);
  if (!detail) throw new ApiError(404, 'not_found', `no case ${id} in the ledger`, '/id');
  const openings = new Map<string, Opening>();
  for (const i of detail.incidents) {
    const opening = (await ledger.incident(i.id))?.opening;
    if (opening) openings.set(i.id, opening);
  }
  return postmortemDraft(detail, openings);
}

/** Marks a case's postmortem done; a second time is a 409. */
export async function markPostmortemDone(ledger: Ledger, id: string, who: { actor: string; note: string | undefined }, hooks: Pick<ApiContext, 'onCaseChanges'>): Promise<CaseActionOutcome> {
  const caseId = await caseIdOf(ledger, id);
  const result = await ledger.cases.postmortemDone(caseId, who);
  if (result.status === 'not_found') throw new ApiError(404, 'not_found', `no case ${id} in the ledger`, '/id');
  if (result.status === 'refused') throw new ApiError(409, 'conflict', result.message);
  hooks.onCaseChanges?.([result.change]);
  return CaseActionOutcome.parse({ case: result.case, event: result.change.event, notified: [], feedback: [] });
}

export const postmortemRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/cases/:id/postmortem',
    role: 'viewer',
    summary: "A postmortem draft of the case in markdown, from the ledger: timeline, rules and alerts, deadlines, analysts' notes, blank sections to fill in (docs/postmortems.md).",
    params: CaseParams,
    responses: { 200: { description: 'the draft', text: ['text/markdown'] }, 404: { description: 'unknown case', schema: ErrorBody } },
    async handle({ params }, ctx) {
      return { status: 200, body: await postmortemOf(ledgerOf(ctx), params.id), type: 'text/markdown; charset=utf-8' };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/cases/:id/postmortem/done',
    role: 'analyst',
    summary: 'Marks the postmortem of the case done: a case whose severity needs one (postmortems.requiredFor) can be closed from then on.',
    params: CaseParams,
    body: z.object({ note: note.optional().describe('where the postmortem is (a link), or what it concluded') }).strict(),
    responses: {
      200: { description: 'done: the case and the event recorded', schema: CaseActionOutcome },
      404: { description: 'unknown case', schema: ErrorBody },
      409: { description: 'its postmortem was marked done already', schema: ErrorBody },
    },
    async handle({ params, body, principal }, ctx) {
      return { status: 200, body: await markPostmortemDone(ledgerOf(ctx), params.id, { actor: `api:${principal.name}`, note: body.note }, ctx) };
    },
  }),
];
