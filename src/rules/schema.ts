import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../state/duration.js';
import { DEFAULT_MAX_EVENTS, DEFAULT_MAX_EVENTS_PER_KEY, HLL_MAX_PRECISION, HLL_MIN_PRECISION } from '../state/index.js';
import { TopLevelCondition } from './conditions.js';
import { FIELD_PATH_HINT, parseFieldPath } from '../normalize/field-path.js';

/**
 * The rule-file language: rules (promote or suppress), exceptions and named conditions.
 * docs/rules.md documents every field; this file is the validator and the source of the types.
 */

export const RULE_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
/** The SOP's incident classes, plus recon, policy and other. */
export const RULE_CATEGORIES = [
  'data-breach',
  'malware',
  'dos',
  'unauthorized-access',
  'recon',
  'policy',
  'other',
] as const;
export const AGGREGATE_KINDS = ['count', 'distinct', 'sum', 'risk', 'spike', 'sequence'] as const;

const identifier = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lowercase letters, digits, ".", "_" or "-", starting with a letter or digit');
/** Param and aggregate names are facts read through JSONPath (`$.minCount`), so they are plain identifiers. */
const factName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use letters, digits and "_", starting with a letter or "_"');
/**
 * A duration such as 500ms, 30s, 10m, 1h or 7d (parseDuration's grammar and bounds), at most `max`
 * when given: every duration a user writes (rule files, config, scenarios) is checked here, so one
 * too large to count is a located problem, never an exception later.
 */
export function durationSchema(max?: string) {
  return z
    .string()
    .regex(DURATION_PATTERN, 'expected a duration such as 30s, 10m, 1h or 7d')
    .superRefine((text, ctx) => {
      if (!DURATION_PATTERN.test(text)) return;
      try {
        parseDuration(text, max);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
    });
}
export const Duration = durationSchema();
/**
 * A field path into the canonical alert: `name`, `source`, `entities.src_ip`, `raw.bytes_out`,
 * `raw.output_fields["proc.name"]` (src/normalize/field-path.ts). It starts with one of the alert's fields.
 */
export const AlertFieldPath = z.string().superRefine((text, ctx) => {
  const parsed = parseFieldPath(text);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed.replace(FIELD_PATH_HINT, 'an alert field path such as entities.src_ip') });
  else if (!/^[A-Za-z_][A-Za-z0-9_]*(?:[.[]|$)/.test(text)) ctx.addIssue({ code: 'custom', message: 'expected an alert field path such as entities.src_ip' });
});

export const TunableParam = z
  .object({
    value: z.number(),
    min: z.number(),
    max: z.number(),
    step: z.number().positive().optional(),
    description: z.string().optional(),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.min > p.max) ctx.addIssue({ code: 'custom', message: `min (${p.min}) is above max (${p.max})`, path: ['min'] });
    if (p.value < p.min || p.value > p.max) {
      ctx.addIssue({ code: 'custom', message: `value ${p.value} is outside its bounds [${p.min}, ${p.max}]`, path: ['value'] });
    }
    if (p.step !== undefined && !isOnStep(p.value, p.min, p.step)) {
      ctx.addIssue({ code: 'custom', message: `value ${p.value} is not min + a multiple of step ${p.step}`, path: ['value'] });
    }
  });
export type TunableParam = z.infer<typeof TunableParam>;

function isOnStep(value: number, min: number, step: number): boolean {
  const steps = (value - min) / step;
  return Math.abs(steps - Math.round(steps)) < 1e-9;
}

/**
 * Counts only the alerts of the window for which this condition holds (alert fields and params, like
 * `match`): `count where name startsWith "sshd"`. Absent: every alert the window holds.
 */
const where = TopLevelCondition.optional();

