import { existsSync } from 'node:fs';
import { LedgerLocationError, parseLedgerLocation } from '../ledger/connect.js';
import { Ledger } from '../ledger/ledger.js';
import { LedgerRecorder } from '../ledger/recorder.js';
import { ruleVersionsOf } from '../ledger/rule-versions.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { UserError } from './setup.js';

/** A PostgreSQL URL without its password, for messages. */
export function withoutPassword(location: string): string {
  return location.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}

/**
 * Opens the ledger named on the command line; a bad location or an unreachable database is the user's
 * to fix (exit 1). `existing`: a SQLite file that is not there is an error rather than a new, empty ledger
 * (for commands that only read).
 */
export async function openLedger(db: string, schema?: string, options: { existing?: boolean } = {}): Promise<Ledger> {
  try {
    const location = parseLedgerLocation(db, schema);
    if (options.existing && location.backend === 'sqlite' && location.path !== ':memory:' && !existsSync(location.path)) {
      throw new UserError(`--db ${db}: no such ledger file (record one with alertgate replay --db or run --config with ledger.url)`);
    }
    return await Ledger.open(location);
  } catch (err) {
    if (err instanceof UserError) throw err;
    if (err instanceof LedgerLocationError) throw new UserError(`--db: ${err.message}`);
    throw new UserError(`ledger ${withoutPassword(db)}: ${(err as Error).message}`);
  }
}

/**
 * Starts recording a run: the run's earlier decision counts under `source` are dropped (a replay of
 * the same input replaces them) and the rule versions are recorded.
 */
export async function startRecording(ledger: Ledger, ruleset: CompiledRuleSet, source: string): Promise<LedgerRecorder> {
  await ledger.resetDecisionCounts(source);
  await ledger.recordRuleVersions(ruleVersionsOf(ruleset));
  return new LedgerRecorder(ledger, { source });
}
