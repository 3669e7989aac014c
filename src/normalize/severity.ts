import { type Severity } from './alert.js';
import { quote } from './describe.js';

/**
 * Severity words detectors use, lower-case, with the syslog level names placed where their meaning
 * falls (emergency/alert/critical → critical, error → high, warning → medium, notice → low).
 */
const SEVERITY_WORDS: ReadonlyMap<string, Severity> = new Map<string, Severity>([
  ['info', 'info'],
  ['informational', 'info'],
  ['information', 'info'],
  ['debug', 'info'],
  ['low', 'low'],
  ['minor', 'low'],
  ['notice', 'low'],
  ['medium', 'medium'],
  ['med', 'medium'],
  ['moderate', 'medium'],
  ['warning', 'medium'],
  ['warn', 'medium'],
  ['high', 'high'],
  ['major', 'high'],
  ['severe', 'high'],
  ['error', 'high'],
  ['err', 'high'],
  ['critical', 'critical'],
  ['crit', 'critical'],
  ['fatal', 'critical'],
  ['emergency', 'critical'],
  ['emerg', 'critical'],
  ['alert', 'critical'],
]);

/** Upper end of the default numeric scale (see severityFromScore). */
const MAX_SCORE = 10;
const NUMERIC_TEXT = /^\s*\d+(?:\.\d+)?\s*$/;

/**
 * Normalizes a detector's severity: a word (case-insensitive, see SEVERITY_WORDS) or a number on the
 * 0–10 scale, given as a number or numeric string. Undefined when it is neither.
 */
export function parseSeverity(value: unknown): Severity | undefined {
  if (typeof value === 'number') return severityFromScore(value);
  if (typeof value !== 'string') return undefined;
  // Exact lower-case words are the common case and need no new string.
  const word = SEVERITY_WORDS.get(value) ?? SEVERITY_WORDS.get(value.trim().toLowerCase());
  if (word !== undefined) return word;
  return NUMERIC_TEXT.test(value) ? severityFromScore(Number(value)) : undefined;
}

/**
 * The default numeric scale, 0–10 with CVSS v3's bands: below 1 info, below 4 low, below 7 medium,
 * below 9 high, 9–10 critical; undefined outside 0–10. Detectors with other scales (Suricata's
 * 1 = most severe, Wazuh's 0–15) need a value map in their mapping file.
 */
export function severityFromScore(score: number): Severity | undefined {
  if (!(score >= 0 && score <= MAX_SCORE)) return undefined;
  return score < 1 ? 'info' : score < 4 ? 'low' : score < 7 ? 'medium' : score < 9 ? 'high' : 'critical';
}

/** Why parseSeverity rejected a value, and what the user can do. */
export function unknownSeverityMessage(value: unknown): string {
  return (
    `unrecognized severity ${quote(value)}; use info, low, medium, high or critical (or a synonym such as ` +
    `informational, moderate, warning, error, crit), a number from 0 to 10, or map the detector's values ` +
    `in a mapping file (severity.map)`
  );
}
