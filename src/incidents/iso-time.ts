/** The minute isoTime formatted last (epoch ms) and its ISO text up to the seconds (`2026-11-09T00:00:`). */
let cachedMinuteMs = Number.NaN;
let cachedMinute = '';

/**
 * `new Date(ms).toISOString()`, without a Date per call: an incident's lastSeen moves with every alert
 * that joins it, and the alerts of a stream mostly fall in the minute of the one before, so the text up
 * to the seconds is kept from the last call. Anything else (a fraction of a ms, a year beyond 9999)
 * goes to toISOString.
 */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const minuteMs = Math.floor(ms / 60_000) * 60_000;
  if (minuteMs !== cachedMinuteMs) {
    const iso = new Date(minuteMs).toISOString();
    if (iso.length !== 24) return new Date(ms).toISOString();
    cachedMinuteMs = minuteMs;
    cachedMinute = iso.slice(0, 17);
  }
  const within = ms - minuteMs;
  const seconds = Math.floor(within / 1000);
  const millis = within - seconds * 1000;
  return `${cachedMinute}${seconds < 10 ? '0' : ''}${seconds}.${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}
