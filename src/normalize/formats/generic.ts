import { alertIdProblem, type Severity } from '../alert.js';
import { jsonType, quote, toPointer } from '../describe.js';
import { compileFieldPath, fieldPath, fieldPathKeys, nestedKeys, type FieldPath, type FieldPathReader } from '../field-path.js';
import { deterministicId } from '../id.js';
import type { Mapping, PathSpec, SeveritySpec, TagsSpec, TextSpec } from '../mapping.js';
import { parseSeverity, unknownSeverityMessage } from '../severity.js';
import { eventTimeText, parseEventTime } from '../time.js';
import { compileValueMap, notInMapMessage, type ValueMap } from '../value-map.js';
import {
  DEFAULT_CATEGORY,
  type AlertResult,
  type FormatName,
  type JsonObject,
  type NormalizeFailure,
  type NormalizeProblem,
  type SingleAlertFormat,
} from './adapter.js';

/** One canonical field's mapping, compiled once so that reading it per alert is a few property lookups. */
interface FieldReader<Value> {
  /** The canonical field, for messages and absence counts: `severity`, `entities.src_ip`. */
  readonly field: string;
  /** The paths in the order they are tried. */
  readonly paths: readonly FieldPath[];
  readonly readers: readonly FieldPathReader[];
  readonly constant: Value | undefined;
  readonly map: ValueMap<Value> | undefined;
  /** Stands in when no path is present, or the value read cannot be translated. */
  readonly fallback: Value | undefined;
}

/** A field that cannot be read. It is the adapter's failure result too, so it is returned as is. */
class FieldFailure implements NormalizeFailure {
  readonly ok = false;
  constructor(
    readonly problem: NormalizeProblem,
    readonly reason: string,
  ) {}
}

/** Where a record sits inside the input line (`/alerts/3` for an element of a payload), for reasons. */
type Base = readonly PropertyKey[];
const ROOT: Base = [];

/** A mapping compiled for reading objects; `read` gives one alert or a reason. */
export interface MappingReader {
  /**
   * `base`: the pointer of `obj` inside the input line (empty for a whole record). An alert lists
   * the fields none of whose paths was present (`absent`: optional and defaulted fields only, since
   * a required one makes a dead letter).
   */
  read(obj: JsonObject, rawLine: string, base?: Base): AlertResult;
}

/** The `generic` format: any JSON object, read through the user's mapping (see docs/formats.md). */
export function genericFormat(mapping: Mapping): SingleAlertFormat {
  // The fallback for any object: the mapping says how to read it, and what it cannot find becomes a reason.
  const reader = compileMapping('generic', mapping);
  return mappedFormat('generic', () => reader, () => true);
}

/** A format that is a mapping: the generic format, and the built-in formats whose reading is a fixed mapping. */
export function mappedFormat(name: FormatName, reader: () => MappingReader, sniff: (obj: JsonObject) => boolean): SingleAlertFormat {
  return { name, sniff, normalize: (obj, rawLine) => reader().read(obj, rawLine) };
}

export function compileMapping(format: FormatName, mapping: Mapping): MappingReader {
  const id = mapping.id === undefined ? undefined : compileField<string>('id', mapping.id);
  const time = compileField<string>('time', mapping.time);
  const source = compileField('source', mapping.source);
  const name = compileField('name', mapping.name);
  const severity = compileField<Severity>('severity', mapping.severity);
  const category = mapping.category === undefined ? undefined : compileField('category', mapping.category);
  const entities = Object.entries(mapping.entities ?? {}).map(([kind, spec]) => [kind, compileField(`entities.${kind}`, spec)] as const);
  const tags = mapping.tags === undefined ? undefined : compileField<readonly string[]>('tags', mapping.tags);
  return {
    read(obj: JsonObject, rawLine: string, base: Base = ROOT): AlertResult {
      let absent: string[] | undefined;
      // The field's value from the input, noting it when no path is present.
      const take = (reader: FieldReader<unknown>): unknown => {
        const value = read(obj, reader);
        if (value === undefined) (absent ??= []).push(reader.field);
        return value;
      };
      const timeValue = read(obj, time);
      if (timeValue === undefined) return missing(time, base);
      const timeMs = parseEventTime(timeValue);
      if (typeof timeMs === 'string') return failure(obj, time, base, timeMs, 'bad_timestamp');
      const sourceText = requiredText(obj, source, base, take(source));
      if (sourceText instanceof FieldFailure) return sourceText;
      const nameText = requiredText(obj, name, base, take(name));
      if (nameText instanceof FieldFailure) return nameText;
      const original = take(severity);
      const severityWord = readSeverity(obj, severity, original, base);
      if (severityWord instanceof FieldFailure) return severityWord;
      const idText = id === undefined ? undefined : readId(obj, id, base, take(id));
      if (idText instanceof FieldFailure) return idText;
      const categoryText = category === undefined ? undefined : toText(obj, category, base, take(category));
      if (categoryText instanceof FieldFailure) return categoryText;
      const entityValues: Record<string, string> = {};
      for (const [kind, reader] of entities) {
        const value = toText(obj, reader, base, take(reader));
        if (value instanceof FieldFailure) return value;
        if (value !== undefined) entityValues[kind] = value;
      }
      const tagList = tags === undefined ? [] : readTags(obj, tags, base, take(tags));
      if (tagList instanceof FieldFailure) return tagList;
      return {
        ok: true,
        format,
        timeMs,
        alert: {
          id: idText ?? deterministicId(rawLine),
          time: eventTimeText(timeValue, timeMs),
          source: sourceText,
          name: nameText,
          severity: severityWord,
          // A constant or default severity is the mapping's, not the detector's: there is no original.
          severityOriginal: severity.constant !== undefined || original === undefined ? null : (original as string | number),
          category: categoryText ?? DEFAULT_CATEGORY,
          entities: entityValues,
          tags: tagList,
          raw: obj,
        },
        absent,
      };
    },
  };
}

