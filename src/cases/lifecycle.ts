import { z } from 'zod';
import { CASE_STATES, CaseState } from '../receivers/receiver.js';

export { CASE_STATES, CaseState };

/** What a person does to a case. assign, classify, flag and unflag keep its state; the others move it. */
export const CASE_ACTIONS = ['acknowledge', 'assign', 'classify', 'flag', 'unflag', 'contain', 'resolve', 'close', 'reopen'] as const;
export const CaseAction = z.enum(CASE_ACTIONS);
export type CaseAction = z.infer<typeof CaseAction>;

/**
 * The lifecycle (docs/cases.md prints this table, and a test keeps the two equal): for each action, the
 * states it may be taken from and the state it leads to (`undefined`: the state stays).
 *
 * - Containing or resolving an open case acknowledges it on the way (its time to acknowledge is then
 *   that moment): nobody has to click "ack" before "resolve".
 * - A closed case takes no change but reopen; close only follows resolve.
 */
export const TRANSITIONS: Readonly<Record<CaseAction, { readonly from: readonly CaseState[]; readonly to: CaseState | undefined }>> = {
  acknowledge: { from: ['open', 'reopened'], to: 'acknowledged' },
  assign: { from: ['open', 'acknowledged', 'contained', 'resolved', 'reopened'], to: undefined },
  classify: { from: ['open', 'acknowledged', 'contained', 'resolved', 'reopened'], to: undefined },
  flag: { from: ['open', 'acknowledged', 'contained', 'resolved', 'reopened'], to: undefined },
  unflag: { from: ['open', 'acknowledged', 'contained', 'resolved', 'reopened'], to: undefined },
  contain: { from: ['open', 'acknowledged', 'reopened'], to: 'contained' },
  resolve: { from: ['open', 'acknowledged', 'contained', 'reopened'], to: 'resolved' },
  close: { from: ['resolved'], to: 'closed' },
  reopen: { from: ['resolved', 'closed'], to: 'reopened' },
};

/** States in which escalation runs: nobody has taken the case yet. */
export const UNACKNOWLEDGED: readonly CaseState[] = ['open', 'reopened'];

/** States a case is worked in (not resolved or closed). */
export const ACTIVE_STATES: readonly CaseState[] = ['open', 'acknowledged', 'contained', 'reopened'];

export type Transition = { readonly ok: true; readonly to: CaseState } | { readonly ok: false; readonly message: string };

/** Whether `action` may be taken on a case in `state`, and where it leads; a refusal says why and what would work. */
export function transition(state: CaseState, action: CaseAction): Transition {
  const rule = TRANSITIONS[action];
  if (rule.from.includes(state)) return { ok: true, to: rule.to ?? state };
  const possible = CASE_ACTIONS.filter((a) => TRANSITIONS[a].from.includes(state));
  const already = rule.to === state ? ` (it is already ${state})` : '';
  return {
    ok: false,
    message: `cannot ${action} a case that is ${state}${already}; from ${state} a case can be: ${possible.join(', ')} (docs/cases.md, "Lifecycle")`,
  };
}
