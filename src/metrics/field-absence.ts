import type { Logger } from 'pino';
import type { FieldAbsence, PipelineStats } from './pipeline-stats.js';

/**
 * Mapped fields that find nothing in most alerts: the sign of a mapping that reads the wrong place
 * (a dotted key, a renamed field), which otherwise shows only as empty entities. Counted for every
 * mapping-based format (PipelineStats.absentFields, the alertgate_mapping_field_absent_total metric);
 * warned about for the user's own mapping (generic), where a wrong path is the user's to fix. A
 * built-in format's fields are absent by nature on many records (no user on a network alert).
 */

/** "Most alerts": more than this share of the format's alerts. */
export const MOSTLY_ABSENT_SHARE = 0.5;
/** A live worker judges a field only after this many alerts of its format; the end of a file, after any. */
export const WARN_AFTER_ALERTS = 100;
/** How often a running worker looks (a few map reads: the counts are kept by the pipeline anyway). */
export const ABSENCE_CHECK_MS = 10_000;

/** The generic format's fields absent in most of its alerts, once there are at least `minAlerts` of them. */
export function mostlyAbsentFields(stats: PipelineStats, minAlerts = 1): FieldAbsence[] {
  return stats
    .fieldAbsences()
    .filter((a) => a.format === 'generic' && a.alerts >= minAlerts && a.absent > a.alerts * MOSTLY_ABSENT_SHARE);
}

/** `entities.process: absent in 321 of 321 alerts (100%)` */
export function describeAbsence(a: FieldAbsence): string {
  const share = a.alerts === 0 ? 0 : Math.round((100 * a.absent) / a.alerts);
  return `${a.field}: absent in ${a.absent} of ${a.alerts} ${a.format} alerts (${share}%)`;
}

/** Logs each mostly-absent field once per process: one line per mapping field, never one per alert. */
export class FieldAbsenceWarner {
  private readonly warned = new Set<string>();

  constructor(
    private readonly stats: PipelineStats,
    private readonly log: Pick<Logger, 'warn'>,
  ) {}

  /** Warns about the fields newly found mostly absent; call it now and then, and with minAlerts 1 at the end of an input. */
  check(minAlerts = WARN_AFTER_ALERTS): void {
    for (const a of mostlyAbsentFields(this.stats, minAlerts)) {
      const key = `${a.format}\u0000${a.field}`;
      if (this.warned.has(key)) continue;
      this.warned.add(key);
      // docs/formats.md ("Absent fields") says what to check: a key with dots, a renamed field.
      this.log.warn({ format: a.format, field: a.field, absent: a.absent, alerts: a.alerts }, 'mapped field absent in most alerts');
    }
  }

  /** Checks every `intervalMs` until the returned function is called. */
  every(intervalMs: number): () => void {
    const timer = setInterval(() => this.check(), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
