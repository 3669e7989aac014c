import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** One phase of an attack: a step of the kill chain (scan, exploitation, escalation, ...). */
export const LabelledPhase = z
  .object({
    id: z.string().min(1),
    title: z.string(),
    /** How many attack-caused alerts the phase has in the file (informative: the score counts them from attackAlerts). */
    alerts: z.number().int().nonnegative(),
  })
  .passthrough();

export const LabelledAttack = z
  .object({
    id: z.string().min(1),
    title: z.string(),
    phases: z.array(LabelledPhase),
  })
  .passthrough();

/**
 * The ground truth of an alerts file (`alertgate eval --labels`; scripts/eval-data.mjs writes it):
 * the period it covers, its attacks and their phases, and for each attack-caused alert (by id) its
 * phase. Every other alert is not attack-caused.
 */
export const EvalLabels = z
  .object({
    /** The period the alerts cover (ISO-8601): incidents per day divide by it. */
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    attacks: z.array(LabelledAttack),
    /** Alert id → phase id. */
    attackAlerts: z.record(z.string(), z.string()),
  })
  .passthrough()
  .superRefine((labels, ctx) => {
    const phases = new Set(labels.attacks.flatMap((a) => a.phases.map((p) => p.id)));
    if (Date.parse(labels.to) <= Date.parse(labels.from)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    for (const [alertId, phase] of Object.entries(labels.attackAlerts)) {
      if (!phases.has(phase)) {
        ctx.addIssue({ code: 'custom', path: ['attackAlerts', alertId], message: `names phase "${phase}", which no attack lists` });
        return;
      }
    }
  });
export type EvalLabels = z.infer<typeof EvalLabels>;

/** Reads and checks a labels file; a problem names the file and the JSON pointer. */
export async function readLabels(file: string): Promise<EvalLabels> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  const parsed = EvalLabels.safeParse(value);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `${file}: /${i.path.join('/')}: ${i.message}`).join('\n'));
  }
  return parsed.data;
}
