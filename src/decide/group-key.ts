import { keyPart, type FieldReader } from '../rules/field-path.js';

const SEPARATOR = '\u001f';

/**
 * The key of an alert's group: the values of the group-by fields, joined. Undefined when a field is
 * missing, so alerts without e.g. a source IP are never lumped together under one empty key.
 */
export function groupKeyOf(readers: readonly FieldReader[], alert: Readonly<Record<string, unknown>>): string | undefined {
  if (readers.length === 1) return keyPart(readers[0]!(alert));
  const parts: string[] = [];
  for (const read of readers) {
    const part = keyPart(read(alert));
    if (part === undefined) return undefined;
    parts.push(part);
  }
  // A separator inside a value could make two groups collide; escape by JSON only in that rare case.
  return parts.some((p) => p.includes(SEPARATOR)) ? JSON.stringify(parts) : parts.join(SEPARATOR);
}

/** The group as `{field: value}` for outputs and explanations; missing fields are "". */
export function groupFieldsOf(
  fields: readonly string[],
  readers: readonly FieldReader[],
  alert: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  fields.forEach((field, i) => {
    out[field] = keyPart(readers[i]!(alert)) ?? '';
  });
  return out;
}
