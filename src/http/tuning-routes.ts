import { z } from 'zod';
import { AutoTuneMode, Percent } from '../config/tuning.js';
import { TuningChange } from '../ledger/records.js';
import { sinceField } from '../ledger/since.js';
import { storable } from '../ledger/storable-text.js';
import { TuningConflict } from '../tune/apply.js';
import { AutoTuneRun } from '../tune/auto-tune.js';
import { RuleFileRefused } from '../tune/rule-file-path.js';
import { TuneReport } from '../tune/report.js';
import { ScenarioRefusal, ScenarioTests } from '../tune/scenario-gate.js';
import type { TuneRequest } from '../tune/service.js';
import { ApiError, ErrorBody } from './api-error.js';
import { defineRoute, ledgerOf, type ApiContext, type Route } from './route.js';

const Guardrails = {
  since: sinceField('30d').optional().describe('default tuning.since'),
  minRecall: z.coerce.number().min(0).max(1).optional().describe('default tuning.minRecall'),
  maxStep: Percent.optional().describe('default tuning.maxStep'),
  minVerdicts: z.coerce.number().int().min(1).optional().describe('default tuning.minVerdicts'),
  disableBelowPrecision: z.coerce.number().min(0).max(1).optional().describe('default tuning.disableBelowPrecision'),
};

/** A change as listed: the file texts are left out (GET the ledger or the changelog for them). */
const ChangeSummary = TuningChange.omit({ beforeText: true, afterText: true });
const summary = ({ beforeText: _b, afterText: _a, ...rest }: TuningChange) => rest;

const ReloadResult = z.object({ applied: z.boolean() }).loose();

function autoTuneOf(ctx: ApiContext) {
  ledgerOf(ctx);
  if (!ctx.autoTune) throw new ApiError(501, 'not_implemented', 'this worker does not tune');
  return ctx.autoTune;
}

function tuningOf(ctx: ApiContext) {
  ledgerOf(ctx);
  if (!ctx.tuning) throw new ApiError(501, 'not_implemented', 'this worker does not tune');
  return ctx.tuning;
}

/**
 * Runs a tuning step; a conflict (stale file, hand edit, invalid result) is 409 with its message, a
 * change naming a file outside the rules directory (or through a link) is 422 rule_file_refused.
 */
async function conflictsAs409<T>(task: () => Promise<T>): Promise<T> {
  try {
    return await task();
  } catch (err) {
    if (err instanceof TuningConflict) throw new ApiError(409, 'conflict', err.message);
    if (err instanceof RuleFileRefused) throw new ApiError(422, 'rule_file_refused', err.message);
    throw err;
  }
}

