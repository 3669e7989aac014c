import { alertIdProblem, type Severity } from '../alert.js';
import { jsonType, quote, toPointer } from '../describe.js';
import { deterministicId } from '../id.js';
import type { Mapping, PathSpec, SeveritySpec, TagsSpec, TextSpec } from '../mapping.js';
import { parseSeverity, unknownSeverityMessage } from '../severity.js';
import { eventTimeText, parseEventTime } from '../time.js';
import { DEFAULT_CATEGORY, type FormatAdapter, type JsonObject, type NormalizeFailure, type NormalizeProblem, type NormalizeResult } from './adapter.js';

/** One canonical field's mapping, compiled once so that reading it per alert is a few property lookups. */
interface FieldReader<Value> {
  /** The canonical field, for messages: `severity`, `entities.src_ip`. */
  readonly field: string;
  /** Dot paths split into keys, in the order they are tried. */
  readonly paths: readonly (readonly string[])[];
  readonly constant: Value | undefined;
  readonly map: ReadonlyMap<string, Value> | undefined;
}

/** A field that cannot be read. It is the adapter's failure result too, so it is returned as is. */
class FieldFailure implements NormalizeFailure {
  readonly ok = false;
  constructor(
    readonly problem: NormalizeProblem,
    readonly reason: string,
  ) {}
}

/** The `generic` format: any JSON object, read through a mapping (see docs/formats.md). */
export function genericFormat(mapping: Mapping): FormatAdapter {
  const id = mapping.id === undefined ? undefined : compileField<string>('id', mapping.id);
  const time = compileField<string>('time', mapping.time);
  const source = compileField('source', mapping.source);
  const name = compileField('name', mapping.name);
  const severity = compileField<Severity>('severity', mapping.severity);
  const category = mapping.category === undefined ? undefined : compileField('category', mapping.category);
  const entities = Object.entries(mapping.entities ?? {}).map(
    ([kind, spec]) => [kind, compileField(`entities.${kind}`, spec)] as const,
  );
  const tags = mapping.tags === undefined ? undefined : compileField<readonly string[]>('tags', mapping.tags);

  return {
    name: 'generic',
    // The fallback for any object: the mapping says how to read it, and what it cannot find becomes a reason.
    sniff: () => true,

    normalize(obj: JsonObject, rawLine: string): NormalizeResult {
      const timeValue = read(obj, time);
      if (timeValue === undefined) return missing(time);
      const timeMs = parseEventTime(timeValue);
      if (typeof timeMs === 'string') return failure(obj, time, timeMs, 'bad_timestamp');
      const sourceText = requiredText(obj, source);
      if (sourceText instanceof FieldFailure) return sourceText;
      const nameText = requiredText(obj, name);
      if (nameText instanceof FieldFailure) return nameText;
      const original = read(obj, severity);
      const severityWord = readSeverity(obj, severity, original);
      if (severityWord instanceof FieldFailure) return severityWord;
      const idText = id === undefined ? undefined : readId(obj, id);
      if (idText instanceof FieldFailure) return idText;
      const categoryText = category === undefined ? undefined : readText(obj, category);
      if (categoryText instanceof FieldFailure) return categoryText;
      const entityValues: Record<string, string> = {};
      for (const [kind, reader] of entities) {
        const value = readText(obj, reader);
        if (value instanceof FieldFailure) return value;
        if (value !== undefined) entityValues[kind] = value;
      }
      const tagList = tags === undefined ? [] : readTags(obj, tags);
      if (tagList instanceof FieldFailure) return tagList;
      return {
        ok: true,
        format: 'generic',
        timeMs,
        alert: {
          id: idText ?? deterministicId(rawLine),
          time: eventTimeText(timeValue, timeMs),
          source: sourceText,
          name: nameText,
          severity: severityWord,
          // A constant severity is the mapping's, not the detector's: there is no original.
          severityOriginal: severity.constant !== undefined ? null : (original as string | number),
          category: categoryText ?? DEFAULT_CATEGORY,
          entities: entityValues,
          tags: tagList,
          raw: obj,
        },
      };
    },
  };
}

function compileField<Value = string>(field: string, spec: PathSpec | TextSpec | SeveritySpec | TagsSpec): FieldReader<Value> {
  const full = typeof spec === 'string' || Array.isArray(spec) ? { path: spec } : spec;
  const paths = full.path === undefined ? [] : typeof full.path === 'string' ? [full.path] : full.path;
  return {
    field,
    paths: paths.map((p) => p.split('.')),
    constant: 'const' in full ? (full.const as Value | undefined) : undefined,
    map: 'map' in full && full.map !== undefined ? new Map(Object.entries(full.map) as [string, Value][]) : undefined,
  };
}

