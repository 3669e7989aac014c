import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import type { CaseDetail } from '../cases/case-record.js';
import { caseMergeOptionsOf, type CasesConfig } from '../config/cases.js';
import { EVENT_TIME_DEFAULTS } from '../config/event-time.js';
import { delivererSettingsOf, type DeliveryConfig } from '../config/delivery.js';
import { Deliverer } from '../delivery/deliverer.js';
import { Dispatcher } from '../delivery/dispatcher.js';
import { Escalator } from '../escalation/escalator.js';
import type { EscalationPolicy } from '../escalation/load.js';
import { parseLedgerLocation } from '../ledger/connect.js';
import { Ledger } from '../ledger/ledger.js';
import { LedgerRecorder, recordingSinks } from '../ledger/recorder.js';
import type { Normalizer } from '../normalize/index.js';
import { ObligationKeeper } from '../obligations/keeper.js';
import type { ObligationPolicy } from '../obligations/load.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { CaptureFile, createCaptureReceiver } from '../receivers/capture.js';
import { createReceivers, type ReceiversConfig } from '../receivers/config.js';
import type { Receiver } from '../receivers/receiver.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import type { ScenarioAlert } from '../ruletest/expand-alerts.js';
import { parseDuration } from '../state/index.js';
import type { Drill, DrillAction } from './drill-schema.js';

/** Everything a drill runs with, loaded and checked (src/drills/load.ts). */
export interface DrillSetup {
  readonly drill: Drill;
  readonly file: string;
  readonly ruleset: CompiledRuleSet;
  readonly normalize: Normalizer;
  readonly alerts: readonly ScenarioAlert[];
  readonly cases: CasesConfig;
  readonly delivery: DeliveryConfig;
  readonly escalation: EscalationPolicy | undefined;
  readonly obligations: ObligationPolicy | undefined;
  /** The config's receivers section, when the drill names a config with one. */
  readonly receivers: ReceiversConfig | undefined;
}

/** What one alert became. */
export interface DrillDecision {
  readonly n: number;
  readonly id: string;
  readonly decision: 'promote' | 'suppress' | 'pass' | 'duplicate' | 'invalid';
  readonly ruleId: string | null;
}

/** An analyst's action as it was taken in the drill (or could not be). */
export interface DrillActionOutcome {
  readonly atMs: number;
  readonly action: DrillAction;
  readonly ok: boolean;
  readonly detail: string;
}

/** What the simulation saw. */
export interface DrillRun {
  /** The simulated clock: the first alert's event time, and where it stopped. */
  readonly startMs: number;
  readonly endMs: number;
  readonly decisions: readonly DrillDecision[];
  /** Every case, by first alert then id (case 1, 2, …). */
  readonly cases: readonly CaseDetail[];
  readonly actions: readonly DrillActionOutcome[];
  /** Receivers the escalation or obligations name that the config does not configure (captured as stand-ins). */
  readonly unconfigured: readonly string[];
}

