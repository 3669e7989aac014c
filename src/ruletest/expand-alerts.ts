import { formatEventTime, parseEventTime } from '../normalize/time.js';
import { parseDuration } from '../state/index.js';
import type { AlertItem, Scenario } from './scenario-schema.js';

/** One input line of a scenario, after repeats are expanded and relative times resolved. */
export interface ScenarioAlert {
  /** 1-based position: what `at: 7` and "alert #7" refer to, and the input line number. */
  readonly n: number;
  readonly id: string;
  readonly text: string;
}

/** Where in the scenario an alert list is wrong, for a located error. */
export interface ExpandProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type ExpandResult = { readonly ok: true; readonly alerts: ScenarioAlert[] } | { readonly ok: false; readonly problem: ExpandProblem };

/** `+30s`, `+10m`: a time relative to the previous alert. */
const RELATIVE_TIME = /^\+(.+)$/;
/** In a repeat block's strings, the copy number (1 … N): `dst_port: "{{n}}"` probes N distinct ports. */
const COPY_NUMBER = /\{\{n\}\}/g;

/**
 * Turns the scenario's alert items into input lines. Times: an item's `time` is absolute (ISO or
 * epoch, passed on as written), relative (`+5m` after the previous alert) or absent (the previous
 * alert's time, or `start`). Ids: kept when given (a repeat's copies get `-1` … `-N`), otherwise
 * `alert-<n>`, so expectations and failures can name every alert. In a repeat block, `{{n}}` in any
 * string becomes the copy number, so copies can differ where a distinct aggregate needs them to.
 */
export function expandAlerts(scenario: Pick<Scenario, 'start' | 'defaults' | 'alerts'>): ExpandResult {
  let clock: number | undefined;
  if (scenario.start !== undefined) {
    const start = parseEventTime(scenario.start);
    if (typeof start === 'string') return { ok: false, problem: { path: ['start'], message: start } };
    clock = start;
  }
  const alerts: ScenarioAlert[] = [];
  for (const [i, item] of scenario.alerts.entries()) {
    const fields = withDefaults(scenario.defaults, item.alert);
    const first = resolveTime(fields.time, clock);
    if (!first.ok) return { ok: false, problem: { path: timePath(item, i), message: first.message } };
    const everyMs = parseDuration(item.every);
    for (let k = 0; k < item.repeat; k++) {
      const n = alerts.length + 1;
      // A single alert keeps its id and time as written (even invalid ones), so scenarios also exercise normalization.
      const id = fields.id === undefined ? `alert-${n}` : item.single ? fields.id : `${String(fields.id)}-${k + 1}`;
      const time = first.ms === undefined || (item.single && first.asWritten) ? fields.time : formatEventTime(first.ms + k * everyMs);
      const copy = item.single ? fields : (withCopyNumber(fields, k + 1) as Record<string, unknown>);
      alerts.push({ n, id: String(id), text: JSON.stringify({ ...copy, id, time }) });
    }
    if (first.ms !== undefined) clock = first.ms + (item.repeat - 1) * everyMs;
  }
  return { ok: true, alerts };
}

/** Defaults under the alert's own fields; entities merge key by key so an alert can add or override one. */
function withDefaults(defaults: Record<string, unknown>, alert: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...defaults, ...alert };
  if (isRecord(defaults.entities) && isRecord(alert.entities)) merged.entities = { ...defaults.entities, ...alert.entities };
  return merged;
}

type ResolvedTime =
  | { readonly ok: true; readonly ms: number | undefined; readonly asWritten: boolean }
  | { readonly ok: false; readonly message: string };

/**
 * An unparseable absolute time is passed on untouched (ms undefined) so a scenario can expect the
 * alert to be dead-lettered; it does not move the clock.
 */
function resolveTime(time: unknown, clock: number | undefined): ResolvedTime {
  const relative = typeof time === 'string' ? RELATIVE_TIME.exec(time) : null;
  if (time === undefined || relative) {
    if (clock === undefined) {
      return { ok: false, message: 'the first alert needs an absolute time (or give the scenario a start)' };
    }
    if (!relative) return { ok: true, ms: clock, asWritten: false };
    try {
      return { ok: true, ms: clock + parseDuration(relative[1]!), asWritten: false };
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
  }
  const ms = parseEventTime(time);
  return { ok: true, ms: typeof ms === 'number' ? ms : undefined, asWritten: true };
}

function timePath(item: AlertItem, index: number): (string | number)[] {
  return item.single ? ['alerts', index, 'time'] : ['alerts', index, 'alert', 'time'];
}

function withCopyNumber(value: unknown, copy: number): unknown {
  if (typeof value === 'string') return value.replace(COPY_NUMBER, String(copy));
  if (Array.isArray(value)) return value.map((v) => withCopyNumber(v, copy));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withCopyNumber(v, copy)]));
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
