import { z } from 'zod';

/** full: every decision carries its whole explanation; compact: promotions do, the others say only who decided. */
export const EXPLANATION_DETAILS = ['full', 'compact'] as const;

/**
 * The `outputs` keys of how much each decision explains (docs/outputs.md, "Compact explanations").
 * The same keys drive `run`, the Kafka worker and `replay --explanations`.
 */
export const EXPLANATION_FIELDS = {
  /** compact: suppress and pass decisions leave out their trace (conditions, window, aggregates, near misses). */
  explanations: z.enum(EXPLANATION_DETAILS).default('full'),
  /** compact: this share (0 to 1) of the alerts, chosen by a hash of the alert id, keep the full explanation. */
  explanationSample: z.number().min(0).max(1).default(0),
  /** compact: decisions by these rules, and passes they nearly fired on, keep the full explanation. */
  explainRules: z.array(z.string().min(1)).default([]),
};

export const ExplanationsConfig = z.object(EXPLANATION_FIELDS).strict();
export type ExplanationsConfig = z.infer<typeof ExplanationsConfig>;

export const FULL_EXPLANATIONS: ExplanationsConfig = ExplanationsConfig.parse({});

/** The `explainRules` that name no rule of the set (a misspelt id would silently explain nothing in full). */
export function unknownExplainRules(config: ExplanationsConfig, ruleIds: ReadonlySet<string>): string[] {
  return config.explainRules.filter((id) => !ruleIds.has(id));
}
