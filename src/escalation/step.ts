import { categoryOf } from '../cases/classification.js';
import type { EscalationCase, EscalationUpdate } from '../ledger/case-store.js';
import { parseDuration } from '../state/index.js';
import { firstMomentWhenNot, inDailyWindow, localTime } from './calendar.js';
import type { EscalationPolicy } from './load.js';
import { matchPolicy, type CaseFacts } from './policy.js';
import type { Policy } from './schema.js';

/** The case fields an escalation step reads (a row of the cases table, or a simulated one for explain). */
export type EscalationState = Pick<
  EscalationCase,
  'severity' | 'category' | 'classification' | 'rules' | 'tags' | 'policy' | 'oncall' | 'escalation_level' | 'reminders' | 'next_escalation_at_ms' | 'rematch'
>;

/** The facts a policy is matched on, from the case's row. */
export function caseFactsOf(state: EscalationState): CaseFacts {
  return {
    severity: state.severity,
    category: categoryOf(state.classification, state.category),
    rules: (JSON.parse(state.rules) as { id: string }[]).map((r) => r.id),
    tags: JSON.parse(state.tags) as string[],
  };
}

/**
 * The next escalation step of an unacknowledged case at `nowMs`, pure:
 *
 * 1. When the case has no policy yet, or its severity or classification changed (rematch), the first
 *    matching policy is found; another policy than before starts over at its first level (receivers
 *    told already get an update). No policy: nobody is told, and that is recorded once.
 * 2. When it is due: during quiet hours a case of a quiet severity waits for their end (deferred);
 *    otherwise the next level is told (the first with kind `open`, later ones `escalate`), the level's
 *    rotation picks who is on call, and the level after it is due `after` later; after the last level,
 *    `repeat` reminds its receivers `times` times, `every` apart; then escalation stops.
 *
 * Undefined: nothing to do.
 */
export function escalationStep(escalation: EscalationPolicy, state: EscalationState, nowMs: number): EscalationUpdate | undefined {
  const events: EscalationUpdate['events'][number][] = [];
  let set: EscalationUpdate['set'] = {};
  let current = state;
  // A policy the file no longer has (it was edited) is matched again, like a change of the case.
  const known = state.policy !== null && escalation.spec.policies.some((p) => p.name === state.policy);
  if (state.rematch === 1 || !known) {
    const facts = caseFactsOf(state);
    const matched = matchPolicy(escalation, facts, nowMs);
    if (matched === undefined) {
      if (state.policy === null && state.rematch === 0 && state.next_escalation_at_ms === null) return undefined;
      return {
        set: { policy: null, rematch: 0, next_escalation_at_ms: null },
        events: [{ event: 'policy', from: state.policy, to: null, note: `no escalation policy matches ${facts.severity} ${facts.category}: nobody is told (${escalation.file})` }],
      };
    }
    if (matched.name !== state.policy) {
      set = { policy: matched.name, escalation_level: 0, reminders: 0, rematch: 0, next_escalation_at_ms: nowMs };
      if (state.policy !== null) events.push({ event: 'policy', from: state.policy, to: matched.name, note: `${facts.severity} ${facts.category} now matches policy ${matched.name}: escalation starts over` });
    } else {
      set = { rematch: 0 };
    }
    current = { ...state, ...set };
  }
  const policy = escalation.spec.policies.find((p) => p.name === current.policy);
  const due = current.next_escalation_at_ms !== null && current.next_escalation_at_ms <= nowMs;
  if (policy === undefined || !due) return events.length > 0 || Object.keys(set).length > 0 ? { set, events } : undefined;

  const quietUntil = quietEnd(escalation, current.severity, nowMs);
  if (quietUntil !== undefined) {
    return {
      set: { ...set, next_escalation_at_ms: quietUntil },
      events: [...events, { event: 'deferred', from: null, to: new Date(quietUntil).toISOString(), note: `quiet hours for ${current.severity} cases (${escalation.spec.quietHours!.from}–${escalation.spec.quietHours!.to} ${escalation.spec.timezone})` }],
    };
  }
  const level = current.escalation_level;
  if (level < policy.levels.length) {
    const next = policy.levels[level]!;
    const oncall = next.oncall !== undefined ? (escalation.rotations.get(next.oncall)?.at(nowMs) ?? current.oncall) : current.oncall;
    return {
      set: { ...set, escalation_level: level + 1, oncall, next_escalation_at_ms: nextAfter(policy, level + 1, nowMs) },
      events: [
        ...events,
        {
          event: 'escalated',
          from: String(level),
          to: String(level + 1),
          note: `policy ${policy.name}: ${next.notify.join(', ')}${oncall !== null && next.oncall !== undefined ? ` (on call: ${oncall})` : ''}`,
          receivers: next.notify.map((receiver) => ({ receiver, kind: level === 0 ? ('open' as const) : ('escalate' as const) })),
        },
      ],
    };
  }
  if (policy.repeat && current.reminders < policy.repeat.times) {
    const reminders = current.reminders + 1;
    const last = policy.levels[policy.levels.length - 1]!;
    return {
      set: { ...set, reminders, next_escalation_at_ms: reminders < policy.repeat.times ? nowMs + parseDuration(policy.repeat.every) : null },
      events: [
        ...events,
        {
          event: 'reminded',
          from: String(current.reminders),
          to: String(reminders),
          note: `policy ${policy.name}: reminder ${reminders} of ${policy.repeat.times} to ${last.notify.join(', ')}`,
          receivers: last.notify.map((receiver) => ({ receiver, kind: 'reminder' as const })),
        },
      ],
    };
  }
  return { set: { ...set, next_escalation_at_ms: null }, events };
}

/** When the level after `level` (1-based, just told) is due: `after` later, or the first reminder, or never. */
function nextAfter(policy: Policy, level: number, nowMs: number): number | null {
  const following = policy.levels[level];
  if (following !== undefined) return nowMs + parseDuration(following.after!);
  return policy.repeat ? nowMs + parseDuration(policy.repeat.every) : null;
}

/** The end of quiet hours when `nowMs` is inside them for this severity, else undefined. */
function quietEnd(escalation: EscalationPolicy, severity: string, nowMs: number): number | undefined {
  const { quietHours, timezone } = escalation.spec;
  if (!quietHours || !quietHours.severities.includes(severity as never)) return undefined;
  const quiet = (t: { minutes: number }) => inDailyWindow(t.minutes, quietHours.from, quietHours.to);
  if (!quiet(localTime(nowMs, timezone))) return undefined;
  return firstMomentWhenNot(nowMs, timezone, quiet);
}
