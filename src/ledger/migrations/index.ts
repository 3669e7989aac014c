import type { Migration, MigrationProvider } from 'kysely';
import { init } from './0001-init.js';
import { cases } from './0002-cases.js';
import { obligations } from './0003-obligations.js';
import { countedAlerts } from './0004-counted-alerts.js';
import { autoTuneRuns } from './0005-auto-tune-runs.js';

/**
 * Every migration, by name, applied in name order when a ledger opens. Append new ones (0002-…);
 * never edit one that has shipped: ledgers in the field have already run it.
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-init': init,
  '0002-cases': cases,
  '0003-obligations': obligations,
  '0004-counted-alerts': countedAlerts,
  '0005-auto-tune-runs': autoTuneRuns,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...MIGRATIONS }),
};
