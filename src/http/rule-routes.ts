import { z } from 'zod';
import { RuleStats } from '../ledger/records.js';
import { sinceField, sinceMsOf } from '../ledger/since.js';
import type { CompiledRuleSet, RuleScope } from '../rules/ruleset.js';
import type { Rule } from '../rules/schema.js';
import { TunableParam } from '../rules/schema.js';
import { ApiError, ErrorBody } from './api-error.js';
import { defineRoute, ledgerOf, type Route } from './route.js';

const RuleSummary = z
  .object({
    id: z.string(),
    version: z.number().int(),
    title: z.string(),
    decision: z.enum(['promote', 'suppress']),
    severity: z.string(),
    priority: z.number().int(),
    enabled: z.boolean(),
    /** The file it was loaded from, relative to the rules directory (null for disabled rules). */
    file: z.string().nullable(),
    /** The tenant whose alerts alone it decides (rules directory `tenants/<tenant>/`); null for a shared rule, and for disabled rules (not compiled). */
    tenant: z.string().nullable(),
    params: z.record(z.string(), TunableParam),
  })
  .strict();

const RuleList = z
  .object({
    /** CompiledRuleSet.fingerprint: identifies the running rule set. */
    fingerprint: z.string(),
    rules: z.array(RuleSummary),
    exceptions: z.array(z.object({ id: z.string(), reason: z.string(), expires: z.string(), file: z.string(), tenant: z.string().nullable() }).strict()),
    /** With a `kind: tenancy` object: the tenant field and the tenants with rules of their own. */
    tenancy: z.object({ field: z.string(), tenants: z.array(z.string()) }).strict().nullable(),
  })
  .strict();

const ReloadAnswer = z.union([
  z.object({ applied: z.literal(true), fingerprint: z.string(), windowsKept: z.array(z.string()), windowsReset: z.array(z.string()) }).strict(),
  z.object({ applied: z.literal(false), problems: z.array(z.string()) }).strict(),
]);

function summaryOf(rule: Rule, file: string | null, scope: RuleScope | undefined): z.infer<typeof RuleSummary> {
  const { id, version, title, decision, severity, priority, enabled, params } = rule;
  return { id, version, title, decision, severity, priority, enabled, file, tenant: scope?.tenant ?? null, params };
}

function listRules(ruleset: CompiledRuleSet): z.infer<typeof RuleList> {
  const running = [...ruleset.suppressRules, ...ruleset.promoteRules].map((r) => summaryOf(r.rule, r.file, r.scope));
  const disabled = ruleset.disabledRules.map((r) => summaryOf(r, null, undefined));
  return {
    fingerprint: ruleset.fingerprint,
    rules: [...running, ...disabled].sort((a, b) => (a.id < b.id ? -1 : 1)),
    exceptions: ruleset.exceptions.map(({ exception: e, file, scope }) => ({ id: e.id, reason: e.reason, expires: e.expires, file, tenant: scope?.tenant ?? null })),
    tenancy: ruleset.tenancy ? { field: ruleset.tenancy.field, tenants: [...ruleset.tenancy.tenants] } : null,
  };
}

export const ruleRoutes: readonly Route[] = [
  defineRoute({
    method: 'GET',
    path: '/rules',
    role: 'viewer',
    summary: 'The running rules (with their tunable params) and exceptions.',
    responses: { 200: { description: 'the rule set', schema: RuleList } },
    async handle(_input, ctx) {
      return { status: 200, body: listRules(ctx.rules()) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/rules/:id/stats',
    role: 'viewer',
    summary: 'A rule\'s incidents, verdicts, precision, decisions per day and tuning changes.',
    params: z.object({ id: z.string().min(1).max(200) }).strict(),
    query: z
      .object({ since: sinceField('30d').optional().describe('as for GET /incidents') })
      .strict(),
    responses: { 200: { description: 'the stats', schema: RuleStats }, 404: { description: 'a rule neither running nor in the ledger', schema: ErrorBody } },
    async handle({ params, query }, ctx) {
      const ledger = ledgerOf(ctx);
      const running = listRules(ctx.rules()).rules.some((r) => r.id === params.id);
      if (!running && !(await ledger.ruleIds()).includes(params.id)) {
        throw new ApiError(404, 'not_found', `no rule ${params.id}: not in the running rules nor in the ledger`, '/id');
      }
      const sinceMs = sinceMsOf(query.since, await ledger.latestEventTimeMs());
      return { status: 200, body: await ledger.ruleStats(params.id, sinceMs) };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/rules/reload',
    role: 'engineer',
    summary: 'Loads the rules directory again now (as a file change would): a valid set replaces the running one, an invalid one is refused with its located problems.',
    responses: {
      200: { description: 'applied', schema: ReloadAnswer },
      422: { description: 'the rules on disk are invalid; the running rules stay', schema: ReloadAnswer },
      501: { description: 'this worker cannot reload', schema: ErrorBody },
    },
    async handle({ principal }, ctx) {
      if (!ctx.reloadRules) throw new ApiError(501, 'not_implemented', 'this worker does not reload its rules');
      const outcome = await ctx.reloadRules(principal.name);
      return { status: outcome.applied ? 200 : 422, body: outcome };
    },
  }),
];
