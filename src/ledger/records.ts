import { z } from 'zod';
import { Explanation, type DecisionKind } from '../decide/decision-record.js';
import { EntityRef, FeedbackRecord, Verdict } from '../feedback/feedback.js';
import { IncidentRecord } from '../incidents/index.js';

/** What the ledger keeps of the alert that opened an incident (the alert itself is not stored). */
export const OpeningAlert = z
  .object({
    name: z.string(),
    source: z.string(),
    severity: z.string(),
    entities: z.record(z.string(), z.string()),
    /** Its tags (escalation may match on them); absent in openings recorded before cases. */
    tags: z.array(z.string()).optional(),
  })
  .strict();
export type OpeningAlert = z.infer<typeof OpeningAlert>;

/** One incident as the ledger knows it: the record, why it opened, and the analysts' verdicts. */
export const LedgerIncident = z
  .object({
    incident: IncidentRecord,
    /** The current verdict (the latest feedback by time), or null while unreviewed. */
    verdict: Verdict.nullable(),
    /** The decision of the alert that opened it (absent when the ledger did not see it open). */
    opening: z
      .object({
        alertId: z.string(),
        alert: OpeningAlert,
        explanation: Explanation,
      })
      .strict()
      .optional(),
    /** Every verdict given, oldest first; the last is not necessarily current (a verdict can be back-dated). */
    feedback: z.array(FeedbackRecord),
  })
  .strict();
export type LedgerIncident = z.infer<typeof LedgerIncident>;

/** What the tuner reads of an incident. */
export interface TuningIncident {
  readonly record: IncidentRecord;
  readonly verdict: Verdict | null;
  /** The entity the current verdict names, if any. */
  readonly entity: EntityRef | undefined;
  readonly openingAlert: OpeningAlert | undefined;
}

/**
 * What a report reads of an incident: its columns and the group key, not the whole record (its alert
 * ids and facts are what makes a record big, and what makes validating it slow).
 */
export interface ReportIncident {
  readonly ruleId: string;
  /** When its first alert was (event time, epoch ms). */
  readonly firstSeenMs: number;
  readonly alertCount: number;
  readonly groupKey: IncidentRecord['groupKey'];
  readonly verdict: Verdict | null;
  readonly openingAlert: OpeningAlert | undefined;
  /** When the first verdict on it was given (epoch ms), undefined while unreviewed. */
  readonly firstFeedbackMs: number | undefined;
}

const HOUR_MS = 3_600_000;

/** The decision-count bucket an event time falls in: the start of its hour (epoch ms). */
export function hourBucketMs(timeMs: number): number {
  return Math.floor(timeMs / HOUR_MS) * HOUR_MS;
}

/** The last millisecond of a decision-count bucket: as close as the ledger knows the time of its newest decision. */
export function hourBucketEndMs(bucketMs: number): number {
  return bucketMs + HOUR_MS - 1;
}

/** Decisions of one rule ('' for pass and duplicate) in one event-time hour (hourBucketMs), over every source. */
export interface DecisionCount {
  readonly ruleId: string;
  readonly decision: DecisionKind;
  /** Start of the hour (epoch ms). */
  readonly bucketMs: number;
  readonly count: number;
}

/** A threshold change the tuner applied (or an engineer through it), and its revert. */
export const TuningChange = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    file: z.string(),
    param: z.string(),
    from: z.number(),
    to: z.number(),
    versionBefore: z.number().int(),
    versionAfter: z.number().int(),
    beforeText: z.string(),
    afterText: z.string(),
    author: z.string(),
    reason: z.string(),
    evidence: z.record(z.string(), z.unknown()),
    appliedAt: z.iso.datetime(),
    reverted: z.object({ at: z.iso.datetime(), by: z.string(), reason: z.string() }).strict().nullable(),
  })
  .strict();
export type TuningChange = z.infer<typeof TuningChange>;

/** A rule's incidents by current verdict. */
export const VerdictCounts = z
  .object({
    incidents: z.number().int(),
    truePositive: z.number().int(),
    benignPositive: z.number().int(),
    falsePositive: z.number().int(),
    unreviewed: z.number().int(),
    /** TP / (TP + FP); null without a TP or FP verdict. */
    precision: z.number().nullable(),
  })
  .strict();

export type VerdictCounts = z.infer<typeof VerdictCounts>;

/** Incidents counted by their current verdict, one at a time (reports fold a period's incidents into it). */
export class VerdictTally {
  incidents = 0;
  truePositive = 0;
  benignPositive = 0;
  falsePositive = 0;
  unreviewed = 0;

  add(verdict: Verdict | null): void {
    this.incidents++;
    if (verdict === 'true_positive') this.truePositive++;
    else if (verdict === 'benign_positive') this.benignPositive++;
    else if (verdict === 'false_positive') this.falsePositive++;
    else this.unreviewed++;
  }

  /** The counts; precision to 4 decimals. */
  counts(): VerdictCounts {
    const { incidents, truePositive: tp, benignPositive, falsePositive: fp, unreviewed } = this;
    return {
      incidents,
      truePositive: tp,
      benignPositive,
      falsePositive: fp,
      unreviewed,
      precision: tp + fp > 0 ? Math.round((tp / (tp + fp)) * 10_000) / 10_000 : null,
    };
  }
}

/** Incidents counted by their current verdict; precision to 4 decimals. */
export function verdictCountsOf(incidents: readonly { readonly verdict: Verdict | null }[]): VerdictCounts {
  const tally = new VerdictTally();
  for (const incident of incidents) tally.add(incident.verdict);
  return tally.counts();
}

/** A rule's record in the ledger over a period. */
export const RuleStats = VerdictCounts.extend({
  ruleId: z.string(),
  /** Event time of the first and last incident in the period (ISO), null without incidents. */
  firstSeen: z.iso.datetime().nullable(),
  lastSeen: z.iso.datetime().nullable(),
  /** Decisions by this rule per event-time day (UTC): promote and suppress counts. */
  decisionsByDay: z.array(z.object({ day: z.iso.date(), promote: z.number().int(), suppress: z.number().int() }).strict()),
  tuningChanges: z.array(TuningChange.omit({ beforeText: true, afterText: true })),
}).strict();
export type RuleStats = z.infer<typeof RuleStats>;
