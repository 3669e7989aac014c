import { z } from 'zod';
import { VerdictCounts } from '../ledger/records.js';
import { SamplingEvidence } from './sampling.js';

/** One param of one rule, evaluated: the value the tuner would move it to (or why not), and the evidence. */
export const ParamEvaluation = z
  .object({
    param: z.string(),
    from: z.number(),
    /** The proposed value; null when there is no change to propose. */
    to: z.number().nullable(),
    /** What happens at `to` (at `from` when there is no proposal): over the incidents that `from` still opens. */
    falsePositiveRemoved: z.number().int(),
    falsePositiveTotal: z.number().int(),
    benignPositiveRemoved: z.number().int(),
    unreviewedRemoved: z.number().int(),
    truePositiveKept: z.number().int(),
    truePositiveTotal: z.number().int(),
    /** True positives the counterfactual cannot decide about (counted as not kept). */
    truePositiveUnknown: z.number().int(),
    recall: z.number(),
    incidentsPerDayBefore: z.number(),
    incidentsPerDayAfter: z.number(),
    /** Ids of the incidents the change removes. */
    removedIncidents: z.array(z.string()),
    /** Why there is no proposal, or what to know about it. */
    note: z.string().optional(),
  })
  .strict();
export type ParamEvaluation = z.infer<typeof ParamEvaluation>;

export const RuleReport = VerdictCounts.extend({
  ruleId: z.string(),
  version: z.number().int(),
  /** The rule's file, relative to the rules directory. */
  file: z.string(),
  incidentsPerDay: z.number(),
  params: z.array(ParamEvaluation),
  /** Why the rule is not tuned at all (too few verdicts, no tunable params). */
  note: z.string().optional(),
}).strict();
export type RuleReport = z.infer<typeof RuleReport>;

/**
 * What the whole-pipeline check found (docs/tuning.md, "Whole-pipeline check"): the alerts re-run with
 * every rule, before the change (with the changes accepted before it) and after it.
 */
export const PipelineEvidence = z
  .object({
    /** Incidents of every rule. */
    incidentsBefore: z.number().int(),
    incidentsAfter: z.number().int(),
    /** Incidents holding an alert of a false-positive incident and none of a true positive's. */
    falsePositiveBefore: z.number().int(),
    falsePositiveAfter: z.number().int(),
    /** Confirmed true positives that survive: one of their alerts is still promoted, by any rule. */
    truePositiveSurvived: z.number().int(),
    truePositiveTotal: z.number().int(),
  })
  .strict();
export type PipelineEvidence = z.infer<typeof PipelineEvidence>;

/**
 * Whether a proposal names this network's entities (hosts, addresses, users: `network-tied`, useless
 * elsewhere) or only signatures, detectors, ports and rule params (`carries-over` to another network).
 */
export const Portability = z.enum(['network-tied', 'carries-over']);
export type Portability = z.infer<typeof Portability>;

/** A change the tuner proposes: one param of one rule (the best one of that rule). */
export const Proposal = ParamEvaluation.extend({
  ruleId: z.string(),
  file: z.string(),
  version: z.number().int(),
  to: z.number(),
  /** A threshold names no entity: always carries-over. */
  portability: Portability,
  /** With --replay: what the change does across the whole pipeline. */
  pipeline: PipelineEvidence.optional(),
}).strict();
export type Proposal = z.infer<typeof Proposal>;

/**
 * A rule whose measured precision stays below `disableBelowPrecision`, proposed for `enabled: false`:
 * without --replay only when it has no confirmed true positive; with it, when every confirmed true
 * positive survives across the pipeline without it (another rule promotes some of its alerts).
 */
export const DisableProposal = VerdictCounts.extend({
  ruleId: z.string(),
  file: z.string(),
  version: z.number().int(),
  /** A rule names no entity: always carries-over. */
  portability: Portability,
  /** Why it is proposed, in a sentence. */
  reason: z.string(),
  /** With --replay: what disabling it does across the whole pipeline. */
  pipeline: PipelineEvidence.optional(),
}).strict();
export type DisableProposal = z.infer<typeof DisableProposal>;

