import type { CaseChange, CaseStore } from '../ledger/case-store.js';
import type { EscalationPolicy } from './load.js';
import { escalationStep } from './step.js';

export interface EscalatorOptions {
  readonly cases: Pick<CaseStore, 'dueForEscalation' | 'escalate'>;
  readonly escalation: EscalationPolicy;
  readonly now: () => number;
  /** Sees every case event an escalation wrote (audit log, printed pages). */
  readonly onChanges?: ((changes: readonly CaseChange[]) => void) | undefined;
}

/**
 * Runs escalation on an injected clock: every unacknowledged case that is due (or whose severity or
 * classification changed) takes its next step (escalationStep), each in a transaction with its events
 * and notifications. Acknowledging a case takes it off the due list, so escalation stops.
 */
export class Escalator {
  constructor(private readonly options: EscalatorOptions) {}

  get policy(): EscalationPolicy {
    return this.options.escalation;
  }

  /** Takes every step due now; each case at most once per tick. */
  async tick(): Promise<CaseChange[]> {
    const { cases, escalation, now } = this.options;
    const done = new Set<string>();
    const changes: CaseChange[] = [];
    for (;;) {
      const at = now();
      const due = (await cases.dueForEscalation(at, 100)).filter((id) => !done.has(id));
      if (due.length === 0) break;
      for (const id of due) {
        done.add(id);
        changes.push(...(await cases.escalate(id, (row) => escalationStep(escalation, row, at))));
      }
    }
    if (changes.length > 0) this.options.onChanges?.(changes);
    return changes;
  }
}
