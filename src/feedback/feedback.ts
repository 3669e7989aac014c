import { z } from 'zod';
import type { FeedbackAudit } from '../audit/audit-log.js';
import { storable } from '../ledger/storable-text.js';

/**
 * An analyst's verdict on an incident, in Microsoft Sentinel's classification: a true positive is
 * malicious activity, a benign positive is real but expected activity (a pentest, an admin's script),
 * a false positive is the detection being wrong.
 */
export const VERDICTS = ['true_positive', 'benign_positive', 'false_positive'] as const;
export const Verdict = z.enum(VERDICTS);
export type Verdict = z.infer<typeof Verdict>;

/** The short forms, as analysts type them and ticket-system exports and pipelines often write them. */
const VERDICT_ALIASES = { tp: 'true_positive', bp: 'benign_positive', fp: 'false_positive' } as const satisfies Record<string, Verdict>;
type VerdictAlias = keyof typeof VERDICT_ALIASES;
const VERDICT_SPELLINGS = [...VERDICTS, ...(Object.keys(VERDICT_ALIASES) as VerdictAlias[])];
const isAlias = (text: string): text is VerdictAlias => Object.hasOwn(VERDICT_ALIASES, text);

/**
 * A verdict as it is given: the full form or its short form (tp, bp, fp), read as the full form. The
 * one schema of a given verdict: `--verdict`, the API's feedback body, import files and the Kafka
 * feedback topic all accept the same spellings, and a wrong one is told all of them.
 */
export const VerdictInput = z
  .enum(VERDICT_SPELLINGS, {
    error: (issue) => `expected one of ${VERDICT_SPELLINGS.join(', ')}${issue.input === undefined ? '' : `, got ${JSON.stringify(issue.input)}`}`,
  })
  .transform((text): Verdict => (isAlias(text) ? VERDICT_ALIASES[text] : text));

const nonBlank = (max: number) => storable(z.string().max(max).regex(/\S/, 'must not be blank'));

/**
 * What the verdict is about, when the analyst names it: an entity kind of the alerts (`host`,
 * `src_ip`, `user`, ...) and its value, or `name` for the signature. The tuner's exception proposals
 * read it (docs/tuning.md).
 */
export const EntityRef = z
  .object({
    kind: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an entity kind such as host, src_ip or user, or name for the signature').max(64),
    value: storable(z.string().min(1).max(512)),
  })
  .strict();
export type EntityRef = z.infer<typeof EntityRef>;

/** `POST /incidents/:id/feedback` body. */
export const FeedbackBody = z
  .object({
    verdict: VerdictInput,
    /** Why: what the analyst found. Part of the feedback's identity (the same verdict with the same reason twice is one record). */
    reason: nonBlank(4000),
    /** Who gave the verdict. */
    analyst: nonBlank(200),
    entity: EntityRef.optional(),
    /**
     * When the verdict was given (ISO-8601 with offset), e.g. from a ticket system's export; default: when
     * it is received. The latest verdict by this time is an incident's current one. When given, it is part
     * of the feedback's identity.
     */
    at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type FeedbackBody = z.infer<typeof FeedbackBody>;

/** One line of `alertgate feedback import`, and one message of the Kafka feedback topic: a body plus its incident. */
export const FeedbackLine = FeedbackBody.extend({ incidentId: storable(z.string().min(1).max(200)) }).strict();
export type FeedbackLine = z.infer<typeof FeedbackLine>;

/** A recorded verdict, as the ledger keeps it (history included). */
export const FeedbackRecord = z
  .object({
    /** `fb-` + a hash of the incident, verdict, reason, analyst, entity and (when given) at: the same feedback always has the same id. */
    id: z.string(),
    incidentId: z.string(),
    verdict: Verdict,
    reason: z.string(),
    analyst: z.string(),
    entity: EntityRef.optional(),
    /** When the verdict was given (ISO-8601 UTC). */
    at: z.iso.datetime(),
    /** Where it came from: `api:<token name>`, `cli`, `import:<file>`, `kafka:<topic>`. */
    source: z.string(),
    /** When the ledger recorded it (ISO-8601 UTC). */
    recordedAt: z.iso.datetime(),
  })
  .strict();
export type FeedbackRecord = z.infer<typeof FeedbackRecord>;

/** What recording one feedback did, for a known incident. */
export const FeedbackOutcome = z
  .object({
    /** created: a new record; duplicate: this exact feedback was already recorded (nothing changed). */
    status: z.enum(['created', 'duplicate']),
    /** The rule that opened the incident. */
    ruleId: z.string(),
    /** The incident's current verdict before this call (null: it had none). */
    previousVerdict: Verdict.nullable(),
    feedback: FeedbackRecord,
    /** The incident's current verdict after this call (the latest by `at`). */
    current: FeedbackRecord,
    /** The verdict this one replaced as current, if it did. */
    superseded: FeedbackRecord.optional(),
  })
  .strict();
export type FeedbackOutcome = z.infer<typeof FeedbackOutcome>;

export type FeedbackResult = FeedbackOutcome | { readonly status: 'not_found'; readonly incidentId: string };

/** The audit record of a recorded verdict (docs/logging.md); `actor`: who gave it (a token's name, `kafka:<topic>`). */
export function feedbackAuditOf(outcome: FeedbackOutcome, actor: string): FeedbackAudit {
  const { feedback } = outcome;
  return {
    actor,
    incidentId: feedback.incidentId,
    ruleId: outcome.ruleId,
    verdict: feedback.verdict,
    previousVerdict: outcome.previousVerdict,
    note: `${feedback.analyst}: ${feedback.reason}${outcome.current.id === feedback.id ? '' : ` (kept in the history: a later verdict, ${outcome.current.verdict}, stays current)`}`,
  };
}
