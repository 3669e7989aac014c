import { createHash } from 'node:crypto';

/** A case id: `case-` and 24 hex digits. */
export const CASE_ID_PATTERN = /^case-[0-9a-f]{24}$/;

/**
 * `case-` + the first 24 hex digits of sha256 over the id of the incident that opened the case: the same
 * input stream always yields the same case ids (incident ids are deterministic too), in `replay`, `run`
 * and on Kafka alike.
 */
export function caseIdOf(firstIncidentId: string): string {
  return `case-${createHash('sha256').update(firstIncidentId).digest('hex').slice(0, 24)}`;
}
