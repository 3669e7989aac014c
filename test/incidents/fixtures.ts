import type { IncidentGrouping } from '../../src/incidents/index.js';
import { compileTitle } from '../../src/incidents/index.js';
import type { CanonicalAlert } from '../../src/normalize/alert.js';

export const T0 = Date.UTC(2026, 10, 20, 10);

export function alertAt(id: string, entities: Record<string, string> = { host: 'web-1' }): CanonicalAlert {
  return {
    id,
    time: '2026-11-20T10:00:00.000Z',
    source: 'suricata',
    name: 'ET MALWARE beacon',
    severity: 'high',
    severityOriginal: 1,
    category: 'malware',
    entities,
    tags: ['c2'],
    raw: { flow: { bytes: 1200, proto: 'tcp' } },
  };
}

export function grouping(overrides: Partial<IncidentGrouping> = {}): IncidentGrouping {
  return {
    ruleId: 'beacon',
    ruleVersion: 3,
    severity: 'high',
    category: 'malware',
    title: compileTitle('Beacon from {{entities.host}}'),
    windowMs: 1_000,
    ...overrides,
  };
}
