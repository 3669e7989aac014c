import { z } from 'zod';

/** The normalized severity scale, lowest first. Rules compare against these words. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

/**
 * The canonical alert: what every input format is normalized into, and what rule conditions see.
 * Each top-level field is a json-rules-engine fact by its name (`{fact: "severity"}`,
 * `{fact: "entities", path: "$.host"}`); docs/alert-schema.md documents every field.
 */
export const CanonicalAlert = z
  .object({
    /** Kept from the input when present; otherwise a deterministic hash of the raw line. */
    id: z.string().min(1).max(512),
    /** Event time, ISO-8601 UTC with milliseconds (`2026-11-20T10:00:00.000Z`). */
    time: z.string(),
    /** The detector that raised the alert: suricata, wazuh, crowdstrike, ... */
    source: z.string().min(1),
    /** Signature or title. */
    name: z.string().min(1),
    severity: Severity,
    /** The severity exactly as the detector gave it (word or number), before normalization. */
    severityOriginal: z.union([z.string(), z.number()]).nullable(),
    category: z.string(),
    /** Open record of entity kinds to values: host, src_ip, dst_ip, user, process, ... */
    entities: z.record(z.string(), z.string()),
    tags: z.array(z.string()),
    /** The original input object, untouched. */
    raw: z.unknown(),
  })
  .strict();
export type CanonicalAlert = z.infer<typeof CanonicalAlert>;

/** An alert after normalization, with its event time parsed once for the windowing stages. */
export interface NormalizedAlert {
  readonly alert: CanonicalAlert;
  /** Event time in epoch milliseconds. */
  readonly timeMs: number;
}

/** The names of the canonical alert's top-level fields: the facts every rule can read. */
export const ALERT_FACTS: readonly string[] = Object.keys(CanonicalAlert.shape);
