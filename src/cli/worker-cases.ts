import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AuditLog } from '../audit/audit-log.js';
import { delivererSettingsOf } from '../config/delivery.js';
import type { Config } from '../config/schema.js';
import { Deliverer } from '../delivery/deliverer.js';
import { Dispatcher } from '../delivery/dispatcher.js';
import { Escalator } from '../escalation/escalator.js';
import { loadEscalation, type EscalationPolicy } from '../escalation/load.js';
import { ObligationKeeper } from '../obligations/keeper.js';
import { loadObligations, type ObligationPolicy } from '../obligations/load.js';
import { caseAuditOf, type CaseChange } from '../ledger/case-store.js';
import type { Ledger } from '../ledger/ledger.js';
import { createReceivers } from '../receivers/config.js';
import type { Receiver } from '../receivers/receiver.js';
import { formatProblem } from '../rules/problems.js';
import { parseDuration } from '../state/index.js';
import { UserError } from './setup.js';

/** How far ahead settle() waits for a notification to fall due (a rate limit's wait, a quick retry). */
const SETTLE_WAIT_MS = 5_000;

/** A worker's escalation and delivery (docs/escalation.md): who is told, sent from the outbox by the lease holder. */
export interface WorkerCases {
  readonly escalation: EscalationPolicy | undefined;
  readonly dispatcher: Dispatcher;
  /** The configured receivers by name (each writing to the capture file with receivers.capture). */
  readonly receivers: ReadonlyMap<string, Receiver>;
  /** For the recorder and the API: audits case events and wakes the dispatcher. */
  onCaseChanges(changes: readonly CaseChange[]): void;
  /**
   * At the end of a file's input, before printing who was told: escalates what is due and sends until
   * nothing is due within a few seconds (rate limits hold some back that long), at most `maxMs`.
   */
  settle(maxMs?: number): Promise<void>;
  /** Stops the dispatcher (the lease is given up) and closes the receivers. */
  close(): Promise<void>;
}

/**
 * Opens escalation and delivery for a worker with a ledger: loads `escalation.file` (located errors stop
 * the worker before it reads input), builds the receivers of `receivers.named` (each a capture of what it
 * would send with `receivers.capture`: a dry run), checks that every receiver the file names is one of
 * them (the config's schema checks delivery.fallback), and starts the dispatcher.
 */
export async function openWorkerCases(
  config: Config,
  ledger: Ledger,
  log: Logger,
  audit: AuditLog,
  options: { readonly now?: () => number } = {},
): Promise<WorkerCases> {
  const now = options.now ?? Date.now;
  let escalation: EscalationPolicy | undefined;
  if (config.escalation.file !== undefined) {
    const loaded = await loadEscalation(config.escalation.file);
    if (!loaded.ok) throw new UserError(`invalid escalation file ${config.escalation.file}:\n${loaded.problems.map(formatProblem).join('\n')}`);
    escalation = loaded.policy;
  }
  let obligations: ObligationPolicy | undefined;
  if (config.obligations.file !== undefined) {
    const loaded = await loadObligations(config.obligations.file);
    if (!loaded.ok) throw new UserError(`invalid obligations file ${config.obligations.file}:\n${loaded.problems.map(formatProblem).join('\n')}`);
    obligations = loaded.policy;
  }
  const delivery = config.delivery;
  const capture = config.receivers.capture;
  const named = [...new Set([...(escalation?.receivers ?? []), ...(obligations?.receivers ?? [])])].sort();
  const missing = named.filter((name) => config.receivers.named[name] === undefined);
  if (missing.length > 0) {
    throw new UserError(
      `receivers named by ${[config.escalation.file, config.obligations.file].filter((f) => f !== undefined).join(' and ')} are not configured: ${missing.join(', ')}; configure them under receivers.named (docs/receivers.md; a dry run, receivers.capture, reads none of their secrets)`,
    );
  }
  const receivers: ReadonlyMap<string, Receiver> = createReceivers(config.receivers, { now });
  let dispatcher: Dispatcher | undefined;
  const onCaseChanges = (changes: readonly CaseChange[]) => {
    for (const change of changes) audit.caseChange(caseAuditOf(change));
    dispatcher?.wake();
  };
  const escalator = escalation ? new Escalator({ cases: ledger.cases, escalation, now, onChanges: onCaseChanges }) : undefined;
  const keeper = obligations ? new ObligationKeeper({ store: ledger.obligations, policy: obligations, now, onChanges: onCaseChanges }) : undefined;
  const deliverer = new Deliverer({
    outbox: ledger.outbox,
    receivers,
    ...delivererSettingsOf(delivery, config.receivers.link),
    concurrency: delivery.concurrency,
    now,
    random: Math.random,
    log,
    onChanges: onCaseChanges,
  });
  dispatcher = new Dispatcher({
    leases: ledger.leases,
    outbox: ledger.outbox,
    holder: `${hostname()}:${process.pid}`,
    escalator,
    obligations: keeper,
    deliverer,
    leaseTtlMs: parseDuration(delivery.leaseTtl),
    pollMs: parseDuration(delivery.pollInterval),
    now,
    log,
  });
  dispatcher.start();
  if (escalation) log.info({ escalation: escalation.file, obligations: obligations?.file ?? null, receivers: [...receivers.keys()].sort(), capture: capture ?? false }, 'escalation and delivery on');
  else log.info('no escalation file (escalation.file): cases are recorded, nobody is told');
  const running = dispatcher;
  return {
    escalation,
    dispatcher: running,
    receivers,
    onCaseChanges,
    async settle(maxMs = 30_000) {
      const until = now() + maxMs;
      while (await running.round()) {
        const next = await ledger.outbox.nextDueMs();
        if (next === undefined || next - now() > SETTLE_WAIT_MS || now() >= until) return;
        await sleep(Math.max(10, next - now()));
      }
    },
    async close() {
      await running.stop();
      await Promise.all([...receivers.values()].map((r) => r.close?.().catch(() => undefined)));
    },
  };
}
