import { z } from 'zod';
import { CanonicalAlert, MAX_ALERT_ID_CHARS } from '../alert.js';
import { toPointer } from '../describe.js';
import { deterministicId } from '../id.js';
import { locateIssues, strictObject } from '../schema-errors.js';
import { parseSeverity, unknownSeverityMessage } from '../severity.js';
import { eventTimeText, parseEventTime } from '../time.js';
import { DEFAULT_CATEGORY, type AlertResult, type JsonObject, type SingleAlertFormat } from './adapter.js';

const alertField = CanonicalAlert.shape;

const EntityValue = z.union([z.string(), z.number(), z.boolean(), z.null()], {
  error: 'expected a string, number or boolean; an entity is one value such as a host name or an address',
});

/**
 * Canonical-shaped input, as detectors or upstream tools write it. It is the canonical alert with
 * leniency where writers differ: id, category, entities and tags may be absent (or null); time may
 * be ISO-8601 or epoch; severity may be any recognized word or a 0–10 number; entity values may be
 * numbers or booleans. Unknown fields are errors, so a misspelt field cannot go unnoticed.
 * `severityOriginal` and `raw` are accepted so alertgate's own output can be read back unchanged.
 */
export const CanonicalInput = strictObject(
  {
    id: alertField.id.nullish(),
    time: z.union([z.string(), z.number()], {
      error: 'expected an ISO-8601 string or epoch seconds or milliseconds',
    }),
    source: alertField.source,
    name: alertField.name,
    severity: z.union([z.string(), z.number()], { error: 'expected a severity word or a number from 0 to 10' }),
    severityOriginal: alertField.severityOriginal.optional(),
    category: alertField.category.nullish(),
    // Same as z.record(z.string(), EntityValue), which zod 4.6 validates about half as fast.
    entities: z.object({}).catchall(EntityValue).nullish(),
    tags: alertField.tags.nullish(),
    raw: alertField.raw.optional(),
  },
  '; for other shapes use --format generic with a --map mapping file',
);
export type CanonicalInput = z.infer<typeof CanonicalInput>;

type EntityInput = NonNullable<CanonicalInput['entities']>;

export const canonicalFormat: SingleAlertFormat = {
  name: 'canonical',

  // The four fields every canonical alert must have; no other supported format has all four at the top level.
  sniff: (obj) =>
    obj.time !== undefined && obj.source !== undefined && obj.name !== undefined && obj.severity !== undefined,

  // The common case skips zod: isPlainCanonical has proved what zod would (test/normalize/canonical-fast-path.test.ts).
  normalize: (obj, rawLine) => (isPlainCanonical(obj) ? canonicalAlert(obj, obj, rawLine) : normalizeWithSchema(obj, rawLine)),
};

/** The canonical format's result with zod validating the input: the path of record, and of every error message. */
export function normalizeWithSchema(obj: JsonObject, rawLine: string): AlertResult {
  const parsed = CanonicalInput.safeParse(obj);
  if (!parsed.success) {
    const reason = locateIssues(parsed.error.issues, obj)
      .map((p) => `${toPointer(p.path)}: ${p.message}`)
      .join('; ');
    return { ok: false, problem: 'schema', reason };
  }
  return canonicalAlert(parsed.data, obj, rawLine);
}

/** The alert of a valid input (`obj` is the record as read, `input` the same validated). */
function canonicalAlert(input: CanonicalInput, obj: JsonObject, rawLine: string): AlertResult {
  const timeMs = parseEventTime(input.time);
  if (typeof timeMs === 'string') return { ok: false, problem: 'bad_timestamp', reason: `/time: ${timeMs}` };
  const severity = parseSeverity(input.severity);
  if (severity === undefined) return { ok: false, problem: 'bad_severity', reason: `/severity: ${unknownSeverityMessage(input.severity)}` };
  return {
    ok: true,
    format: 'canonical',
    timeMs,
    alert: {
      id: input.id ?? deterministicId(rawLine),
      time: eventTimeText(input.time, timeMs),
      source: input.source,
      name: input.name,
      severity,
      // Read-back output already carries the detector's original; keep it rather than the normalized word.
      severityOriginal: input.severityOriginal !== undefined ? input.severityOriginal : input.severity,
      category: input.category ?? DEFAULT_CATEGORY,
      // Copies, so the alert never shares entities or tags with raw (the input object). Read from the
      // record itself: zod's copy loses an entity named "__proto__".
      entities: input.entities ? entitiesAsText(obj.entities as EntityInput) : {},
      tags: input.tags ? input.tags.slice() : [],
      // Read-back output keeps the detector's record; otherwise the input is the raw record.
      raw: input.raw !== undefined ? input.raw : obj,
    },
  };
}

const CANONICAL_KEYS: ReadonlySet<string> = new Set(Object.keys(CanonicalInput.shape));

const isAbsent = (v: unknown) => v === undefined || v === null;
const isText = (v: unknown) => typeof v === 'string' && v.length > 0;
const isStringOrFinite = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
/** EntityValue's types; JSON has no NaN, but 1e999 parses to Infinity, which zod refuses. */
const isEntityValue = (v: unknown) => isStringOrFinite(v) || typeof v === 'boolean' || v === null;

/**
 * The common case checked without zod, for speed: every field plainly of its CanonicalInput type, no
 * unknown keys, entity values strings, finite numbers, booleans or null. It is conservative: anything else goes through zod,
 * which stays the validator of record and the source of every error message. A property test checks
 * that whatever passes here, zod accepts too, and that both paths give the same alert.
 */
export function isPlainCanonical(obj: JsonObject): obj is JsonObject & CanonicalInput {
  for (const key in obj) if (!CANONICAL_KEYS.has(key)) return false;
  const { id, time, source, name, severity, severityOriginal, category, entities, tags } = obj;
  if (!(isAbsent(id) || (typeof id === 'string' && id.length > 0 && id.length <= MAX_ALERT_ID_CHARS && id.isWellFormed()))) return false;
  if (!isStringOrFinite(time) || !isText(source) || !isText(name) || !isStringOrFinite(severity)) return false;
  if (!(severityOriginal === undefined || severityOriginal === null || isStringOrFinite(severityOriginal))) return false;
  if (!(isAbsent(category) || typeof category === 'string')) return false;
  if (!isAbsent(entities)) {
    if (typeof entities !== 'object' || Array.isArray(entities)) return false;
    for (const kind in entities as object) if (!isEntityValue((entities as Record<string, unknown>)[kind])) return false;
  }
  if (!isAbsent(tags)) {
    if (!Array.isArray(tags)) return false;
    for (const tag of tags) if (typeof tag !== 'string') return false;
  }
  return true;
}

/** A copy of the entities with values as strings, null ones dropped. */
function entitiesAsText(entities: EntityInput): Record<string, string> {
  const text: Record<string, string> = {};
  for (const kind in entities) {
    const value = entities[kind];
    if (value === null || value === undefined) continue;
    const asText = typeof value === 'string' ? value : String(value);
    // JSON.parse makes "__proto__" an own key; assigning it would set the prototype and lose the entity.
    if (kind === '__proto__') Object.defineProperty(text, kind, { value: asText, enumerable: true, writable: true, configurable: true });
    else text[kind] = asText;
  }
  return text;
}