export const tuningRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/tuning/proposals',
    role: 'viewer',
    summary: 'A dry run of the tuner over the ledger (counterfactuals from recorded facts): per-rule evidence, proposed threshold changes and exceptions.',
    query: z.object(Guardrails).strict(),
    responses: { 200: { description: 'the report', schema: TuneReport }, 409: { description: 'the rules on disk are invalid', schema: ErrorBody } },
    async handle({ query }, ctx) {
      const request: TuneRequest = query;
      return { status: 200, body: await conflictsAs409(() => tuningOf(ctx).report(request)) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/tuning/apply',
    role: 'engineer',
    summary: 'Applies the tuner\'s proposals to the rule files (guardrails as configured unless overridden), records each change in the ledger and the changelog, and reloads the rules.',
    body: z
      .object({
        ...Guardrails,
        minRecall: z.number().min(0).max(1).optional(),
        minVerdicts: z.number().int().min(1).optional(),
        disableBelowPrecision: z.number().min(0).max(1).optional(),
        rules: z.array(storable(z.string().min(1))).optional().describe('only these rules'),
        reason: storable(z.string().regex(/\S/, 'must not be blank').max(2000)).optional().describe('why (recorded); default: the evidence'),
      })
      .strict(),
    responses: {
      200: {
        description: 'the report, the changes applied (none when nothing passed the guardrails) and the proposals the scenario tests of the rules directory refused (unwritten: each with the scenarios and expectations it broke)',
        schema: z.object({ report: TuneReport, changes: z.array(ChangeSummary), refused: z.array(ScenarioRefusal), scenarioTests: ScenarioTests.nullable(), reload: ReloadResult.nullable() }).strict(),
      },
      409: { description: 'a rule file changed meanwhile, or the change would make the rules invalid', schema: ErrorBody },
      422: { description: 'a proposal names a file outside the rules directory or through a symbolic link (rule_file_refused): nothing is written', schema: ErrorBody },
    },
    async handle({ body, principal }, ctx) {
      const { report, changes, refused, scenarioTests } = await conflictsAs409(() => tuningOf(ctx).apply({ ...body, author: principal.name }));
      const reload = changes.length > 0 && ctx.reloadRules ? await ctx.reloadRules(principal.name) : null;
      return { status: 200, body: { report, changes: changes.map(summary), refused, scenarioTests, reload } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/tuning/changes',
    role: 'viewer',
    summary: 'Tuning changes in the ledger, oldest first.',
    query: z.object({ rule: storable(z.string().min(1)).optional() }).strict(),
    responses: { 200: { description: 'the changes', schema: z.object({ changes: z.array(ChangeSummary) }).strict() } },
    async handle({ query }, ctx) {
      return { status: 200, body: { changes: (await ledgerOf(ctx).tuningChanges(query.rule)).map(summary) } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/tuning/changes/:id/revert',
    role: 'engineer',
    summary: 'Writes the rule file back as it was before the change, byte for byte, and reloads the rules; refused if the file changed since.',
    params: z.object({ id: storable(z.string().min(1).max(100)) }).strict(),
    body: z.object({ reason: storable(z.string().regex(/\S/, 'must not be blank').max(2000)) }).strict(),
    responses: {
      200: { description: 'reverted', schema: z.object({ change: ChangeSummary, reload: ReloadResult.nullable() }).strict() },
      404: { description: 'unknown change', schema: ErrorBody },
      409: { description: 'reverted already, or the file changed since', schema: ErrorBody },
      422: { description: 'the change names a file outside the rules directory or through a symbolic link (rule_file_refused): nothing is written', schema: ErrorBody },
    },
    async handle({ params, body, principal }, ctx) {
      const tuning = tuningOf(ctx);
      if (!(await ledgerOf(ctx).tuningChange(params.id))) throw new ApiError(404, 'not_found', `no tuning change ${params.id} in the ledger`, '/id');
      const change = await conflictsAs409(() => tuning.revert(params.id, principal.name, body.reason));
      const reload = ctx.reloadRules ? await ctx.reloadRules(principal.name) : null;
      return { status: 200, body: { change: summary(change), reload } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/tuning/auto/last',
    role: 'viewer',
    summary: 'Auto-tune\'s settings and its newest run (scheduled or requested): in dry-run mode the changes it would apply, in apply mode those it applied; the limits its guardrails set and the proposals the scenario tests refused.',
    responses: {
      200: {
        description: 'the settings, and the newest run (null: none yet)',
        schema: z.object({ enabled: z.boolean(), every: z.string(), mode: AutoTuneMode, last: AutoTuneRun.nullable() }).strict(),
      },
    },
    async handle(_input, ctx) {
      const autoTune = autoTuneOf(ctx);
      return { status: 200, body: { ...autoTune.settings, last: (await autoTune.last()) ?? null } };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/tuning/auto/run',
    role: 'engineer',
    summary: 'Runs auto-tune now, with its guardrails and in its mode (tuning.auto.mode: dry-run writes nothing), after any run under way; the schedule keeps its pace. Answers the run; in apply mode the worker reloads the rules it wrote.',
    responses: {
      200: { description: 'the run', schema: AutoTuneRun },
      409: { description: 'the rules on disk are invalid, or a rule file changed meanwhile', schema: ErrorBody },
      422: { description: 'a proposal names a file outside the rules directory or through a symbolic link (rule_file_refused): nothing is written', schema: ErrorBody },
    },
    async handle(_input, ctx) {
      const autoTune = autoTuneOf(ctx);
      return { status: 200, body: await conflictsAs409(() => autoTune.run('request')) };
    },
  }),
];
