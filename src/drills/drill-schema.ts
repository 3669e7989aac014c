import { z } from 'zod';
import { Classification, CLASSIFICATIONS } from '../cases/classification.js';
import { CASE_FLAG } from '../cases/flags.js';
import { INCIDENT_SEVERITIES } from '../incidents/index.js';
import { Duration } from '../rules/schema.js';
import { AlertItem, AlertSelector, InputAlert } from '../ruletest/scenario-schema.js';

/**
 * A drill file (docs/drills.md): a what-if scenario run through the real pipeline, cases, escalation
 * and deadlines on a simulated clock, with what the team expects to happen. This file is the
 * validator and the source of the types.
 */

/** `+20m` after the drill's first alert, or an ISO time. */
const Moment = z.string().regex(/^(\+\d+(ms|s|m|h|d)|\d{4}-\d{2}-\d{2}T.+)$/, 'expected +<duration> after the first alert (+20m) or an ISO date-time');
/** The nth case of the drill (by first alert, then id), 1-based. */
const CaseNumber = z.number().int().min(1).default(1);

/** The alert stream: inline alerts (with generated repeats), or a fixture file. */
const Stream = z
  .object({
    /** Event time of the first alert when it has none (inline alerts). */
    start: z.string().min(1).optional(),
    /** Fields every inline alert starts from. */
    defaults: InputAlert.default({}),
    /** Inline: alerts, and `{repeat, every, alert}` blocks that generate copies (`{{n}}`: the copy's number). */
    alerts: z.array(AlertItem).min(1).optional(),
    /** Or an NDJSON file of alerts, relative to the drill file. */
    fixture: z.string().min(1).optional(),
  })
  .strict()
  .refine((s) => (s.alerts === undefined) !== (s.fixture === undefined), { message: 'give alerts (inline) or fixture (a file), one of them' });

/** What an analyst does during the drill, at a simulated moment. */
const Action = z
  .object({
    at: Moment,
    case: CaseNumber,
    do: z.enum(['acknowledge', 'classify', 'flag', 'contain', 'resolve', 'met', 'waive']),
    /** classify: the classification; flag: the flag; met, waive: the obligation. */
    value: z.string().min(1).optional(),
    note: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    const needs = { classify: 'a classification', flag: 'a flag', met: 'the obligation', waive: 'the obligation' } as const;
    if (a.do in needs && a.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `${a.do} needs value: ${needs[a.do as keyof typeof needs]}` });
    if (a.do === 'flag' && a.value !== undefined && !CASE_FLAG.test(a.value)) ctx.addIssue({ code: 'custom', path: ['value'], message: 'a flag: lowercase letters, digits and "-"' });
    if (a.do === 'classify' && a.value !== undefined && !Classification.safeParse(a.value).success) ctx.addIssue({ code: 'custom', path: ['value'], message: `a classification: ${CLASSIFICATIONS.join(', ')}` });
  });
export type DrillAction = z.infer<typeof Action>;

/** A case the drill expects, in the order cases open; every given field must agree. */
const CaseExpectation = z
  .object({
    /** The case's classification, or before an analyst set one its rule category in the classification's words. */
    classification: z.string().min(1).optional(),
    severity: z.enum(INCIDENT_SEVERITIES).optional(),
    /** Rules that must have fired in it (any others may too). */
    rules: z.array(z.string().min(1)).min(1).optional(),
    /** Its escalation policy. */
    policy: z.string().min(1).optional(),
  })
  .strict();

/** Someone told about a case: the receiver, at which escalation level, within how long of the case opening. */
const NotifiedExpectation = z
  .object({
    case: CaseNumber,
    receiver: z.string().min(1),
    level: z.number().int().min(1).optional(),
    within: Duration,
  })
  .strict();

/** An obligation that starts on a case: within how long of its opening, and how long it runs. */
const ObligationExpectation = z
  .object({
    case: CaseNumber,
    name: z.string().min(1),
    startsWithin: Duration.optional(),
    /** From its start to its due time (72h, 4d…), or the due time itself. */
    runs: Duration.optional(),
    due: z.iso.datetime({ offset: true }).optional(),
    status: z.enum(['running', 'met', 'missed', 'waived']).optional(),
  })
  .strict();

export const Drill = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a drill name: lowercase letters, digits and "-"'),
    description: z.string().optional(),
    /** A worker config whose rules, cases, escalation, obligations, receivers and postmortems the drill uses (relative to the drill file). */
    config: z.string().min(1).optional(),
    /** Or (and over the config's) the rules directory, escalation and obligations files, relative to the drill file. */
    rules: z.string().min(1).optional(),
    escalation: z.string().min(1).optional(),
    obligations: z.string().min(1).optional(),
    /** Simulated seconds per real second (3600: an hour a second, for watching it unfold), or max: as fast as it computes. */
    speed: z.union([z.literal('max'), z.number().positive().max(1e9)]).default('max'),
    /** How long the clock runs after the last alert (reminders, escalation levels, deadlines). */
    runFor: Duration.default('2h'),
    stream: Stream,
    actions: z.array(Action).default([]),
    expect: z
      .object({
        /** The cases that open, in order; [] expects none. Absent: not checked. */
        cases: z.array(CaseExpectation).optional(),
        notified: z.array(NotifiedExpectation).default([]),
        /** Receivers that must not be told about any case; `[all]`: nobody at all. */
        notNotified: z.array(z.string().min(1)).default([]),
        obligations: z.array(ObligationExpectation).default([]),
        /** Alerts that must be suppressed: selectors (7, "3..90", an id) and/or at least a count. */
        suppressed: z.object({ alerts: z.array(AlertSelector).default([]), atLeast: z.number().int().min(0).optional() }).strict().optional(),
      })
      .strict(),
  })
  .strict();
export type Drill = z.infer<typeof Drill>;
export type CaseExpectation = z.infer<typeof CaseExpectation>;