/** A rule below the precision bound that is not proposed for disabling, and why. */
export const RefusedDisable = z.object({ ruleId: z.string(), precision: z.number().nullable(), reason: z.string(), pipeline: PipelineEvidence.optional() }).strict();
export type RefusedDisable = z.infer<typeof RefusedDisable>;

/**
 * Pipeline mode: two params of one rule moved together, when no single-param change of the rule was
 * accepted (an `any` of two thresholds: raising one alone removes nothing). Checked across the whole
 * pipeline; --apply writes it as two changes, one per param.
 */
export const JointProposal = z
  .object({
    ruleId: z.string(),
    file: z.string(),
    version: z.number().int(),
    changes: z.array(z.object({ param: z.string(), from: z.number(), to: z.number() }).strict()),
    /** Params only: always carries-over. */
    portability: Portability,
    pipeline: PipelineEvidence,
  })
  .strict();
export type JointProposal = z.infer<typeof JointProposal>;

/** Pipeline mode: a rule whose pairs of params were tried, none accepted. */
export const RefusedJoint = z
  .object({
    ruleId: z.string(),
    /** The value pairs run, in order: `[[param, value], [param, value]]` each. */
    tried: z.array(z.array(z.tuple([z.string(), z.number()]))),
    reason: z.string(),
    /** At the last pair tried. */
    pipeline: PipelineEvidence,
  })
  .strict();
export type RefusedJoint = z.infer<typeof RefusedJoint>;

/** Pipeline mode: a windowed rule's `window.size` shrunk (docs/tuning.md, "Window changes"). --apply writes it. */
export const WindowProposal = z
  .object({
    ruleId: z.string(),
    file: z.string(),
    version: z.number().int(),
    /** Durations as the rule file writes them (`10m` → `5m`). */
    from: z.string(),
    to: z.string(),
    /** A window names no entity: always carries-over. */
    portability: Portability,
    pipeline: PipelineEvidence,
  })
  .strict();
export type WindowProposal = z.infer<typeof WindowProposal>;

/** Pipeline mode: a windowed rule whose smaller windows were all refused. */
export const RefusedWindow = z.object({ ruleId: z.string(), from: z.string(), tried: z.array(z.string()), reason: z.string(), pipeline: PipelineEvidence }).strict();
export type RefusedWindow = z.infer<typeof RefusedWindow>;

/** A change the per-rule forecast found but the whole-pipeline check refused, at every value it tried. */
export const RefusedProposal = z
  .object({
    ruleId: z.string(),
    param: z.string(),
    from: z.number(),
    /** The values tried, in order. */
    tried: z.array(z.number()),
    reason: z.string(),
    /** At the last value tried. */
    pipeline: PipelineEvidence,
  })
  .strict();
export type RefusedProposal = z.infer<typeof RefusedProposal>;

export const ExceptionProposal = z
  .object({
    id: z.string(),
    /** The exception's match: every field given must fit (docs/rules.md, "Exceptions"). */
    match: z.object({ name: z.string().optional(), entities: z.record(z.string(), z.string()).optional() }).strict(),
    expires: z.iso.date(),
    /** network-tied when the match names a host, address, user or other entity of this network. */
    portability: Portability,
    falsePositiveIncidents: z.array(z.string()),
    rules: z.array(z.string()),
    /** The exception as a rule file, ready to review and commit. */
    yaml: z.string(),
    /**
     * What it was checked against: every alert of every true- and benign-positive incident. `alerts` whose
     * fields are known (none of them matches); `unknownAlerts` whose fields are not (without --replay only
     * each incident's opening alert is known) and whose incident's group key does not rule a match out:
     * the check is `complete` only when there are none.
     */
    guardCheck: z.object({ alerts: z.number().int(), unknownAlerts: z.number().int(), complete: z.boolean() }).strict(),
    /** With --replay: what it does across the whole pipeline, on top of the threshold changes and the exceptions before it. */
    pipeline: PipelineEvidence.optional(),
  })
  .strict();
export type ExceptionProposal = z.infer<typeof ExceptionProposal>;

