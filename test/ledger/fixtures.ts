import { incidentId, type IncidentRecord } from '../../src/incidents/index.js';
import type { LedgerBatch } from '../../src/ledger/ledger.js';

/** An incident record as the pipeline writes it, with overridable fields. */
export function incidentRecord(overrides: Partial<IncidentRecord> & { n?: number } = {}): IncidentRecord {
  const { n = 1, ...rest } = overrides;
  const firstSeen = rest.firstSeen ?? new Date(Date.UTC(2026, 10, 20, 10, 0, 0) + n * 60_000).toISOString();
  const ruleId = rest.ruleId ?? 'r1';
  return {
    id: incidentId(ruleId, `group-${n}`, Date.parse(firstSeen)),
    ruleId,
    ruleVersion: 1,
    title: `Incident ${n}`,
    severity: 'high',
    category: 'other',
    groupKey: { 'entities.host': `host-${n}` },
    firstSeen,
    lastSeen: firstSeen,
    alertCount: 1,
    alertIds: [`a-${n}`],
    alertIdsTruncated: false,
    status: 'closed',
    facts: { hits: { opened: 20, peak: 20 + n } },
    ...rest,
  };
}

/** A writeBatch of incidents only. */
export function incidentsBatch(incidents: readonly IncidentRecord[], source = 'test'): LedgerBatch {
  return { incidents, openings: [], counts: [], source };
}