export const Aggregate = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('count'), where }).strict(),
  z
    .object({
      kind: z.literal('distinct'),
      field: AlertFieldPath,
      /** Count with a HyperLogLog sketch in fixed memory once the window holds many values (docs/rules.md). */
      approximate: z.boolean().optional(),
      /** The sketch's precision p: 2^p registers, relative standard error 1.04/√(2^p); default 12 (1.6%). */
      precision: z.number().int().min(HLL_MIN_PRECISION).max(HLL_MAX_PRECISION).optional(),
      where,
    })
    .strict()
    .refine((a) => a.precision === undefined || a.approximate === true, { message: 'precision is for approximate distinct counts: add approximate: true', path: ['precision'] }),
  z.object({ kind: z.literal('sum'), field: AlertFieldPath, where }).strict(),
  z
    .object({
      kind: z.literal('risk'),
      /** Splunk RBA-style risk: each alert adds the scores of the entries whose condition holds for it. */
      scores: z
        .array(z.object({ where: TopLevelCondition, score: z.number().finite().min(-1_000_000).max(1_000_000), description: z.string().optional() }).strict())
        .min(1)
        .max(64),
    })
    .strict(),
  z
    .object({
      kind: z.literal('spike'),
      /** How many periods (each the window's size) before the alert's own make its baseline. */
      periods: z.number().int().min(1).max(1000),
      where,
    })
    .strict(),
  z
    .object({
      kind: z.literal('sequence'),
      /** In order: each step's condition (like match) and how many alerts it takes (default 1). */
      steps: z
        .array(z.object({ where: TopLevelCondition, count: z.number().int().min(1).max(10_000).default(1) }).strict())
        .min(2, 'a sequence needs at least two steps (one step is a filtered count: kind count with where)')
        .max(16),
    })
    .strict(),
]);
export type Aggregate = z.infer<typeof Aggregate>;

export const WindowSpec = z
  .object({
    /** Alert fields whose values together form the window key (Sigma's group-by). */
    groupBy: z.array(AlertFieldPath).min(1),
    size: Duration,
    /** How far behind the newest event time an alert may arrive and still be counted. */
    allowedLateness: Duration.default('1m'),
    /** Hard cap on keys held for this rule; the oldest key is evicted (and counted) beyond it. */
    maxKeys: z.number().int().positive().default(100_000),
    /** Hard cap on events held for this rule over all its keys; at it a key drops its oldest event (counted, and said in the explanation). */
    maxEvents: z.number().int().positive().default(DEFAULT_MAX_EVENTS),
    /** Hard cap on events held by one key; at it the key drops its oldest event (counted, and said in the explanation). */
    maxEventsPerKey: z.number().int().positive().default(DEFAULT_MAX_EVENTS_PER_KEY),
  })
  .strict();
export type WindowSpec = z.infer<typeof WindowSpec>;

/**
 * "A sensor went quiet": a group (groupBy) whose alerts `match` picked stops sending for `after`. The
 * rule then decides an alert alertgate makes for it (docs/rules.md, "Absence").
 */
export const AbsenceSpec = z
  .object({
    groupBy: z.array(AlertFieldPath).min(1),
    after: Duration,
    /** The silence is declared only once the watermark is this far past it, so a late alert can still break it. */
    allowedLateness: Duration.default('1m'),
    maxKeys: z.number().int().positive().default(100_000),
  })
  .strict();
export type AbsenceSpec = z.infer<typeof AbsenceSpec>;

export const IncidentSpec = z
  .object({
    groupBy: z.array(AlertFieldPath).default([]),
    /** An alert joins the open incident of its group when it comes within this gap of the last one. */
    window: Duration.default('1h'),
    /** Optional: no alert joins an incident once it spans this long; a new one opens. */
    maxSpan: Duration.optional(),
    /** `{{entities.host}}`-style placeholders; defaults to the rule title. */
    title: z.string().min(1).optional(),
    /**
     * false: this rule's incidents are each a case of their own and never join, or are joined by, another
     * rule's incidents (cases.mergeBy; docs/cases.md). Absent means true.
     */
    merge: z.boolean().optional(),
  })
  .strict();
export type IncidentSpec = z.infer<typeof IncidentSpec>;

