import { z } from 'zod';

/** The normalized severity scale, lowest first. Rules compare against these words. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

declare global {
  interface String {
    /** ES2024, in Node since 20.0 (engines: >=20): false when the string holds a lone UTF-16 surrogate. */
    isWellFormed(): boolean;
  }
}

/** The longest alert id, in UTF-16 code units. */
export const MAX_ALERT_ID_CHARS = 512;

/**
 * Why a string cannot be an alert id, or undefined. Besides its length: it must be well-formed
 * Unicode. An id is the key of its decision on Kafka and a line of UTF-8 output; a lone surrogate
 * becomes U+FFFD on the way, so `lone-\ud800` and `lone-\udbff` would share one key and a consumer
 * keeping the last record per key would lose a decision.
 */
export function alertIdProblem(id: string): string | undefined {
  if (id.length === 0 || id.length > MAX_ALERT_ID_CHARS) return `an id must have 1 to ${MAX_ALERT_ID_CHARS} characters, this one has ${id.length}`;
  if (id.isWellFormed()) return undefined;
  const at = id.search(/\p{Surrogate}/u);
  return (
    `an id must be well-formed Unicode, and this one has a lone UTF-16 surrogate (\\u${id.charCodeAt(at).toString(16)} at character ${at + 1}), ` +
    'which UTF-8 and Kafka keys cannot carry: fix the encoding where the alert is produced, or leave the id out to have one derived from the line'
  );
}

/** An alert id: alertIdProblem's rules (the length as zod checks, so the published JSON Schema shows it). */
const AlertId = z
  .string()
  .min(1)
  .max(MAX_ALERT_ID_CHARS)
  .superRefine((id, ctx) => {
    if (id.length === 0 || id.length > MAX_ALERT_ID_CHARS) return;
    const problem = alertIdProblem(id);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * The canonical alert: what every input format is normalized into, and what rule conditions see.
 * Each top-level field is a json-rules-engine fact by its name (`{fact: "severity"}`,
 * `{fact: "entities", path: "$.host"}`); docs/alert-schema.md documents every field.
 */
export const CanonicalAlert = z
  .object({
    /** Kept from the input when present (1 to 512 characters, well-formed Unicode); otherwise a deterministic hash of the raw line. */
    id: AlertId,
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