export interface RunOptions {
  /** Where the drill's own ledger (ledger.sqlite) and capture file (notifications.ndjson) go. */
  readonly dir: string;
  /** Waits `ms` of real time (pacing at the drill's speed); tests leave the default. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The drill's actor in every case event it causes. */
const ACTOR = 'drill';

/**
 * Runs a drill: the alerts through the real pipeline (its rules, case merging), the ledger recorder, the
 * escalation, the obligations clock and the delivery stage with every receiver capturing instead of
 * sending, all on one simulated clock that jumps from one thing due to the next (an alert, an escalation
 * level, a reminder, a deadline, an analyst's action), at `speed` when it is not `max`. The drill's
 * cases live in a ledger of their own whose notices say drill.
 */
export async function runDrill(setup: DrillSetup, options: RunOptions): Promise<DrillRun> {
  const { drill } = setup;
  const clock = { now: 0 };
  const now = () => clock.now;
  const ledger = await Ledger.open(parseLedgerLocation(join(options.dir, 'ledger.sqlite')), { now, drill: true });
  const capturePath = join(options.dir, 'notifications.ndjson');
  const { receivers, unconfigured } = captureReceivers(setup, capturePath, now);
  const log = pino({ level: 'silent' });
  const escalator = setup.escalation ? new Escalator({ cases: ledger.cases, escalation: setup.escalation, now }) : undefined;
  const keeper = setup.obligations ? new ObligationKeeper({ store: ledger.obligations, policy: setup.obligations, now }) : undefined;
  const deliverer = new Deliverer({
    outbox: ledger.outbox,
    receivers,
    ...delivererSettingsOf(setup.delivery, setup.receivers?.link),
    concurrency: 1,
    now,
    // The middle of the jitter: a drill run twice is the same run.
    random: () => 0.5,
    log,
  });
  const dispatcher = new Dispatcher({ leases: ledger.leases, outbox: ledger.outbox, holder: `drill:${drill.name}`, escalator, obligations: keeper, deliverer, leaseTtlMs: 30_000, pollMs: 2_000, now, log });
  const recorder = new LedgerRecorder(ledger, { source: `drill:${drill.name}`, escalate: escalator !== undefined, now });
  const decisions: DrillDecision[] = [];
  let lastTimeMs: number | undefined;
  let touched = false;
  const pipeline = new Pipeline({
    ruleset: setup.ruleset,
    normalize: setup.normalize,
    // A drill's alerts jump as its story needs, as a scenario's do (src/ruletest/run-scenario.ts).
    eventTime: { ...EVENT_TIME_DEFAULTS, maxFutureSkew: 'off' },
    cases: caseMergeOptionsOf(setup.cases),
    sinks: recordingSinks(
      {
        decision: (_json, alertId, facts) => {
          lastTimeMs = facts.timeMs;
          if (facts.incidentId !== undefined) touched = true;
          decisions.push({ n: decisions.length + 1, id: alertId, decision: facts.decision, ruleId: facts.ruleId });
        },
        incident: () => {
          touched = true;
        },
        deadLetter: (record) => decisions.push({ n: decisions.length + 1, id: `line ${record.line}`, decision: 'invalid', ruleId: null }),
      },
      recorder,
    ),
  });

  const pace = async (fromMs: number, toMs: number) => {
    if (drill.speed !== 'max' && toMs > fromMs) await (options.sleep ?? sleep)((toMs - fromMs) / drill.speed);
  };
  const actions: DrillActionOutcome[] = [];
  let startMs: number | undefined;
  const pending = [...drill.actions];
  const actionAt = (a: DrillAction) => (a.at.startsWith('+') ? startMs! + parseDuration(a.at.slice(1)) : Date.parse(a.at));
  const runActionsDue = async () => {
    if (startMs === undefined) return;
    pending.sort((a, b) => actionAt(a) - actionAt(b));
    while (pending.length > 0 && actionAt(pending[0]!) <= clock.now) actions.push(await act(ledger, pending.shift()!, clock.now));
  };
  // Everything due up to `targetMs`, in time order: escalation steps, obligations, deliveries, actions.
  const advanceTo = async (targetMs: number) => {
    for (;;) {
      await runActionsDue();
      await dispatcher.round();
      const candidates = [await ledger.cases.nextEscalationMs(), await ledger.obligations.nextDueMs(), await ledger.outbox.nextDueMs(), startMs === undefined ? undefined : pending.map(actionAt).sort((a, b) => a - b)[0]];
      const next = candidates.filter((t): t is number => t !== undefined && t > clock.now).sort((a, b) => a - b)[0];
      if (next === undefined || next > targetMs) break;
      await pace(clock.now, next);
      clock.now = next;
    }
    if (targetMs > clock.now) {
      await pace(clock.now, targetMs);
      clock.now = targetMs;
      await runActionsDue();
      await dispatcher.round();
    }
  };

  try {
    for (const alert of setup.alerts) {
      lastTimeMs = undefined;
      touched = false;
      pipeline.processBatch([{ line: alert.n, text: alert.text }]);
      if (lastTimeMs === undefined) continue;
      if (startMs === undefined) clock.now = startMs = lastTimeMs;
      // The world runs up to the alert's time before it is recorded.
      await advanceTo(lastTimeMs);
      if (touched) {
        await recorder.flush();
        await advanceTo(clock.now);
      }
    }
    pipeline.finish();
    await recorder.flush();
    if (startMs === undefined) throw new Error(`${setup.file}: no alert of the drill could be decided (every one was dead-lettered)`);
    const lastMs = clock.now;
    await advanceTo(lastMs + parseDuration(drill.runFor));
    // Actions the drill scheduled after its end are reported as not taken.
    for (const a of pending) actions.push({ atMs: actionAt(a), action: a, ok: false, detail: `after the end of the drill (runFor ${drill.runFor} after the last alert)` });
    const summaries = await ledger.cases.list({ limit: 1000 });
    const ordered = [...summaries].sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.id < b.id ? -1 : 1));
    const cases = (await Promise.all(ordered.map((c) => ledger.cases.get(c.id)))).filter((c) => c !== undefined);
    return { startMs, endMs: clock.now, decisions, cases, actions, unconfigured };
  } finally {
    await dispatcher.stop();
    await ledger.close();
  }
}

