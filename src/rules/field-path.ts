/**
 * Dotted paths into the canonical alert (`entities.src_ip`, `raw.bytes_out`), used by window group-by,
 * aggregate fields, incident group-by and title templates. Compiled once; reading is a few property loads.
 */
export type FieldReader = (alert: Readonly<Record<string, unknown>>) => unknown;

export function compileFieldPath(path: string): FieldReader {
  const keys = path.split('.');
  if (keys.length === 1) {
    const [only] = keys as [string];
    return (alert) => (Object.hasOwn(alert, only) ? alert[only] : undefined);
  }
  return (alert) => {
    let value: unknown = alert;
    for (const key of keys) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
      value = (value as Record<string, unknown>)[key];
    }
    return value;
  };
}

/** A value usable as part of a group key: strings, finite numbers and booleans; anything else is missing. */
export function keyPart(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  return undefined;
}
