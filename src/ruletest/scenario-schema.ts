import { z } from 'zod';
import { Duration } from '../rules/schema.js';

/**
 * A rule scenario test: "given these alerts, expect these decisions and incidents".
 * docs/rules.md ("Scenario tests") documents the format; this file is its validator and its types.
 */

/** An input alert as it would arrive (canonical fields); the normalizer checks it, as in production. */
export const InputAlert = z.record(z.string(), z.unknown());

/** `{repeat: 20, every: 30s, alert: {...}}`: copies spaced in time, ids suffixed -1 … -N. */
const RepeatBlock = z
  .object({
    repeat: z.number().int().min(1).max(100_000),
    every: Duration,
    alert: InputAlert,
  })
  .strict();

/**
 * An item of `alerts`: a repeat block when it has a `repeat` key, otherwise one alert. Picked by key
 * (not a zod union) so that a mistake in a repeat block is reported at its field, not as "invalid input".
 */
export const AlertItem = InputAlert.transform((item, ctx) => {
  if (!Object.hasOwn(item, 'repeat')) return { repeat: 1, every: '0s', alert: item, single: true };
  const parsed = RepeatBlock.safeParse(item);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const keys = 'keys' in issue ? (issue.keys as string[]) : [];
      ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path, ...keys.slice(0, 1)] });
    }
    return z.NEVER;
  }
  return { ...parsed.data, single: false };
});
export type AlertItem = z.infer<typeof AlertItem>;

/**
 * Which alerts an expectation is about: `7` (the 7th alert, 1-based, after repeats are expanded),
 * `"3..9"` (the 3rd to the 9th, inclusive) or an alert id.
 */
export const AlertSelector = z.union([z.number().int().min(1), z.string().min(1)]);
export type AlertSelector = z.infer<typeof AlertSelector>;

const OUTCOMES = ['promote', 'suppress', 'pass', 'duplicate', 'invalid'] as const;
export type Outcome = (typeof OUTCOMES)[number];

const DecisionExpectation = z
  .object({
    at: AlertSelector,
    /** `invalid`: the alert was dead-lettered instead of decided; `duplicate`: it came before (same id and time). */
    decision: z.enum(OUTCOMES),
    /** The rule or exception that decided. */
    rule: z.string().min(1).optional(),
    /** The alert went into the same incident as this one. */
    sameIncidentAs: AlertSelector.optional(),
    /** true: the alert opened an incident; false: it joined one opened by an earlier alert. */
    newIncident: z.boolean().optional(),
    /** For `invalid`: a piece of the dead-letter reason. */
    reason: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const incidentKeys = (['sameIncidentAs', 'newIncident'] as const).filter((k) => e[k] !== undefined);
    if (e.decision !== 'promote') {
      for (const key of incidentKeys) ctx.addIssue({ code: 'custom', message: `only promoted alerts have incidents (decision is ${e.decision})`, path: [key] });
    }
    if (e.reason !== undefined && e.decision !== 'invalid') {
      ctx.addIssue({ code: 'custom', message: 'reason is the dead-letter reason: only for decision invalid', path: ['reason'] });
    }
    if (e.rule !== undefined && (e.decision === 'pass' || e.decision === 'duplicate' || e.decision === 'invalid')) {
      ctx.addIssue({ code: 'custom', message: `no rule decides a ${e.decision} outcome`, path: ['rule'] });
    }
  });
export type DecisionExpectation = z.infer<typeof DecisionExpectation>;

/** Matches `count` consecutive incidents (ordered by firstSeen, rule, group); every given field must agree. */
const IncidentExpectation = z
  .object({
    count: z.number().int().min(1).default(1),
    rule: z.string().min(1).optional(),
    alertCount: z.number().int().min(1).optional(),
    /** Grouping field path → value, e.g. `{entities.host: web-01}`; compared as a whole. */
    groupKey: z.record(z.string(), z.string()).optional(),
    title: z.string().optional(),
    severity: z.string().optional(),
    /** Exactly these alerts, in any order. */
    alerts: z.array(AlertSelector).min(1).optional(),
  })
  .strict();
export type IncidentExpectation = z.infer<typeof IncidentExpectation>;

export const Scenario = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** Rules directory for this scenario, relative to the scenario file; default: the one under test. */
    rules: z.string().min(1).optional(),
    /** Event time of the first alert when it has none; later alerts without a time follow the previous one. */
    start: z.string().min(1).optional(),
    /** Fields every alert starts from (entities are merged key by key), to keep alerts short. */
    defaults: InputAlert.default({}),
    alerts: z.array(AlertItem).min(1),
    expect: z
      .object({
        decisions: z.array(DecisionExpectation).default([]),
        /** The incidents written, in order; `[]` expects none; absent: not checked. */
        incidents: z.array(IncidentExpectation).optional(),
      })
      .strict()
      .refine((e) => e.decisions.length > 0 || e.incidents !== undefined, { message: 'expect needs decisions or incidents' }),
  })
  .strict();
export type Scenario = z.infer<typeof Scenario>;
