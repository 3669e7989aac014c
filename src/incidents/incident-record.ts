import { z } from 'zod';

export const INCIDENT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const IncidentSeverity = z.enum(INCIDENT_SEVERITIES);
export type IncidentSeverity = z.infer<typeof IncidentSeverity>;

/** Default for how many alert ids an incident lists; alertCount keeps counting past it. */
export const DEFAULT_MAX_ALERT_IDS = 100;

/** One incident as written to sinks: alerts of one rule and one group, close together in event time. */
export const IncidentRecord = z
  .object({
    /** Deterministic: see incidentId(). */
    id: z.string().regex(/^inc-[0-9a-f]{24}$/),
    ruleId: z.string().min(1),
    ruleVersion: z.number().int().min(1),
    /** Rendered from the rule's title template with the alert that opened the incident. */
    title: z.string(),
    severity: IncidentSeverity,
    category: z.string(),
    /** Grouping field path → value, e.g. `{"entities.host": "web-1"}`. */
    groupKey: z.record(z.string(), z.string()),
    /** Event time of the earliest alert (ISO-8601 UTC). */
    firstSeen: z.iso.datetime(),
    /** Event time of the latest alert (ISO-8601 UTC). */
    lastSeen: z.iso.datetime(),
    alertCount: z.number().int().min(1),
    /** The first maxAlertIds alert ids, in the order they were recorded (not by event time). */
    alertIds: z.array(z.string()),
    /** True when alertCount exceeds the ids listed. */
    alertIdsTruncated: z.boolean(),
    status: z.enum(['open', 'closed']),
    /**
     * The opening rule's aggregates (its thresholded facts): the value at the alert that opened the
     * incident and the highest value at any of its alerts. What a counterfactual needs: with a higher
     * `>=` threshold, an incident whose peak stays below it would not have opened (docs/tuning.md).
     */
    facts: z.record(z.string(), z.object({ opened: z.number(), peak: z.number() }).strict()),
    /**
     * The case the incident belongs to (docs/cases.md): incidents of different rules that share an entity
     * within the merge window are one case. Set by the pipeline when the incident opens; absent in
     * records written before cases existed.
     */
    caseId: z.string().regex(/^case-[0-9a-f]{24}$/).optional(),
    /**
     * Present when alertIdsTruncated: how many ids an incident lists (incidents.maxAlertIds, replay
     * --max-alert-ids), so a reader of the record alone knows the list stops there. Last, because it is
     * added to a record when it first overflows.
     */
    alertIdsLimit: z.number().int().nonnegative().optional(),
  })
  .strict();
export type IncidentRecord = z.infer<typeof IncidentRecord>;

/** A live, read-only view of an incident held by the tracker: it changes as alerts join and when it closes. */
export type IncidentView = Readonly<Omit<IncidentRecord, 'groupKey' | 'alertIds' | 'facts'>> & {
  readonly groupKey: Readonly<Record<string, string>>;
  readonly alertIds: readonly string[];
  readonly facts: Readonly<Record<string, Readonly<{ opened: number; peak: number }>>>;
};
