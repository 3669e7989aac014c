import { jsonType } from '../describe.js';
import { deterministicId } from '../id.js';
import { eventTimeText, parseEventTime } from '../time.js';
import type { AlertResult, FormatAdapter, JsonObject, NormalizeFailure, NormalizeResult } from './adapter.js';
import { builtinReader, isObject, type MappingInput } from './builtin.js';

/**
 * Prometheus Alertmanager's webhook payload (version 4; Grafana's webhook contact point sends the same
 * shape). One payload holds several alerts: each element of `alerts[]` becomes an alert of its own,
 * decided or dead-lettered on its own. docs/formats.md, "alertmanager".
 *
 * The mapping reads one element; id and time are set in code, since they depend on the status.
 */
export const ALERTMANAGER_ALERT_MAPPING: MappingInput = {
  // The alerting rule's job, unless a `source` label names the detector.
  source: { path: ['labels.source', 'labels.job'], default: 'alertmanager' },
  time: 'startsAt',
  name: 'labels.alertname',
  // critical, warning, info (and error) are severity words; unknown labels such as "page" read as medium.
  severity: { path: 'labels.severity', default: 'medium' },
  category: 'labels.category',
  entities: {
    host: ['labels.host', 'labels.hostname', 'labels.nodename'],
    instance: 'labels.instance',
    job: 'labels.job',
    namespace: 'labels.namespace',
    pod: 'labels.pod',
    container: 'labels.container',
    service: 'labels.service',
  },
  // "firing" or "resolved".
  tags: 'status',
};

const element = builtinReader('alertmanager', ALERTMANAGER_ALERT_MAPPING);

export const alertmanagerFormat: FormatAdapter = {
  name: 'alertmanager',

  // receiver and groupKey are the webhook's own; both Alertmanager and Grafana send them.
  sniff: (obj) => Array.isArray(obj.alerts) && typeof obj.receiver === 'string' && typeof obj.groupKey === 'string',

  normalize(obj: JsonObject, rawLine: string): NormalizeResult {
    const alerts = obj.alerts;
    if (!Array.isArray(alerts)) {
      return fail(`/alerts: expected the webhook's list of alerts, got ${jsonType(alerts)}; is this an Alertmanager webhook payload?`);
    }
    if (alerts.length === 0) return fail('/alerts: empty; the payload holds no alert to decide');
    return { ok: 'split', parts: alerts.map((item: unknown, index) => readAlert(item, index, rawLine)) };
  },
};

/** One element of `alerts[]`. */
function readAlert(item: unknown, index: number, rawLine: string): AlertResult {
  if (!isObject(item)) return fail(`/alerts/${index}: expected an alert object, got ${jsonType(item)}`);
  const read = element().read(item, rawLine, ['alerts', index]);
  if (!read.ok) return read;
  const resolved = item.status === 'resolved';
  // A resolved alert happened when it ended; a firing one when it started.
  const endsMs = resolved ? parseEventTime(item.endsAt) : undefined;
  const timeMs = typeof endsMs === 'number' ? endsMs : read.timeMs;
  const fingerprint = item.fingerprint;
  // The fingerprint names the alert's label set: with its start, one firing episode; a resolved
  // notification of it is another event. Without one (before Alertmanager 0.19), the line and the element.
  const id =
    typeof fingerprint === 'string' && fingerprint !== ''
      ? `am-${fingerprint}-${read.timeMs}${resolved ? '-resolved' : ''}`
      : deterministicId(`${rawLine}#/alerts/${index}`);
  return {
    ...read,
    timeMs,
    alert: { ...read.alert, id, time: timeMs === read.timeMs ? read.alert.time : eventTimeText(item.endsAt, timeMs) },
  };
}

function fail(reason: string): NormalizeFailure {
  return { ok: false, problem: 'schema', reason };
}
