import { createHash } from 'node:crypto';
import type { FeedbackLine } from '../feedback/feedback.js';
import type { ScoredIncident } from './score.js';

/** The analyst name the simulated verdicts carry. */
export const SIMULATED_ANALYST = 'simulated-analyst';

/**
 * Whether an incident is in a sample of `fraction` of them: a hash of its id, so the same incident is
 * always in or out whatever else is sampled, and a larger fraction samples a superset.
 */
export function inSample(incidentId: string, fraction: number): boolean {
  if (fraction >= 1) return true;
  const bucket = createHash('sha256').update(incidentId).digest().readUInt32BE(0) / 2 ** 32;
  return bucket < fraction;
}

/**
 * The verdicts an analyst who knows the ground truth gives to a sample of the incidents, in the
 * feedback import format (`alertgate feedback import`): true positive when an attack-caused alert was
 * promoted into the incident, false positive otherwise. In the order the incidents opened.
 */
export function simulatedVerdicts(incidents: Iterable<ScoredIncident>, fraction: number): FeedbackLine[] {
  const verdicts: FeedbackLine[] = [];
  for (const incident of incidents) {
    if (incident.warmup || !inSample(incident.id, fraction)) continue;
    const phases = [...incident.phases].sort();
    verdicts.push(
      phases.length > 0
        ? { incidentId: incident.id, verdict: 'true_positive', reason: `attack-caused alerts of ${phases.join(', ')}`, analyst: SIMULATED_ANALYST }
        : { incidentId: incident.id, verdict: 'false_positive', reason: 'no attack-caused alert among its alerts', analyst: SIMULATED_ANALYST },
    );
  }
  return verdicts;
}
