/** How normalization names places and values in the messages users read. */

/**
 * RFC 6901 JSON pointer for a path of keys (`["alert", "signature"]` → `/alert/signature`). The
 * document root is written `/` rather than the empty string, so it stays visible in a message.
 */
export function toPointer(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '/';
  let pointer = '';
  for (const key of path) pointer += '/' + String(key).replaceAll('~', '~0').replaceAll('/', '~1');
  return pointer;
}

/** Long values are cut so one bad field cannot flood a log line. */
const QUOTED_MAX_CHARS = 80;

/** A value as it would appear in JSON, shortened: `"yesterday"`, `42`, `{"a":1}`. */
export function quote(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > QUOTED_MAX_CHARS ? `${json.slice(0, QUOTED_MAX_CHARS)}…` : json;
}

/** The JSON type of a value, for "expected X, got Y" messages. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
