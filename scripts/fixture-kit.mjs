// Building blocks of the generated fixtures (scripts/generate-fixtures.mjs, scripts/tuning-fixture.mjs):
// seeded randomness, the estate of hosts, time helpers and the canonical alert constructor. Nothing
// here reads a clock or Math.random: the same seed gives the same bytes on every machine.
import { mulberry32 } from './prng.mjs';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const MIB = 1024 * 1024;

/** Helpers over one random stream. */
export function randomness(seed) {
  const next = mulberry32(seed);
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    /** Milliseconds, whole. */
    jitter: (maxMs) => Math.floor(next() * maxMs),
  };
}

// The estate

export const pad = (n, width) => String(n).padStart(width, '0');
export const WORKSTATIONS = Array.from({ length: 80 }, (_, i) => ({ host: `ws-${pad(i + 1, 3)}`, ip: `10.0.10.${i + 1}` }));
export const SERVERS = [
  ...Array.from({ length: 4 }, (_, i) => ({ host: `web-${pad(i + 1, 2)}`, ip: `10.0.1.${i + 10}` })),
  ...Array.from({ length: 6 }, (_, i) => ({ host: `app-${pad(i + 1, 2)}`, ip: `10.0.2.${i + 10}` })),
  ...Array.from({ length: 3 }, (_, i) => ({ host: `db-${pad(i + 1, 2)}`, ip: `10.0.3.${i + 10}` })),
  { host: 'fs-01', ip: '10.0.4.10' },
  { host: 'fs-02', ip: '10.0.4.11' },
  { host: 'bastion-01', ip: '10.0.5.10' },
  { host: 'backup-01', ip: '10.0.6.10' },
];
export const HOSTS = [...WORKSTATIONS, ...SERVERS];
export const DMZ = SERVERS.filter((s) => s.host.startsWith('web-'));
export const host = (name) => HOSTS.find((h) => h.host === name);

/** Times within `days` days from `baseMs`. */
export function calendar(baseMs, days) {
  const at = (day, h, m = 0, s = 0) => baseMs + day * DAY + h * HOUR + m * MINUTE + s * SECOND;
  return {
    at,
    /** A time in the working day (07:00–19:00) of a random day. */
    workingHours: (r) => at(r.int(0, days - 1), 7) + r.jitter(12 * HOUR),
    anyTime: (r) => baseMs + r.jitter(days * DAY),
  };
}

// Alert constructors: each returns { timeMs, alert } with the fields in canonical order.

export function alertAt(timeMs, fields, timeFormat = 'iso') {
  const time = timeFormat === 'epoch-seconds' ? Math.round(timeMs) / 1000 : timeFormat === 'epoch-ms' ? timeMs : new Date(timeMs).toISOString();
  const { source, name, severity, category, entities, tags = [], raw } = fields;
  return { timeMs, alert: { time, source, name, severity, category, entities, tags, ...(raw === undefined ? {} : { raw }) } };
}

export function ndjson(lines) {
  return Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
}