/**
 * Every receiver the escalation and obligations name, capturing instead of sending: as the config
 * configures it (its request rendered, no secret read) or, not configured, a plain capture stand-in.
 */
function captureReceivers(setup: DrillSetup, path: string, now: () => number): { receivers: Map<string, Receiver>; unconfigured: string[] } {
  const names = [...new Set([...(setup.escalation?.receivers ?? []), ...(setup.obligations?.receivers ?? []), ...(setup.delivery.fallback ? [setup.delivery.fallback] : [])])].sort();
  const configured = setup.receivers ? createReceivers(setup.receivers, { capture: path, now }) : new Map<string, Receiver>();
  const file = new CaptureFile(path);
  const receivers = new Map<string, Receiver>();
  const unconfigured: string[] = [];
  for (const name of names) {
    const receiver = configured.get(name);
    if (receiver) receivers.set(name, receiver);
    else {
      if (setup.receivers !== undefined && Object.keys(setup.receivers.named).length > 0) unconfigured.push(name);
      receivers.set(name, createCaptureReceiver(name, 'capture', (n) => n, file, now));
    }
  }
  return { receivers, unconfigured };
}

/** Takes an analyst's action on the nth case as it stands at `atMs`. */
async function act(ledger: Ledger, a: DrillAction, atMs: number): Promise<DrillActionOutcome> {
  const cases = [...(await ledger.cases.list({ limit: 1000 }))].sort((x, y) => (x.firstSeen < y.firstSeen ? -1 : x.firstSeen > y.firstSeen ? 1 : x.id < y.id ? -1 : 1));
  const target = cases[a.case - 1];
  const what = `${a.do}${a.value ? ` ${a.value}` : ''} on case ${a.case}`;
  if (!target) return { atMs, action: a, ok: false, detail: `${what}: there ${cases.length === 1 ? 'is 1 case' : `are ${cases.length} cases`} at that moment` };
  if (a.do === 'met' || a.do === 'waive') {
    const result = await ledger.obligations.settle(target.id, a.value!, a.do === 'met' ? 'met' : 'waived', { actor: ACTOR, note: a.note ?? (a.do === 'waive' ? 'waived in the drill' : undefined) });
    return { atMs, action: a, ok: result.status === 'done', detail: result.status === 'done' ? `${what}: done` : `${what}: ${result.message}` };
  }
  const result = await ledger.cases.act(target.id, a.do, { actor: ACTOR, note: a.note, classification: a.do === 'classify' ? a.value : undefined, flag: a.do === 'flag' ? a.value : undefined });
  return { atMs, action: a, ok: result.status === 'done', detail: result.status === 'done' ? `${what}: done` : `${what}: ${result.status === 'refused' ? result.message : 'no such case'}` };
}
