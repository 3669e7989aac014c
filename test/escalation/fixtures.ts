import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEscalationOrThrow } from '../../src/escalation/load.js';
import { tempDir } from '../helpers.js';

/** A policy file as a SOC would write it: critical security cases page at once, then the secondary, then the CISO. */
export const ESCALATION_YAML = `# test escalation policy
timezone: Europe/Berlin
businessHours: { days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00" }
quietHours: { from: "22:00", to: "07:00", severities: [low] }
rotations:
  primary:
    handles: [alice, bob, carol]
    every: 7d
    start: 2026-11-16T09:00:00+01:00
  secondary:
    schedule: secondary.yaml
    fallback: duty-manager
policies:
  - name: critical-security
    match: { severity: [critical], category: [malware, data-breach] }
    levels:
      - notify: [soc-slack, pager-primary]
        oncall: primary
      - after: 15m
        notify: [pager-secondary]
        oncall: secondary
      - after: 30m
        notify: [ciso-email]
    repeat: { every: 30m, times: 2 }
  - name: office-hours
    match: { severity: [high], businessHours: true }
    levels:
      - notify: [soc-slack]
  - name: default
    levels:
      - notify: [soc-slack]
`;

export const SCHEDULE_YAML = `- { from: 2026-11-20T00:00:00Z, to: 2026-11-21T00:00:00Z, handle: dave }
- { from: 2026-11-21T00:00:00Z, to: 2026-11-22T00:00:00Z, handle: erin }
`;

/** Writes an escalation file (and its schedule) into a new directory; returns the file's path. */
export function writeEscalation(yaml = ESCALATION_YAML, schedule = SCHEDULE_YAML): string {
  const dir = tempDir('alertgate-escalation-');
  writeFileSync(join(dir, 'secondary.yaml'), schedule);
  const file = join(dir, 'escalation.yaml');
  writeFileSync(file, yaml);
  return file;
}

export const loadTestEscalation = (yaml?: string, schedule?: string) => loadEscalationOrThrow(writeEscalation(yaml, schedule));
