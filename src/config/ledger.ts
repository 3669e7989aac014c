import { z } from 'zod';
import { timerMs } from './timer-ms.js';

/**
 * The `ledger` section: where decisions, incidents, feedback and tuning changes are recorded
 * (docs/ledger.md). Without `url` nothing is recorded.
 */
export const LedgerConfig = z
  .object({
    /** A SQLite file path (the embedded default) or a `postgres://` URL (several workers). */
    url: z.string().min(1).optional(),
    /** PostgreSQL only: the schema holding the tables (created if missing). */
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'use lowercase letters, digits and "_", starting with a letter or "_"')
      .optional(),
    /** A worker writes what it buffered at least this often (and at the end of its input). */
    flushIntervalMs: timerMs(1000),
  })
  .strict();
export type LedgerConfig = z.infer<typeof LedgerConfig>;
