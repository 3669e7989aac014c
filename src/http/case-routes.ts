import { z } from 'zod';
import { CaseDetail, CaseEvent, CaseSummary, NotificationStatus } from '../cases/case-record.js';
import { Classification } from '../cases/classification.js';
import { CASE_FLAG } from '../cases/flags.js';
import { CaseState, type CaseAction } from '../cases/lifecycle.js';
import { explainEscalation } from '../escalation/explain.js';
import { POSTMORTEMS_DEFAULTS } from '../config/obligations.js';
import { feedbackAuditOf, Verdict } from '../feedback/feedback.js';
import { INCIDENT_SEVERITIES } from '../incidents/index.js';
import type { CaseActionInput, CaseChange } from '../ledger/case-store.js';
import type { Ledger } from '../ledger/ledger.js';
import { SINCE_PATTERN, sinceMsOf } from '../ledger/since.js';
import { storable } from '../ledger/storable-text.js';
import { ApiError, ErrorBody } from './api-error.js';
import { defineRoute, ledgerOf, type ApiContext, type Route } from './route.js';

/** A case named in a path: its id, or the id of one of its incidents. */
export const caseId = storable(z.string().min(1).max(200)).describe('case id (case-…), or the id of one of its incidents (inc-…)');
export const CaseParams = z.object({ id: caseId }).strict();
const Severity = z.enum(INCIDENT_SEVERITIES);
/** What a person writes on a case (a note, a reason): text PostgreSQL can store. */
export const note = storable(z.string().max(4000).regex(/\S/, 'must not be blank'));
const Flag = z.string().regex(CASE_FLAG, 'a flag: lowercase letters, digits and "-" (personal-data, material)').describe('a flag such as personal-data or material (docs/obligations.md)');

