import { inDailyWindow, localTime } from './calendar.js';
import type { EscalationPolicy } from './load.js';
import type { BusinessHours, Policy } from './schema.js';

/** What a policy is matched on: the case as it is now. */
export interface CaseFacts {
  readonly severity: string;
  /** The classification once set, else the rule category in its words (categoryOf). */
  readonly category: string;
  readonly rules: readonly string[];
  readonly tags: readonly string[];
}

/** The first policy whose match holds for the case at `atMs` (business hours are read then), or undefined. */
export function matchPolicy(escalation: EscalationPolicy, facts: CaseFacts, atMs: number): Policy | undefined {
  const { spec } = escalation;
  const business = spec.businessHours ? inBusinessHours(spec.businessHours, spec.timezone, atMs) : undefined;
  return spec.policies.find(({ match }) => {
    if (match.severity && !match.severity.includes(facts.severity as never)) return false;
    if (match.category && !match.category.includes(facts.category)) return false;
    if (match.rule && !match.rule.some((r) => facts.rules.includes(r))) return false;
    if (match.tags && !match.tags.some((t) => facts.tags.includes(t))) return false;
    if (match.businessHours !== undefined && match.businessHours !== business) return false;
    return true;
  });
}

export function inBusinessHours(hours: BusinessHours, timeZone: string, atMs: number): boolean {
  const t = localTime(atMs, timeZone);
  return hours.days.includes(t.weekday) && inDailyWindow(t.minutes, hours.from, hours.to);
}
