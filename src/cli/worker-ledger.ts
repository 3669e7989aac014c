import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import { parseLedgerLocation } from '../ledger/connect.js';
import { Ledger } from '../ledger/ledger.js';
import { LedgerRecorder } from '../ledger/recorder.js';
import { ruleVersionsOf } from '../ledger/rule-versions.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { AutoTuner } from '../tune/auto-tune.js';
import { TuningService } from '../tune/service.js';
import { withoutPassword } from './ledger-cli.js';
import { openWorkerCases, type WorkerCases } from './worker-cases.js';
import { UserError } from './setup.js';

/** What a worker (file or Kafka) needs from its `ledger` and `tuning` config, opened. */
export interface WorkerLedger {
  readonly ledger: Ledger;
  readonly recorder: LedgerRecorder;
  readonly tuning: TuningService;
  /** Escalation and delivery of the cases (docs/escalation.md). */
  readonly cases: WorkerCases;
  /** Records the versions of a rule set the worker decides with (at start and after each reload). */
  recordRules(ruleset: CompiledRuleSet): void;
  /** Auto-tune, on its schedule and on request (POST /tuning/auto/run). */
  readonly autoTune: AutoTuner;
  /** Starts the periodic auto-tune if `tuning.auto.enabled`; `onApplied` gets its author after a run that applied changes (to reload as); returns a function that stops it. */
  startAutoTune(onApplied: (actor: string) => void): () => void;
  /** Flushes the recorder and closes the ledger. */
  close(): Promise<void>;
}

/** Names the run's decision counts in the ledger; the Kafka worker counts each alert id once (LedgerRecorderOptions). */
export interface CountsSource {
  readonly name: string;
  readonly countEachAlertOnce?: boolean;
}

/**
 * Opens `ledger.url` with its recorder, and the cases' escalation and delivery to the configured
 * receivers (undefined without a url). `source` names the run's decision counts.
 */
export async function openWorkerLedger(
  config: Config,
  { name: source, countEachAlertOnce }: CountsSource,
  log: Logger,
  audit: AuditLog,
): Promise<WorkerLedger | undefined> {
  if (!config.ledger.url) {
    // The cases, the outbox and the escalation's state live in the ledger: without one nobody would be told, silently.
    if (config.escalation.file !== undefined) throw new UserError(`escalation.file (${config.escalation.file}) needs a ledger, where cases and their notifications are kept: set ledger.url (or ALERTGATE_LEDGER)`);
    return undefined;
  }
  let ledger: Ledger;
  try {
    ledger = await Ledger.open(parseLedgerLocation(config.ledger.url, config.ledger.schema));
  } catch (err) {
    throw new UserError(`ledger ${withoutPassword(config.ledger.url)}: ${(err as Error).message}`);
  }
  log.info({ ledger: ledger.describe(), source }, 'ledger open');
  let cases: WorkerCases;
  try {
    cases = await openWorkerCases(config, ledger, log, audit);
  } catch (err) {
    await ledger.close();
    throw err;
  }
  const recorder = new LedgerRecorder(ledger, {
    source,
    countEachAlertOnce,
    flushIntervalMs: config.ledger.flushIntervalMs,
    // New cases are escalated at once when there is someone to tell.
    escalate: cases.escalation !== undefined,
    onCaseChanges: cases.onCaseChanges,
  });
  const tuning = new TuningService({ rulesDir: config.rules, ledger, tuning: config.tuning, audit });
  const autoTune = new AutoTuner({ service: tuning, auto: config.tuning.auto, log, runs: ledger.autoTuneRuns });
  return {
    ledger,
    recorder,
    tuning,
    cases,
    recordRules(ruleset) {
      ledger.recordRuleVersions(ruleVersionsOf(ruleset)).catch((err: Error) => log.error({ err: err.message }, 'could not record rule versions in the ledger'));
    },
    autoTune,
    startAutoTune(onApplied) {
      return autoTune.start(onApplied);
    },
    async close() {
      try {
        await recorder.flush();
      } finally {
        await cases.close().catch((err: Error) => log.error({ err: err.message }, 'stopping delivery failed'));
        await ledger.close();
      }
    },
  };
}