function compileField<Value = string>(field: string, spec: PathSpec | TextSpec | SeveritySpec | TagsSpec): FieldReader<Value> {
  const full = typeof spec === 'string' || Array.isArray(spec) ? { path: spec } : spec;
  const texts = full.path === undefined ? [] : typeof full.path === 'string' ? [full.path] : full.path;
  const paths = texts.map(fieldPath);
  return {
    field,
    paths,
    readers: paths.map((p) => compileFieldPath(p)),
    constant: 'const' in full ? (full.const as Value | undefined) : undefined,
    map: 'map' in full && full.map !== undefined ? compileValueMap(full.map as Record<string, Value>) : undefined,
    fallback: 'default' in full ? (full.default as Value | undefined) : undefined,
  };
}

/** The field's value: the constant, or the first of its paths that is present (null counts as absent). */
function read(obj: JsonObject, reader: FieldReader<unknown>): unknown {
  if (reader.constant !== undefined) return reader.constant;
  for (const readPath of reader.readers) {
    const value = readPath(obj);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A value read (or undefined) after the field's map and default, as text. */
function toText(obj: JsonObject, reader: FieldReader<string>, base: Base, value: unknown): string | undefined | FieldFailure {
  const mapped =
    value === undefined ? reader.fallback
    : reader.map === undefined ? value
    : (reader.map.lookup(value) ?? reader.fallback ?? notInMap(obj, reader, base, value));
  if (mapped === undefined || typeof mapped === 'string' || mapped instanceof FieldFailure) return mapped;
  if (typeof mapped === 'number' || typeof mapped === 'boolean') return String(mapped);
  return failure(obj, reader, base, `expected a string, number or boolean, got ${jsonType(mapped)}`);
}

function requiredText(obj: JsonObject, reader: FieldReader<string>, base: Base, value: unknown): string | FieldFailure {
  const text = toText(obj, reader, base, value);
  if (text === undefined) return missing(reader, base);
  return text === '' ? failure(obj, reader, base, 'is empty') : text;
}

function readId(obj: JsonObject, reader: FieldReader<string>, base: Base, value: unknown): string | undefined | FieldFailure {
  const text = toText(obj, reader, base, value);
  if (typeof text !== 'string') return text;
  const problem = alertIdProblem(text);
  return problem === undefined ? text : failure(obj, reader, base, problem);
}

function readSeverity(obj: JsonObject, reader: FieldReader<Severity>, original: unknown, base: Base): Severity | FieldFailure {
  if (reader.constant !== undefined) return reader.constant;
  if (original === undefined) return reader.fallback ?? missing(reader, base);
  if (typeof original !== 'string' && typeof original !== 'number') {
    return failure(obj, reader, base, `expected a severity word or number, got ${jsonType(original)}`, 'bad_severity');
  }
  if (reader.map !== undefined) return reader.map.lookup(original) ?? reader.fallback ?? notInMap(obj, reader, base, original, 'bad_severity');
  return parseSeverity(original) ?? reader.fallback ?? failure(obj, reader, base, unknownSeverityMessage(original), 'bad_severity');
}

function readTags(obj: JsonObject, reader: FieldReader<readonly string[]>, base: Base, value: unknown): string[] | FieldFailure {
  // A copy of the constant: each alert gets its own array, as a stage may add tags.
  if (reader.constant !== undefined) return reader.constant.slice();
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((tag) => typeof tag === 'string')) return value.slice() as string[];
  return failure(obj, reader, base, `expected a tag string or a list of tag strings, got ${quote(value)}`);
}

/** `/alert/signature (name): <message>`: the input place that was read, then the canonical field. */
function failure(obj: JsonObject, reader: FieldReader<unknown>, base: Base, message: string, problem: NormalizeProblem = 'schema'): FieldFailure {
  return new FieldFailure(problem, `${where(obj, reader, base)} (${reader.field}): ${message}`);
}

function missing(reader: FieldReader<unknown>, base: Base): FieldFailure {
  const tried = reader.paths.map((path) => toPointer([...base, ...nestedKeys(path)])).join(' or ');
  return new FieldFailure('schema', `${tried} (${reader.field}): missing; every alert needs one, check the mapping's ${reader.field} paths`);
}

function notInMap(obj: JsonObject, reader: FieldReader<unknown>, base: Base, value: unknown, problem: NormalizeProblem = 'schema'): FieldFailure {
  return failure(obj, reader, base, notInMapMessage(value, reader.field, reader.map!), problem);
}

/** The pointer of the keys the value was read through (the first present path). Constants never fail, so there is one. */
function where(obj: JsonObject, reader: FieldReader<unknown>, base: Base): string {
  for (const path of reader.paths) {
    const keys = fieldPathKeys(obj, path);
    if (keys !== undefined) return toPointer([...base, ...keys]);
  }
  return toPointer([...base, ...(reader.paths[0] === undefined ? [] : nestedKeys(reader.paths[0]))]);
}
