import { z } from 'zod';

export const OBLIGATION_STATUSES = ['running', 'met', 'missed', 'waived'] as const;
export const ObligationState = z.enum(OBLIGATION_STATUSES);
export type ObligationState = z.infer<typeof ObligationState>;

/** One obligation of a case, as the CLI, the API and the report show it (docs/obligations.md). */
export const ObligationStatus = z
  .object({
    caseId: z.string(),
    name: z.string(),
    title: z.string(),
    /** What started its clock: `flagged personal-data`. */
    trigger: z.string(),
    /** Receivers told when it started, reminded, and told if it is missed. */
    notify: z.array(z.string()),
    startedAt: z.iso.datetime(),
    dueAt: z.iso.datetime(),
    /** running until met, waived or its due time passes (missed). */
    status: ObligationState,
    /** It passed its due time unmet (a missed one, or met late). */
    late: z.boolean(),
    remindersSent: z.number().int(),
    /** The next reminder (running only). */
    nextReminderAt: z.iso.datetime().nullable(),
    /** met or waived: when, who (`cli:<user>`, `api:<token>`), and the note or reason. */
    doneAt: z.iso.datetime().nullable(),
    doneBy: z.string().nullable(),
    note: z.string().nullable(),
  })
  .strict();
export type ObligationStatus = z.infer<typeof ObligationStatus>;