/** The field's value: the constant, or the first of its paths that is present (null counts as absent). */
function read(obj: JsonObject, reader: FieldReader<unknown>): unknown {
  if (reader.constant !== undefined) return reader.constant;
  for (const path of reader.paths) {
    const value = valueAt(obj, path);
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

function valueAt(obj: JsonObject, path: readonly string[]): unknown {
  let value: unknown = obj;
  for (const key of path) {
    // Own properties only: a path such as `constructor` must not find Object.prototype's.
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as JsonObject)[key];
  }
  return value;
}

/** The value after the field's map, if it has one. */
function readMapped(obj: JsonObject, reader: FieldReader<string>): unknown {
  const value = read(obj, reader);
  if (value === undefined || reader.map === undefined) return value;
  return reader.map.get(String(value)) ?? notInMap(obj, reader, value);
}

function readText(obj: JsonObject, reader: FieldReader<string>): string | undefined | FieldFailure {
  const value = readMapped(obj, reader);
  if (value === undefined || typeof value === 'string' || value instanceof FieldFailure) return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return failure(obj, reader, `expected a string, number or boolean, got ${jsonType(value)}`);
}

function requiredText(obj: JsonObject, reader: FieldReader<string>): string | FieldFailure {
  const text = readText(obj, reader);
  if (text === undefined) return missing(reader);
  return text === '' ? failure(obj, reader, 'is empty') : text;
}

function readId(obj: JsonObject, reader: FieldReader<string>): string | undefined | FieldFailure {
  const text = readText(obj, reader);
  if (typeof text !== 'string') return text;
  const problem = alertIdProblem(text);
  return problem === undefined ? text : failure(obj, reader, problem);
}

function readSeverity(obj: JsonObject, reader: FieldReader<Severity>, original: unknown): Severity | FieldFailure {
  if (reader.constant !== undefined) return reader.constant;
  if (original === undefined) return missing(reader);
  if (typeof original !== 'string' && typeof original !== 'number') {
    return failure(obj, reader, `expected a severity word or number, got ${jsonType(original)}`, 'bad_severity');
  }
  if (reader.map !== undefined) return reader.map.get(String(original)) ?? notInMap(obj, reader, original, 'bad_severity');
  return parseSeverity(original) ?? failure(obj, reader, unknownSeverityMessage(original), 'bad_severity');
}

function readTags(obj: JsonObject, reader: FieldReader<readonly string[]>): string[] | FieldFailure {
  // A copy of the constant: each alert gets its own array, as a stage may add tags.
  if (reader.constant !== undefined) return reader.constant.slice();
  const value = read(obj, reader);
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((tag) => typeof tag === 'string')) return value.slice() as string[];
  return failure(obj, reader, `expected a tag string or a list of tag strings, got ${quote(value)}`);
}

/** `/alert/signature (name): <message>`: the input place that was read, then the canonical field. */
function failure(obj: JsonObject, reader: FieldReader<unknown>, message: string, problem: NormalizeProblem = 'schema'): FieldFailure {
  return new FieldFailure(problem, `${where(obj, reader)} (${reader.field}): ${message}`);
}

function missing(reader: FieldReader<unknown>): FieldFailure {
  const tried = reader.paths.map((path) => toPointer(path)).join(' or ');
  return new FieldFailure('schema', `${tried} (${reader.field}): missing; every alert needs one, check the mapping's ${reader.field} paths`);
}

function notInMap(obj: JsonObject, reader: FieldReader<unknown>, value: unknown, problem: NormalizeProblem = 'schema'): FieldFailure {
  const known = [...(reader.map?.keys() ?? [])].join(', ');
  return failure(obj, reader, `${quote(value)} is not in the mapping's ${reader.field}.map (${known}); add it there`, problem);
}

/** The pointer of the path the value was read from (the first present one). Constants never fail, so there is one. */
function where(obj: JsonObject, reader: FieldReader<unknown>): string {
  const present = reader.paths.find((path) => {
    const value = valueAt(obj, path);
    return value !== undefined && value !== null;
  });
  return toPointer(present ?? reader.paths[0] ?? []);
}
