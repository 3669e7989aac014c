import { describeAbsence, mostlyAbsentFields } from '../metrics/field-absence.js';
import type { FieldAbsence, PipelineStats } from '../metrics/pipeline-stats.js';
import type { PipelineCounts } from '../pipeline/pipeline.js';

/**
 * The accounting of a run (every alert is one of promoted, suppressed, passed or invalid), its speed,
 * and the user mapping's fields that found nothing in most alerts (docs/formats.md, "Absent fields").
 */
export type RunSummary = Omit<PipelineCounts, 'byRule'> & { durationMs: number; alertsPerSecond: number; mostlyAbsent: FieldAbsence[] };

export function summarize(counts: PipelineCounts, durationMs: number, stats?: PipelineStats): RunSummary {
  const { alerts, promoted, suppressed, passed, invalid, incidents, grouped, late, suppressedByException, futureDated, clamped } = counts;
  return {
    alerts,
    promoted,
    suppressed,
    passed,
    invalid,
    incidents,
    grouped,
    late,
    suppressedByException,
    futureDated,
    clamped,
    durationMs: Math.round(durationMs),
    alertsPerSecond: durationMs > 0 ? Math.round((alerts * 1000) / durationMs) : 0,
    mostlyAbsent: stats ? mostlyAbsentFields(stats) : [],
  };
}

export function formatSummaryText(s: RunSummary): string {
  const pct = (n: number) => (s.alerts === 0 ? '0.0' : ((100 * n) / s.alerts).toFixed(1));
  return [
    `alerts      ${s.alerts}`,
    `promoted    ${s.promoted} (${pct(s.promoted)}%) into ${s.incidents} incidents (${s.grouped} alerts joined an open incident)`,
    `suppressed  ${s.suppressed} (${pct(s.suppressed)}%), ${s.suppressedByException} by exceptions`,
    `passed      ${s.passed} (${pct(s.passed)}%)`,
    `invalid     ${s.invalid} (${pct(s.invalid)}%)`,
    `late        ${s.late}`,
    `future      ${s.futureDated} more than eventTime.maxFutureSkew ahead of the stream: ${s.clamped} clamped, ${s.futureDated - s.clamped} dead-lettered`,
    ...s.mostlyAbsent.map((a) => `absent      ${describeAbsence(a)}; check the mapping`),
    `duration    ${s.durationMs} ms (${s.alertsPerSecond} alerts/s)`,
  ].join('\n');
}

/** A one-line progress meter on a TTY; nothing when stderr is a file or pipe. */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr): { tick(counts: PipelineCounts): void; end(): void } {
  if (!stream.isTTY) return { tick() {}, end() {} };
  const started = performance.now();
  let last = 0;
  let shown = false;
  return {
    tick(counts) {
      const now = performance.now();
      if (now - last < 500) return;
      last = now;
      shown = true;
      const rate = Math.round((counts.alerts * 1000) / Math.max(1, now - started));
      stream.write(`\ralertgate: ${counts.alerts} alerts, ${counts.promoted} promoted, ${counts.invalid} invalid (${rate}/s)   `);
    },
    end() {
      if (shown) stream.write('\n');
    },
  };
}
