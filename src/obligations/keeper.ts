import type { CaseChange } from '../ledger/case-store.js';
import type { ObligationStart, ObligationStore, ObligationUpdate } from '../ledger/obligation-store.js';
import type { CaseEventRow, CaseRow, ObligationRow } from '../ledger/rows.js';
import { parseDuration } from '../state/index.js';
import { formatSpan, nextAt, obligationStep } from './clock.js';
import { describeWithin, dueAt } from './deadline.js';
import type { ObligationPolicy } from './load.js';
import { describeTrigger, firstHeld } from './trigger.js';

export interface ObligationKeeperOptions {
  readonly store: Pick<ObligationStore, 'casesToRead' | 'start' | 'due' | 'step'>;
  readonly policy: ObligationPolicy;
  readonly now: () => number;
  /** Sees every case event it wrote (audit log, the dispatcher's wake-up). */
  readonly onChanges?: ((changes: readonly CaseChange[]) => void) | undefined;
}

/** Cases whose timelines one tick reads at most. */
const MAX_CASES_PER_TICK = 500;

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/**
 * The obligations clock (docs/obligations.md), on an injected clock: reads the timeline of every case
 * that changed and starts the obligations whose trigger has held (at the moment it first held), then
 * reminds the receivers of running obligations as their reminders fall due and records those whose due
 * time passed unmet as missed, telling their receivers. Each step is a transaction with its case event.
 */
export class ObligationKeeper {
  constructor(private readonly options: ObligationKeeperOptions) {}

  async tick(): Promise<CaseChange[]> {
    const { store, now } = this.options;
    const changes: CaseChange[] = [];
    // A bounded read per tick: a ledger whose file was just configured is read over several rounds, delivery going on between them.
    for (let read = 0, ids = await store.casesToRead(); ids.length > 0 && read < MAX_CASES_PER_TICK; read += ids.length, ids = await store.casesToRead()) {
      for (const id of ids) changes.push(...(await store.start(id, (row, timeline, started) => this.starts(row, timeline, started, now()))));
    }
    const done = new Set<string>();
    for (;;) {
      const at = now();
      const due = (await store.due(at)).filter((d) => !done.has(`${d.caseId}\u0000${d.name}`));
      if (due.length === 0) break;
      for (const d of due) {
        done.add(`${d.caseId}\u0000${d.name}`);
        changes.push(...(await store.step(d.caseId, d.name, (o) => stepOf(o, at))));
      }
    }
    if (changes.length > 0) this.options.onChanges?.(changes);
    return changes;
  }

  /** The obligations of the file that start on this case now: not started yet, and their trigger has held. */
  private starts(row: CaseRow, timeline: readonly CaseEventRow[], started: ReadonlySet<string>, nowMs: number): ObligationStart[] {
    const { spec } = this.options.policy;
    const events = timeline.map((e) => ({ seq: e.seq, atMs: e.at_ms, event: e.event, from: e.from_value, to: e.to_value }));
    const out: ObligationStart[] = [];
    for (const o of spec.obligations) {
      if (started.has(o.name)) continue;
      const held = firstHeld(o.when, row.opened_at_ms, row.severity, events);
      // Only what the clock has not read yet starts one: history it read (or a migration skipped), or an obligation added to the file since, starts nothing.
      if (held === undefined || held.seq <= row.obligations_seq) continue;
      const startedAtMs = o.from === 'opened' ? row.opened_at_ms : held.atMs;
      const dueAtMs = dueAt(o.within, startedAtMs, spec);
      const remindMs = o.remind.map((r) => parseDuration(r)).sort((a, b) => b - a);
      const trigger = `${describeTrigger(o.when)}${o.from === 'opened' ? ' (clock from the case opening)' : ''}`;
      out.push({
        name: o.name,
        title: o.title,
        trigger,
        notify: o.notify,
        startedAtMs,
        dueAtMs,
        remindMs,
        nextAtMs: nextAt(dueAtMs, remindMs, nowMs),
        note: `${o.name}: ${o.title}; due ${iso(dueAtMs)} (${describeWithin(o.within)} from ${iso(startedAtMs)}; ${trigger})`,
        summary: `Obligation started: ${o.title}. Due ${iso(dueAtMs)} (${describeWithin(o.within)} from ${iso(startedAtMs)}): ${trigger}.`,
      });
    }
    return out;
  }
}

/** A running obligation's step at `nowMs`: a reminder to its receivers, or missed (they are told). */
function stepOf(o: ObligationRow, nowMs: number): ObligationUpdate {
  const step = obligationStep(o.due_at_ms, JSON.parse(o.remind) as number[], nowMs);
  const receivers = (JSON.parse(o.notify) as string[]).map((receiver) => ({ receiver, kind: step.kind === 'missed' ? ('update' as const) : ('reminder' as const) }));
  if (step.kind === 'missed') {
    return {
      set: { status: 'missed', missed_at_ms: nowMs, next_at_ms: null },
      event: { event: 'obligation-missed', from: 'running', to: 'missed', note: `${o.name}: ${o.title}; was due ${iso(o.due_at_ms)}`, receivers, summary: `MISSED: ${o.title} was due ${iso(o.due_at_ms)}.` },
    };
  }
  const n = o.reminders_sent + 1;
  return {
    set: { reminders_sent: n, next_at_ms: step.nextAtMs },
    event: {
      event: 'obligation-reminded',
      from: 'running',
      to: 'running',
      note: `${o.name}: reminder ${n}, due ${iso(o.due_at_ms)} (in ${formatSpan(o.due_at_ms - nowMs)})`,
      receivers,
      summary: `Reminder: ${o.title} is due ${iso(o.due_at_ms)}, in ${formatSpan(o.due_at_ms - nowMs)}.`,
    },
  };
}
