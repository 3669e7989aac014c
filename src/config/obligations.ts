import { z } from 'zod';
import { INCIDENT_SEVERITIES } from '../incidents/index.js';

/** The `obligations` section: the obligations file (docs/obligations.md). Without it, no deadline clock runs. */
export const ObligationsConfig = z
  .object({
    file: z.string().min(1).optional(),
  })
  .strict();
export type ObligationsConfig = z.infer<typeof ObligationsConfig>;

/** The `postmortems` section (docs/postmortems.md): cases of these severities close only once their postmortem is done. */
export const PostmortemsConfig = z
  .object({
    requiredFor: z.array(z.enum(INCIDENT_SEVERITIES)).default(['high', 'critical']),
  })
  .strict();
export type PostmortemsConfig = z.infer<typeof PostmortemsConfig>;

export const POSTMORTEMS_DEFAULTS: PostmortemsConfig = PostmortemsConfig.parse({});
