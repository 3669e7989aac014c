import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import type { Config } from '../config/schema.js';
import { parseLedgerLocation } from '../ledger/connect.js';
import { Ledger } from '../ledger/ledger.js';
import { LedgerRecorder } from '../ledger/recorder.js';
import { ruleVersionsOf } from '../ledger/rule-versions.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { parseDuration } from '../state/index.js';
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
  /** Starts the periodic auto-tune if `tuning.auto.enabled`; `onApplied` gets its author (to reload as); returns a function that stops it. */
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
  return {
    ledger,
    recorder,
    tuning,
    cases,
    recordRules(ruleset) {
      ledger.recordRuleVersions(ruleVersionsOf(ruleset)).catch((err: Error) => log.error({ err: err.message }, 'could not record rule versions in the ledger'));
    },
    startAutoTune(onApplied) {
      const auto = config.tuning.auto;
      if (!auto.enabled) return () => {};
      const timer = setInterval(() => {
        tuning
          .apply({ author: auto.author })
          .then(({ changes }) => {
            for (const c of changes) log.info({ change: c.id, rule: c.ruleId, param: c.param, from: c.from, to: c.to }, 'auto-tune applied a change');
            if (changes.length > 0) onApplied(auto.author);
          })
          .catch((err: Error) => log.error({ err: err.message }, 'auto-tune failed'));
      }, parseDuration(auto.every));
      timer.unref();
      log.info({ every: auto.every, author: auto.author }, 'auto-tune on');
      return () => clearInterval(timer);
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
