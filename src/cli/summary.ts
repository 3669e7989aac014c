import { z } from 'zod';
import { FORMAT_NAMES } from '../normalize/index.js';
import { describeAbsence, mostlyAbsentFields } from '../metrics/field-absence.js';
import type { PipelineStats } from '../metrics/pipeline-stats.js';
import type { PipelineCounts } from '../pipeline/pipeline.js';

const count = z.number().int().nonnegative();

/**
 * The accounting of a run and its speed (`replay --summary json`, the workers' last log line): every
 * alert is one of promoted, suppressed, passed, duplicate or invalid; and the user mapping's fields that
 * found nothing in most alerts (docs/formats.md, "Absent fields"). docs/outputs.md, "Accounting".
 */
export const RunSummary = z
  .object({
    /** Alerts read: input records, one per element of a multi-alert record (blank lines are not counted). */
    alerts: count,
    promoted: count,
    suppressed: count,
    passed: count,
    /** Alerts that came before (the same id and event time within the dedup horizon). */
    duplicate: count,
    /** Dead letters. */
    invalid: count,
    /** Incidents opened. */
    incidents: count,
    /** Promoted alerts that joined an open incident: promoted = incidents + grouped. */
    grouped: count,
    /** Decided alerts later than some rule's allowed lateness. */
    late: count,
    /** Decided alerts whose aggregates read a window that had lost state at its memory bounds (maxKeys, maxEvents). */
    lossy: count,
    suppressedByException: count,
    /** Alerts more than eventTime.maxFutureSkew ahead of the stream (docs/rules.md): clamped, or dead-lettered (then also in invalid). */
    futureDated: count,
    /** Of those, the ones decided at the stream's event time. */
    clamped: count,
    /** Wall time of the run: with alertsPerSecond, the only fields that vary between runs. */
    durationMs: count,
    alertsPerSecond: count,
    /** Mapped fields absent in most alerts of their format: `[{format, field, absent, alerts}]`. */
    mostlyAbsent: z.array(z.object({ format: z.enum(FORMAT_NAMES), field: z.string(), absent: count, alerts: count }).strict()),
  })
  .strict();
export type RunSummary = z.infer<typeof RunSummary>;

export function summarize(counts: PipelineCounts, durationMs: number, stats?: PipelineStats): RunSummary {
  const { alerts, promoted, suppressed, passed, duplicate, invalid, incidents, grouped, late, lossy, suppressedByException, futureDated, clamped } = counts;
  return {
    alerts,
    promoted,
    suppressed,
    passed,
    duplicate,
    invalid,
    incidents,
    grouped,
    late,
    lossy,
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
    `duplicate   ${s.duplicate} (${pct(s.duplicate)}%)`,
    `invalid     ${s.invalid} (${pct(s.invalid)}%)`,
    `late        ${s.late}`,
    `lossy       ${s.lossy}${s.lossy > 0 ? ' (decided on windows that had lost state at their memory bounds: raise window.maxKeys / maxEvents; docs/rules.md)' : ''}`,
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