/** An exception the tuner found but did not propose: it matches an alert of a true- or benign-positive incident, or the whole-pipeline check refused it. */
export const RefusedException = z
  .object({
    id: z.string(),
    match: ExceptionProposal.shape.match,
    portability: Portability,
    falsePositiveIncidents: z.array(z.string()),
    reason: z.string(),
    /** When the whole-pipeline check refused it. */
    pipeline: PipelineEvidence.optional(),
  })
  .strict();
export type RefusedException = z.infer<typeof RefusedException>;

/** Pipeline mode: routine signatures learned from the alerts and verdicts (docs/tuning.md, "Routine signatures"). */
export const RoutineProposal = z
  .object({
    /** Raised often, on many hosts, on many days, never by an alert of a confirmed true positive. */
    signatures: z.array(z.string()),
    /** As frequent, but among the alerts of a confirmed true positive: left out. */
    guarded: z.array(z.string()),
    /** Whether suppressing them passes the whole-pipeline check (false positives drop, no incident added, true positives survive). */
    accepted: z.boolean(),
    /** Why not, when not. */
    reason: z.string().optional(),
    /** Signatures only: always carries-over. */
    portability: Portability,
    pipeline: PipelineEvidence,
    /** The list as the signature-stream pack's routine.yaml (the named condition routine-signature). */
    yaml: z.string(),
  })
  .strict();
export type RoutineProposal = z.infer<typeof RoutineProposal>;

/** What `alertgate tune` prints (`--format json`) and GET /tuning/proposals answers. */
export const TuneReport = z
  .object({
    /** counterfactual: the per-rule forecast from the recorded facts alone; pipeline: each proposal also checked by re-running the alerts through the whole pipeline. */
    mode: z.enum(['counterfactual', 'pipeline']),
    period: z.object({ from: z.iso.datetime().nullable(), to: z.iso.datetime().nullable(), days: z.number() }).strict(),
    guardrails: z
      .object({ minRecall: z.number(), maxStep: z.string(), minVerdicts: z.number().int(), disableBelowPrecision: z.number() })
      .strict(),
    rules: z.array(RuleReport),
    proposals: z.array(Proposal),
    /** Pipeline mode: the forecast's proposals the whole-pipeline check refused. */
    refused: z.array(RefusedProposal),
    /** Pipeline mode: pairs of params of one rule changed together (docs/tuning.md, "Joint changes"). --apply writes them. */
    joint: z.array(JointProposal),
    /** Pipeline mode: rules whose pairs were tried and refused. */
    refusedJoint: z.array(RefusedJoint),
    /** Pipeline mode: windows shrunk (docs/tuning.md, "Window changes"). --apply writes them. */
    windows: z.array(WindowProposal),
    /** Pipeline mode: windowed rules whose smaller windows were refused. */
    refusedWindows: z.array(RefusedWindow),
    /** Rules to disable (`enabled: false`): precision below the bound, no confirmed true positive lost. --apply writes them. */
    disable: z.array(DisableProposal),
    /** Rules below the precision bound not proposed for disabling: the whole-pipeline check refused it, or (without --replay) they have confirmed true positives. */
    refusedDisable: z.array(RefusedDisable),
    /** Pipeline mode: the routine signatures found, or null (none, or no --replay). Printed, never applied. */
    routine: RoutineProposal.nullable(),
    exceptions: z.array(ExceptionProposal),
    /** The reviewed share per rule and, per proposal, its false positives removed per day as confirmed, estimated from the sample and at most (the tuning service adds it). */
    sampling: SamplingEvidence.optional(),
    /** Exceptions found in false positives but refused: they match an alert of a true- or benign-positive incident, or fail the whole-pipeline check. */
    refusedExceptions: z.array(RefusedException),
    /**
     * Pipeline mode: the runs of the whole pipeline the checks made (docs/tuning.md, "Cost"): `whole`, every
     * stage and window run (the first, recorded, and any the record could not decide), and `fromRecord`,
     * decided from the first run's record. Reports written before it have none.
     */
    runs: z.object({ whole: z.number().int().nonnegative(), fromRecord: z.number().int().nonnegative() }).strict().optional(),
  })
  .strict();
export type TuneReport = z.infer<typeof TuneReport>;
