import { createHash } from 'node:crypto';

/**
 * `inc-` + the first 24 hex digits of sha256 over (rule id, group key, opening event time): the same
 * input stream always yields the same ids, so replays and the ledger line up. JSON encoding keeps the
 * three parts unambiguous whatever characters the group key holds.
 */
export function incidentId(ruleId: string, groupKey: string, openedAtMs: number): string {
  const digest = createHash('sha256').update(JSON.stringify([ruleId, groupKey, openedAtMs])).digest('hex');
  return `inc-${digest.slice(0, 24)}`;
}
