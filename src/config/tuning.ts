import { z } from 'zod';
import { MAX_PERIOD } from '../ledger/since.js';
import { Duration, durationSchema } from '../rules/schema.js';

/** `50%`: a share of the current value. */
export const Percent = z.string().regex(/^\d+(\.\d+)?%$/, 'expected a percentage such as 50%');

export const AutoTuneMode = z.enum(['dry-run', 'apply']);
export type AutoTuneMode = z.infer<typeof AutoTuneMode>;
/** A rule whose measured precision stays below this (with minVerdicts verdicts) is proposed for disabling. */
export const DISABLE_BELOW_PRECISION = 0.05;

/** The `tuning` section: the tuner's guardrails and the worker's optional auto-tune (docs/tuning.md). */
export const TuningConfig = z
  .object({
    /** Verdicts (TP, BP or FP) a rule needs before the tuner changes it. */
    minVerdicts: z.number().int().min(1).default(5),
    /** The most a param moves in one apply, as a share of its current value. */
    maxStep: Percent.default('50%'),
    /** Share of confirmed true positives a change must keep; 1 keeps every one. */
    minRecall: z.number().min(0).max(1).default(1),
    /** Propose disabling a rule whose precision TP / (TP + FP) is below this, when no confirmed true positive is lost (docs/tuning.md, "Disabling a rule"); 0: never. */
    disableBelowPrecision: z.number().min(0).max(1).default(DISABLE_BELOW_PRECISION),
    /** How far back (event time, before the newest incident) the tuner reads the ledger; at most MAX_PERIOD, as every `since`. */
    since: durationSchema(MAX_PERIOD).default('30d'),
    /** Where applied and reverted changes are logged; default CHANGELOG.md in the rules directory. */
    changelog: z.string().min(1).optional(),
    exceptions: z
      .object({
        /** An entity or signature is proposed for an exception once it is in this many false-positive incidents (and in no TP or BP one). */
        minIncidents: z.number().int().min(1).default(3),
        /** A proposed exception's lifetime. */
        expiresAfter: Duration.default('30d'),
      })
      .strict()
      .default({ minIncidents: 3, expiresAfter: '30d' }),
    auto: z
      .object({
        /** Let the worker apply the tuner's proposals itself, with the same guardrails. */
        enabled: z.boolean().default(false),
        /** How often (wall clock). At most 24d: a timer cannot wait longer (Node fires a longer one after 1 ms). */
        every: durationSchema('24d').default('1d'),
        /** The author recorded for its changes. */
        author: z.string().min(1).default('alertgate-auto-tune'),
        /** dry-run: each run reports what it would apply (log, GET /tuning/auto/last) and writes nothing; apply: it writes. */
        mode: AutoTuneMode.default('dry-run'),
        /** The most a param moves in 24 hours (wall clock), all changes together, as a share of its value before them. */
        maxChangePerDay: Percent.default('50%'),
        /** Per rule and param, a value auto-tune never moves a param past (from the side it is on); people can. */
        floors: z.record(z.string().min(1), z.record(z.string().min(1), z.number())).default({}),
      })
      .strict()
      .default({ enabled: false, every: '1d', author: 'alertgate-auto-tune', mode: 'dry-run', maxChangePerDay: '50%', floors: {} }),
  })
  .strict();
export type TuningConfig = z.infer<typeof TuningConfig>;