const ListQuery = z
  .object({
    state: CaseState.optional().describe('open, acknowledged, contained, resolved, closed or reopened'),
    severity: Severity.optional(),
    rule: storable(z.string().min(1)).optional().describe('cases with an incident of this rule'),
    since: z.string().regex(SINCE_PATTERN, 'expected an ISO date-time or a duration such as 7d').optional().describe('first seen at or after: an ISO date-time, or a duration back from the newest incident (event time)'),
    until: z.iso.datetime({ offset: true }).optional().describe('first seen at or before (ISO date-time)'),
    classification: Classification.optional(),
    assignee: storable(z.string().min(1)).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const CaseList = z.object({ cases: z.array(CaseSummary), limit: z.number().int(), offset: z.number().int() }).strict();

/** What an action answers: the case after it, the event recorded, who is told because of it. */
export const CaseActionOutcome = z
  .object({
    case: CaseSummary,
    event: CaseEvent,
    /** `receiver:kind` of each notification written with the change. */
    notified: z.array(z.string()),
    /** Feedback recorded on the case's incidents (resolve with a verdict): their ids. */
    feedback: z.array(z.string()),
  })
  .strict();
export type CaseActionOutcome = z.infer<typeof CaseActionOutcome>;

/** The body of each action (every one takes a note for the timeline). */
export const ACTION_BODIES = {
  acknowledge: z.object({ note: note.optional() }).strict(),
  assign: z.object({ assignee: storable(z.string().min(1).max(200)), note: note.optional() }).strict(),
  classify: z.object({ classification: Classification, note: note.optional() }).strict(),
  flag: z.object({ flag: Flag, note: note.optional() }).strict(),
  unflag: z.object({ flag: Flag, note: note.optional() }).strict(),
  contain: z.object({ note: note.optional() }).strict(),
  resolve: z
    .object({
      note: note.optional(),
      /** Also records this verdict on every incident of the case (the feedback, with `note` as its reason). */
      verdict: Verdict.optional(),
    })
    .strict()
    .refine((b) => b.verdict === undefined || b.note !== undefined, { message: 'a verdict needs a note: the reason recorded with it', path: ['note'] }),
  close: z.object({ note: note.optional() }).strict(),
  reopen: z.object({ note: note.optional() }).strict(),
} satisfies Record<CaseAction, z.ZodType>;

const notFound = (id: string) => new ApiError(404, 'not_found', `no case ${id} in the ledger`, '/id');

async function caseIdOf(ledger: Ledger, id: string): Promise<string> {
  const found = await ledger.cases.resolveId(id);
  if (found === undefined) throw notFound(id);
  return found;
}

/**
 * Takes a person's action on a case: the lifecycle's refusal is a 409 that says what is possible; a
 * resolve with a verdict records it as the feedback of every incident of the case. The same code serves
 * the API and `alertgate incidents --db`.
 */
export async function takeAction(
  ledger: Ledger,
  id: string,
  action: CaseAction,
  body: { note?: string | undefined; assignee?: string | undefined; classification?: string | undefined; flag?: string | undefined; verdict?: Verdict | undefined },
  who: { actor: string; analyst: string; source: string },
  hooks: Pick<ApiContext, 'audit' | 'onCaseChanges' | 'postmortemRequiredFor'>,
): Promise<CaseActionOutcome> {
  const caseId = await caseIdOf(ledger, id);
  const input: CaseActionInput = {
    actor: who.actor,
    note: body.note,
    assignee: body.assignee,
    classification: body.classification,
    flag: body.flag,
    postmortemRequiredFor: hooks.postmortemRequiredFor ?? POSTMORTEMS_DEFAULTS.requiredFor,
  };
  const result = await ledger.cases.act(caseId, action, input);
  if (result.status === 'not_found') throw notFound(id);
  if (result.status === 'refused') throw new ApiError(409, 'conflict', result.message);
  hooks.onCaseChanges?.([result.change]);
  const feedback: string[] = [];
  if (action === 'resolve' && body.verdict !== undefined) {
    for (const incidentId of await ledger.cases.incidentIds(caseId)) {
      const recorded = await ledger.addFeedback({ incidentId, verdict: body.verdict, reason: body.note!, analyst: who.analyst }, who.source);
      if (recorded.status === 'not_found') continue;
      if (recorded.status === 'created') hooks.audit?.feedback(feedbackAuditOf(recorded, who.actor));
      feedback.push(recorded.feedback.id);
    }
  }
  const change: CaseChange = result.change;
  // The verdict just recorded is the case's now.
  const after = feedback.length > 0 ? ((await ledger.cases.summary(caseId)) ?? result.case) : result.case;
  return CaseActionOutcome.parse({ case: after, event: change.event, notified: change.notifications.map((n) => `${n.receiver}:${n.kind}`), feedback });
}

/** What any action's body may carry. */
type AnyActionBody = Parameters<typeof takeAction>[3];

function actionRoute(action: CaseAction, summary: string): Route {
  return defineRoute({
    method: 'POST',
    path: `/cases/:id/${action}`,
    role: 'analyst',
    summary,
    params: CaseParams,
    body: ACTION_BODIES[action] as z.ZodType<AnyActionBody>,
    responses: {
      200: { description: 'done: the case after it, the event recorded, the receivers told', schema: CaseActionOutcome },
      400: { description: 'a malformed body, naming the field', schema: ErrorBody },
      404: { description: 'unknown case', schema: ErrorBody },
      409: { description: 'the lifecycle does not allow it from the case\'s state (the message says what does)', schema: ErrorBody },
    },
    async handle({ params, body, principal }, ctx) {
      const outcome = await takeAction(ledgerOf(ctx), params.id, action, body, { actor: `api:${principal.name}`, analyst: principal.name, source: `api:${principal.name}` }, ctx);
      return { status: 200, body: outcome };
    },
  });
}

const NotificationQuery = z
  .object({
    status: z.enum(['pending', 'delivered', 'dead']).optional().describe('dead: the dead letters'),
    receiver: storable(z.string().min(1)).optional(),
    case: storable(z.string().min(1)).optional().describe('a case id'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

const ExplainQuery = z
  .object({
    severity: Severity,
    category: z.string().min(1).describe('a classification (malware, data-breach, …) or rule category'),
    rule: z.string().min(1).optional(),
    tag: z.string().min(1).optional(),
    at: z.iso.datetime({ offset: true }).optional().describe('when the case opens (default: now)'),
  })
  .strict();

const Explained = z
  .object({
    policy: z.string().nullable(),
    businessHours: z.boolean().nullable(),
    steps: z.array(
      z
        .object({ at: z.iso.datetime(), event: z.enum(['escalated', 'reminded', 'deferred']), number: z.number().int(), receivers: z.array(z.string()), oncall: z.string().nullable(), note: z.string().nullable() })
        .strict(),
    ),
  })
  .strict();

export const caseRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/cases',
    role: 'viewer',
    summary: 'Cases, newest first (first seen), filtered by state, severity, rule, time, classification and assignee.',
    query: ListQuery,
    responses: { 200: { description: 'the cases and the page asked for', schema: CaseList }, 400: { description: 'a bad query parameter', schema: ErrorBody } },
    async handle({ query }, ctx) {
      const ledger = ledgerOf(ctx);
      const cases = await ledger.cases.list({
        state: query.state,
        severity: query.severity,
        ruleId: query.rule,
        sinceMs: sinceMsOf(query.since, await ledger.latestEventTimeMs()),
        untilMs: query.until === undefined ? undefined : Date.parse(query.until),
        classification: query.classification,
        assignee: query.assignee,
        limit: query.limit,
        offset: query.offset,
      });
      return { status: 200, body: { cases, limit: query.limit, offset: query.offset } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/cases/:id',
    role: 'viewer',
    summary: 'One case: its state, detection facts, incidents (with their verdicts), timeline and notifications.',
    params: CaseParams,
    responses: { 200: { description: 'the case', schema: CaseDetail }, 404: { description: 'unknown case', schema: ErrorBody } },
    async handle({ params }, ctx) {
      const ledger = ledgerOf(ctx);
      const detail = await ledger.cases.get(await caseIdOf(ledger, params.id));
      if (!detail) throw notFound(params.id);
      return { status: 200, body: detail };
    },
  }),
  actionRoute('acknowledge', 'Acknowledges a case: someone has it; escalation stops.'),
  actionRoute('assign', 'Assigns a case to someone.'),
  actionRoute('classify', 'Sets the incident-response classification (escalation matches again on it while nobody acknowledged).'),
  actionRoute('flag', 'Sets a flag on a case (personal-data, material): obligations may start on it (docs/obligations.md).'),
  actionRoute('unflag', 'Removes a flag from a case (obligations already started keep running).'),
  actionRoute('contain', 'Marks a case contained.'),
  actionRoute('resolve', 'Resolves a case: every receiver told resolves (the page, the ticket); with a verdict, records it on every incident of the case.'),
  actionRoute('close', 'Closes a resolved case (refused while a postmortem it needs is not done: postmortems.requiredFor).'),
  actionRoute('reopen', 'Reopens a resolved or closed case: escalation starts over.'),
  defineRoute({
    method: 'GET',
    path: '/notifications',
    role: 'viewer',
    summary: 'Notifications of the outbox, newest first: pending, delivered, or dead-lettered (status=dead), with their last error (secrets removed).',
    query: NotificationQuery,
    responses: { 200: { description: 'the notifications', schema: z.object({ notifications: z.array(NotificationStatus) }).strict() }, 400: { description: 'a bad query parameter', schema: ErrorBody } },
    async handle({ query }, ctx) {
      const notifications = await ledgerOf(ctx).outbox.list({ status: query.status, receiver: query.receiver, caseId: query.case, limit: query.limit, offset: query.offset });
      return { status: 200, body: { notifications } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/escalation/explain',
    role: 'viewer',
    summary: 'Who would be told about a case of this severity and category, and when, if nobody acknowledged it (the worker\'s escalation file).',
    query: ExplainQuery,
    responses: {
      200: { description: 'the matching policy and its steps', schema: Explained },
      400: { description: 'a bad query parameter', schema: ErrorBody },
      503: { description: 'the worker has no escalation file', schema: ErrorBody },
    },
    async handle({ query }, ctx) {
      const escalation = ctx.escalation?.();
      if (!escalation) throw new ApiError(503, 'no_escalation', 'this worker has no escalation file: set escalation.file in its config');
      const atMs = query.at === undefined ? Date.now() : Date.parse(query.at);
      const e = explainEscalation(escalation, { severity: query.severity, category: query.category, rules: query.rule ? [query.rule] : [], tags: query.tag ? [query.tag] : [] }, atMs);
      return {
        status: 200,
        body: {
          policy: e.policy ?? null,
          businessHours: e.businessHours ?? null,
          steps: e.steps.map((s) => ({ at: new Date(s.atMs).toISOString(), event: s.event, number: s.number, receivers: [...s.receivers], oncall: s.oncall, note: s.note })),
        },
      };
    },
  }),
];
