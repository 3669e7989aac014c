import { z } from 'zod';
import { VerdictCounts } from '../ledger/records.js';

/**
 * What `alertgate report` prints with `--format json` (docs/schemas/report.schema.json): a period of
 * the ledger per rule, per UTC day, and the tuning changes applied in it with their measured effect.
 * docs/report.md says how each figure is computed.
 */

/** Incidents by current verdict, and the shares a team watches. */
const Verdicts = {
  ...VerdictCounts.shape,
  /** FP / (TP + BP + FP): the share of reviewed incidents that were false positives; null when none was reviewed. */
  falsePositiveRate: z.number().nullable(),
};

/** Decisions of a rule (or of all rules): alerts it matched, promoted and suppressed. */
const Decisions = {
  /** promoted + suppressed. */
  alertsMatched: z.number().int(),
  promoted: z.number().int(),
  suppressed: z.number().int(),
};

/** Analysts' time on the incidents: reviewed ones × the minutes per incident. */
const Triage = {
  /** Median minutes from an incident's first alert to its first verdict; null when none was reviewed. */
  medianMinutesToFeedback: z.number().nullable(),
  /** (TP + BP + FP) × minutesPerIncident. */
  analystMinutes: z.number(),
  /** FP × minutesPerIncident: the time tuning could give back. */
  falsePositiveMinutes: z.number(),
};

/** A signature (the opening alert's name) or an entity (`kind=value`) and the incidents it is in. */
export const NoisyKey = z
  .object({
    key: z.string(),
    incidents: z.number().int(),
    /** Alerts of those incidents. */
    alerts: z.number().int(),
    falsePositive: z.number().int(),
  })
  .strict();
export type NoisyKey = z.infer<typeof NoisyKey>;

export const RuleSection = z
  .object({
    ruleId: z.string(),
    ...Decisions,
    ...Verdicts,
    ...Triage,
    /** The top signatures and entities by incidents (then alerts, then name). */
    signatures: z.array(NoisyKey),
    entities: z.array(NoisyKey),
  })
  .strict();
export type RuleSection = z.infer<typeof RuleSection>;

export const DaySection = z
  .object({
    day: z.iso.date(),
    /** Every decision of the day: promoted, suppressed and passed. */
    alerts: z.number().int(),
    passed: z.number().int(),
    ...Decisions,
    ...Verdicts,
  })
  .strict();
export type DaySection = z.infer<typeof DaySection>;

/** A rule's record over one window of event time (before or after a tuning change). */
export const EffectWindow = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    alertsMatched: z.number().int(),
    ...Verdicts,
    incidentsPerDay: z.number(),
  })
  .strict();
export type EffectWindow = z.infer<typeof EffectWindow>;

export const ChangeSection = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    param: z.string(),
    from: z.number(),
    to: z.number(),
    appliedAt: z.iso.datetime(),
    author: z.string(),
    revertedAt: z.iso.datetime().nullable(),
    /** The length of each window: the time since the change up to the period's end, at most 7 days. */
    windowDays: z.number(),
    before: EffectWindow,
    after: EffectWindow,
    /** What the tuner expected when it applied the change (its evidence), when recorded. */
    predicted: z
      .object({
        falsePositiveRemoved: z.number().int(),
        falsePositiveTotal: z.number().int(),
        truePositiveKept: z.number().int(),
        truePositiveTotal: z.number().int(),
        incidentsPerDayBefore: z.number(),
        incidentsPerDayAfter: z.number(),
      })
      .nullable(),
  })
  .strict();
export type ChangeSection = z.infer<typeof ChangeSection>;

/** Cases (one per attack) first seen in the period: what people did with them and how fast. */
export const CaseFigures = z
  .object({
    cases: z.number().int(),
    acknowledged: z.number().int(),
    resolved: z.number().int(),
    /** Cases by their verdict (from their incidents' feedback: TP if any incident is, else BP, else FP). */
    truePositive: z.number().int(),
    benignPositive: z.number().int(),
    falsePositive: z.number().int(),
    unreviewed: z.number().int(),
    /** Median minutes from a case opening to its first acknowledgement (MTTA), and to its resolution (MTTR); null without any. */
    medianMinutesToAcknowledge: z.number().nullable(),
    medianMinutesToResolve: z.number().nullable(),
  })
  .strict();
export type CaseFigures = z.infer<typeof CaseFigures>;

export const CasesSection = z
  .object({
    total: CaseFigures,
    /** Per incident-response classification (`unclassified` until an analyst set one), most cases first. */
    byClassification: z.array(CaseFigures.extend({ classification: z.string() }).strict()),
  })
  .strict();
export type CasesSection = z.infer<typeof CasesSection>;

/** An obligation of a case first seen in the period (docs/obligations.md). */
export const ReportObligation = z
  .object({
    caseId: z.string(),
    name: z.string(),
    startedAt: z.iso.datetime(),
    dueAt: z.iso.datetime(),
    status: z.enum(['running', 'met', 'missed', 'waived']),
    /** Its due time passed before it was met (missed, or met late). */
    late: z.boolean(),
    doneBy: z.string().nullable(),
  })
  .strict();

/** A case of the period whose postmortem is required (postmortems.requiredFor) and not done yet. */
export const OpenPostmortem = z.object({ caseId: z.string(), firstSeen: z.iso.datetime(), title: z.string(), severity: z.string(), state: z.string() }).strict();

/** A drill run recorded in the period (docs/drills.md): never counted with the cases. */
export const ReportDrill = z.object({ name: z.string(), runAt: z.iso.datetime(), passed: z.boolean(), failures: z.number().int(), gaps: z.number().int() }).strict();

export const Report = z
  .object({
    /** The period, event time: incidents first seen and decisions' hours in [from, to]. */
    period: z.object({ from: z.iso.datetime(), to: z.iso.datetime(), days: z.number() }).strict(),
    minutesPerIncident: z.number(),
    top: z.number().int(),
    totals: z.object({ ...Decisions, passed: z.number().int(), ...Verdicts, ...Triage }).strict(),
    rules: z.array(RuleSection),
    days: z.array(DaySection),
    tuningChanges: z.array(ChangeSection),
    cases: CasesSection,
    /** The notification deadlines of the period's cases, the soonest due first (at most 100). */
    obligations: z.array(ReportObligation),
    /** The period's cases that need a postmortem not done yet: how many, and the oldest 100. */
    openPostmortems: z.object({ total: z.number().int(), cases: z.array(OpenPostmortem) }).strict(),
    /** Drill runs of the period (run time), newest first (at most 100). */
    drills: z.array(ReportDrill),
  })
  .strict();
export type Report = z.infer<typeof Report>;
