import { readFile } from 'node:fs/promises';
import type { Document, Node } from 'yaml';
import { z } from 'zod';
import { yamlLibrary, yamlValue } from '../config/yaml-value.js';
import { Severity } from './alert.js';
import { toPointer } from './describe.js';
import { parseFieldPath } from './field-path.js';
import { locateIssues, strictObject } from './schema-errors.js';
import { valueMapProblems } from './value-map.js';

/**
 * The mapping file of the `generic` format: for each canonical field, where its value is in the
 * input object. docs/formats.md is the reference; fixtures/mappings/ has examples.
 */

/** `alert.signature`, `id.orig_h`, `output_fields["proc.name"]`: see field-path.ts and docs/formats.md. */
const FieldPathText = z.string().superRefine((text, ctx) => {
  const parsed = parseFieldPath(text);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});
const PATHS_HINT = 'a field path such as alert.signature, or a list of them (the first present wins)';
const Paths = z.union([FieldPathText, z.array(FieldPathText).min(1)], { error: `expected ${PATHS_HINT}` });

/** Fields read only from the input: `time: timestamp`, `[timestamp, "@timestamp"]` or `{path: ...}`. */
const PathSpec = z.union([FieldPathText, z.array(FieldPathText).min(1), strictObject({ path: Paths })], {
  error: `expected ${PATHS_HINT}, or {path}`,
});

/** `{from: to}` with exact keys and `lo-hi` ranges (value-map.ts); bad bounds and overlaps are errors at their key. */
function valueMap<Value extends z.ZodType>(value: Value) {
  return z.record(z.string(), value).superRefine((map, ctx) => {
    for (const { key, message } of valueMapProblems(Object.keys(map))) ctx.addIssue({ code: 'custom', message, path: [key] });
  });
}

/**
 * Fields that may also be constants and may translate values: `{path, map, default}` or `{const}`.
 * `default` stands in when no path is present or the value read cannot be translated.
 */
function valueSpec<Value extends z.ZodType>(value: Value) {
  return z.union(
    [
      FieldPathText,
      z.array(FieldPathText).min(1),
      strictObject({ path: Paths.optional(), map: valueMap(value).optional(), default: value.optional(), const: value.optional() })
        .refine((spec) => (spec.path === undefined) !== (spec.const === undefined), {
          error: 'give either path (read from the input) or const (the same for every alert)',
        })
        .refine((spec) => spec.const === undefined || (spec.map === undefined && spec.default === undefined), {
          error: 'map and default translate values read from path; with const, write the final value',
        }),
    ],
    { error: `expected ${PATHS_HINT}, {path, map, default} or {const}` },
  );
}

const TextSpec = valueSpec(z.string().min(1, { error: 'must not be empty' }));

const TagsSpec = z.union(
  [
    FieldPathText,
    z.array(FieldPathText).min(1),
    strictObject({ path: Paths.optional(), const: z.array(z.string().min(1)).optional() }).refine(
      (spec) => (spec.path === undefined) !== (spec.const === undefined),
      { error: 'give either path (read from the input) or const (a list of tags for every alert)' },
    ),
  ],
  { error: `expected ${PATHS_HINT}, {path} or {const: [tags]}` },
);

export const Mapping = strictObject({
  /** Absent: the id is a hash of the input line. */
  id: PathSpec.optional(),
  time: PathSpec,
  source: TextSpec,
  name: TextSpec,
  /** With `map`, every value the detector uses must be listed (or `default` set); otherwise words and 0–10 numbers are read. */
  severity: valueSpec(Severity),
  /** Absent: "other". */
  category: TextSpec.optional(),
  /** Entity kind → where its value is. */
  entities: z.record(z.string().min(1, { error: 'entity kinds must not be empty' }), TextSpec).optional(),
  tags: TagsSpec.optional(),
});
export type Mapping = z.infer<typeof Mapping>;
export type PathSpec = z.infer<typeof PathSpec>;
export type TextSpec = z.infer<typeof TextSpec>;
export type SeveritySpec = Mapping['severity'];
export type TagsSpec = z.infer<typeof TagsSpec>;

/** Reads and validates a mapping file; throws an Error listing every problem as `file: /pointer: message (line N)`. */
export async function loadMapping(file: string): Promise<Mapping> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read the mapping file (${code ?? String(err)}); check the --map path`);
  }
  return parseMapping(text, file);
}

/** parseMapping for text already read; `file` is used in messages. */
export function parseMapping(text: string, file: string): Mapping {
  const { LineCounter, parseDocument } = yamlLibrary();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new Error(
      doc.errors.map((e) => `${file}: ${e.message} (line ${lineCounter.linePos(e.pos[0]).line})`).join('\n'),
    );
  }
  const built = yamlValue(doc, lineCounter);
  if (!built.ok) throw new Error(`${file}: ${built.message}${built.line ? ` (line ${built.line})` : ''}`);
  const value = built.value;
  const parsed = Mapping.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = locateIssues(parsed.error.issues, value)
    .map((p) => ({ ...p, line: lineCounter.linePos(offsetOf(doc, p.path)).line }))
    // In file order, as the user will fix them.
    .sort((a, b) => a.line - b.line)
    .map((p) => `${file}: ${toPointer(p.path)}: ${p.message} (line ${p.line})`);
  throw new Error(problems.join('\n'));
}

/**
 * Where a path is in the YAML source: the key's position for a map entry (that is the line a reader
 * looks for), the item's for a list element, the nearest existing parent's when the path is absent.
 */
function offsetOf(doc: Document, path: readonly PropertyKey[]): number {
  const { isMap, isScalar, isSeq } = yamlLibrary();
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (pair === undefined) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(key)] as Node | undefined;
      if (item === undefined) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}
