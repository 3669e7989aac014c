import type { EscalationPolicy } from './load.js';
import { inBusinessHours, matchPolicy, type CaseFacts } from './policy.js';
import { caseFactsOf, escalationStep, type EscalationState } from './step.js';
import { localTime } from './calendar.js';

/** One moment of an escalation nobody acknowledges. */
export interface ExplainedStep {
  readonly atMs: number;
  readonly event: 'escalated' | 'reminded' | 'deferred';
  /** Level told (escalated), or reminder number (reminded). */
  readonly number: number;
  readonly receivers: readonly string[];
  readonly oncall: string | null;
  readonly note: string | null;
}

export interface Explanation {
  readonly facts: CaseFacts;
  readonly atMs: number;
  readonly policy: string | undefined;
  readonly businessHours: boolean | undefined;
  readonly steps: readonly ExplainedStep[];
}

/**
 * Who would be told about a case with these facts opened at `atMs`, and when, if nobody acknowledged
 * it: the escalation's own step function run on a simulated case, so what it prints is what happens.
 */
export function explainEscalation(escalation: EscalationPolicy, given: CaseFacts, atMs: number): Explanation {
  let state: EscalationState = {
    severity: given.severity,
    category: given.category,
    classification: null,
    rules: JSON.stringify(given.rules.map((id) => ({ id, alerts: 1 }))),
    tags: JSON.stringify(given.tags),
    policy: null,
    oncall: null,
    escalation_level: 0,
    reminders: 0,
    next_escalation_at_ms: atMs,
    rematch: 0,
  };
  const steps: ExplainedStep[] = [];
  let now = atMs;
  // Each step moves time forward or ends the escalation; the bound only guards against a bug.
  for (let i = 0; i < 1000; i++) {
    const update = escalationStep(escalation, state, now);
    if (update === undefined) break;
    state = { ...state, ...update.set };
    for (const e of update.events) {
      if (e.event !== 'escalated' && e.event !== 'reminded' && e.event !== 'deferred') continue;
      const number = e.event === 'deferred' ? 0 : Number(e.to);
      steps.push({ atMs: now, event: e.event, number, receivers: (e.receivers ?? []).map((r) => r.receiver), oncall: e.event === 'deferred' ? null : state.oncall, note: e.note });
    }
    if (state.next_escalation_at_ms === null || state.next_escalation_at_ms <= now) break;
    now = state.next_escalation_at_ms;
  }
  const { spec } = escalation;
  // A rule category reads as its classification (dos: denial-of-service), as for a real case.
  const facts = caseFactsOf(state);
  return {
    facts,
    atMs,
    policy: matchPolicy(escalation, facts, atMs)?.name,
    businessHours: spec.businessHours ? inBusinessHours(spec.businessHours, spec.timezone, atMs) : undefined,
    steps,
  };
}

/** The explanation for people: one line per step, with the time since the case opened and the local time. */
export function formatExplanation(escalation: EscalationPolicy, e: Explanation): string {
  const tz = escalation.spec.timezone;
  const at = (ms: number) => `${new Date(ms).toISOString().replace('.000Z', 'Z')} (${localTime(ms, tz).text} ${tz})`;
  const head = `${e.facts.severity} ${e.facts.category}${e.facts.rules.length > 0 ? ` rule ${e.facts.rules.join(',')}` : ''}${e.facts.tags.length > 0 ? ` tags ${e.facts.tags.join(',')}` : ''} opened at ${at(e.atMs)}${
    e.businessHours === undefined ? '' : e.businessHours ? ', within business hours' : ', outside business hours'
  }`;
  if (e.policy === undefined) return `${head}\nno policy matches: nobody is told (${escalation.file}). Add a catch-all policy (match: {}) at the end.`;
  const lines = e.steps.map((s) => {
    const offset = `+${formatMinutes(s.atMs - e.atMs)}`.padEnd(8);
    if (s.event === 'deferred') return `  ${offset}${at(s.atMs)}  held      ${s.note}`;
    const what = s.event === 'escalated' ? `level ${s.number}` : `reminder ${s.number}`;
    return `  ${offset}${at(s.atMs)}  ${what.padEnd(11)} ${s.receivers.join(', ')}${s.oncall !== null ? `  on call: ${s.oncall}` : ''}`;
  });
  return [head, `policy ${e.policy} (${escalation.file})`, ...lines, e.steps.length > 0 ? 'until someone acknowledges the case (alertgate incidents ack).' : 'nobody is told.'].join('\n');
}

function formatMinutes(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes}m`;
  const h = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${h}h` : `${h}h${minutes % 60}m`;
}