export const Rule = z
  .object({
    kind: z.literal('rule').default('rule'),
    id: identifier,
    version: z.number().int().min(1),
    title: z.string().min(1),
    description: z.string().default(''),
    owner: z.string().min(1),
    severity: z.enum(RULE_SEVERITIES),
    category: z.enum(RULE_CATEGORIES),
    mitre: z.array(z.string().regex(/^(T|TA)\d{4}(\.\d{3})?$/, 'expected a MITRE ATT&CK id such as T1110 or T1110.001')).default([]),
    enabled: z.boolean().default(true),
    /** Higher runs first, as in json-rules-engine; ties are broken by rule id. */
    priority: z.number().int().min(1).default(1),
    decision: z.enum(['promote', 'suppress']),
    params: z.record(factName, TunableParam).default({}),
    /** Which alerts this rule looks at and feeds to its window; absent = every alert. */
    match: TopLevelCondition.optional(),
    window: WindowSpec.optional(),
    aggregates: z.record(factName, Aggregate).default({}),
    /** The deciding conditions, evaluated after the window is updated; facts include the aggregates and params. */
    conditions: TopLevelCondition,
    incident: IncidentSpec.optional(),
    absence: AbsenceSpec.optional(),
    /**
     * Under sharded deciders (kafka.shardBy): `per-shard` accepts that this rule's windows and incidents
     * count per shard when its grouping does not determine the shard key (docs/rules.md, "Sharding").
     */
    sharding: z.enum(['per-shard']).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const hasAggregates = Object.keys(rule.aggregates).length > 0;
    if (hasAggregates && !rule.window) {
      ctx.addIssue({ code: 'custom', message: 'aggregates need a window (groupBy and size)', path: ['window'] });
    }
    if (rule.window && !hasAggregates) {
      ctx.addIssue({ code: 'custom', message: 'a window without aggregates has no effect; declare at least one aggregate', path: ['aggregates'] });
    }
    if (hasAggregates && !rule.match) {
      ctx.addIssue({ code: 'custom', message: 'a windowed rule needs match conditions that pick the alerts it counts', path: ['match'] });
    }
    for (const kind of ['sequence', 'spike'] as const) {
      const named = Object.entries(rule.aggregates).filter(([, a]) => a.kind === kind);
      if (named.length > 1) ctx.addIssue({ code: 'custom', message: `a rule may have one ${kind} aggregate; write another rule for another`, path: ['aggregates', named[1]![0]] });
    }
    if (rule.absence && (rule.window || hasAggregates)) {
      ctx.addIssue({ code: 'custom', message: 'an absence rule decides the silence alertgate declares, not the alerts: it has no window or aggregates', path: ['absence'] });
    }
    if (rule.absence && !rule.match) {
      ctx.addIssue({ code: 'custom', message: 'an absence rule needs match conditions that pick the alerts showing a group is alive', path: ['match'] });
    }
    if (rule.incident && rule.decision !== 'promote') {
      ctx.addIssue({ code: 'custom', message: 'only promote rules open incidents', path: ['incident'] });
    }
  });
export type Rule = z.infer<typeof Rule>;

const stringOrList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** An entity or signature to silence, with a reason and an expiry (compared with the alert's event time). */
export const Exception = z
  .object({
    kind: z.literal('exception'),
    id: identifier,
    reason: z.string().min(1),
    owner: z.string().min(1),
    expires: z.iso.datetime({ offset: true }).or(z.iso.date()),
    match: z
      .object({
        name: stringOrList.optional(),
        source: stringOrList.optional(),
        entities: z.record(z.string().min(1), stringOrList).optional(),
      })
      .strict()
      .refine((m) => m.name !== undefined || m.source !== undefined || (m.entities && Object.keys(m.entities).length > 0), {
        message: 'an exception must name at least one of name, source or entities',
      }),
  })
  .strict();
export type Exception = z.infer<typeof Exception>;

/** Conditions shared by name across the rules directory (json-rules-engine's engine.setCondition). */
export const NamedConditions = z
  .object({
    kind: z.literal('conditions'),
    conditions: z.record(identifier, TopLevelCondition),
  })
  .strict();
export type NamedConditions = z.infer<typeof NamedConditions>;

/**
 * Per-tenant rules (docs/rules.md, "Tenants"): with this object in a rules directory, the files under
 * `tenants/<tenant>/` are that tenant's rules, exceptions and named conditions, deciding only the
 * alerts whose `field` holds the tenant's name; every other file is shared by all tenants.
 */
export const Tenancy = z
  .object({
    kind: z.literal('tenancy'),
    /** The alert field that names an alert's tenant: `entities.tenant`. */
    field: AlertFieldPath,
  })
  .strict();
export type Tenancy = z.infer<typeof Tenancy>;
