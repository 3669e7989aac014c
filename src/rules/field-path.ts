import { ALERT_FACTS } from '../normalize/alert.js';
import { compileFieldPath as compilePath } from '../normalize/field-path.js';

/**
 * Field paths into the canonical alert (`entities.src_ip`, `raw.bytes_out`, `raw.output_fields["proc.name"]`),
 * used by window group-by, aggregate fields, incident group-by and title templates. The grammar and the
 * lookup are the mapping files' (src/normalize/field-path.ts, docs/formats.md "Field paths"): literal
 * dotted keys are tried before descending, and null reads as missing. Compiled once; reading is a few
 * property loads.
 */
export type FieldReader = (alert: Readonly<Record<string, unknown>>) => unknown;

/** The canonical alert's own fields: fixed, and none holds a dot. */
const ALERT_FIELDS: ReadonlySet<string> = new Set(ALERT_FACTS);

export function compileFieldPath(path: string): FieldReader {
  return compilePath(path, ALERT_FIELDS);
}

/** A value usable as part of a group key: strings, finite numbers and booleans; anything else is missing. */
export function keyPart(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') return String(value);
  return undefined;
}
