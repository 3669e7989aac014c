import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Document, LineCounter } from 'yaml';
import type { z } from 'zod';
import { yamlLibrary, yamlValue } from '../config/yaml-value.js';
import { locateIssues } from '../normalize/schema-errors.js';
import { toPointer, type RuleProblem } from './problems.js';

/** One rule-file object (a rule, an exception or named conditions), with what locating its errors needs. */
export interface RuleDocument {
  readonly file: string;
  /** Path of this object inside its file: [] for a single document, [i] for the i-th of a list or multi-document file. */
  readonly base: readonly (string | number)[];
  readonly value: unknown;
  /** Line of a path inside this object, or of its nearest existing ancestor. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

const RULE_FILE = /\.(ya?ml|json)$/i;
/** Rule scenario tests live beside the rules but are not rules. */
const SKIPPED_DIRS = new Set(['tests', 'node_modules']);

/** Whether a file name is a rule file's: *.yaml, *.yml or *.json. */
export const isRuleFileName = (name: string): boolean => RULE_FILE.test(name);

/** The rule files under `dir`, in path order. Regular files only: symbolic links are not followed. */
export async function listRuleFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && isRuleFileName(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => !relative(dir, file).split(/[\\/]/).slice(0, -1).some((d) => SKIPPED_DIRS.has(d)))
    .sort();
}

/** How rule files are read: the file system, or (tests) something that can fail in between. */
export type ReadText = (file: string) => Promise<string>;
const readText: ReadText = (file) => readFile(file, 'utf8');

/**
 * Parses one YAML/JSON file into its objects. Never throws: a file that cannot be read (deleted or
 * moved since it was listed), syntax errors, alias bombs and cyclic aliases become located problems.
 */
export async function readRuleFile(file: string, problems: RuleProblem[], read: ReadText = readText): Promise<RuleDocument[]> {
  let text: string;
  try {
    text = await read(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push({ file, pointer: '', message: `cannot read the file (${code ?? (err as Error).message})${code === 'ENOENT' ? ': it was removed or renamed while the rules were loading; the next load reads the directory as it is then' : ''}` });
    return [];
  }
  const json = JSON_FILE.test(file) ? jsonDocuments(file, text) : undefined;
  if (json) return json;
  const { isSeq, LineCounter, parseAllDocuments } = yamlLibrary();
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  const out: RuleDocument[] = [];
  const docList = Array.isArray(docs) ? docs : [docs];
  const nonEmpty = docList.filter((d) => d.contents !== null);
  for (const [docIndex, doc] of nonEmpty.entries()) {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        problems.push({ file, pointer: '', message: `syntax: ${err.message.split('\n')[0]}`, line: err.linePos?.[0].line });
      }
      continue;
    }
    const built = yamlValue(doc, lineCounter);
    if (!built.ok) {
      problems.push({ file, pointer: '', message: built.message, line: built.line });
      continue;
    }
    const lineOf = (docPath: readonly PropertyKey[]) => nodeLine(doc, lineCounter, docPath);
    if (isSeq(doc.contents)) {
      (built.value as unknown[]).forEach((item, i) => out.push({ file, base: [i], value: item, lineOf: (p) => lineOf([i, ...p]) }));
    } else {
      out.push({ file, base: nonEmpty.length > 1 ? [docIndex] : [], value: built.value, lineOf });
    }
  }
  return out;
}

const JSON_FILE = /\.json$/i;

/**
 * A .json file read with JSON.parse, many times faster than the YAML parser (which reads the same
 * text to the same values: JSON is YAML): a 50-rule file starts ~0.1 s sooner. Undefined, for the
 * YAML path to read and report, when JSON.parse refuses the text or an object has a key twice (JSON.parse
 * keeps the last, the YAML parser reports it). Lines are found with the YAML parser, only when a
 * problem needs one.
 */
function jsonDocuments(file: string, text: string): RuleDocument[] | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
    if (keysInValue(value) !== keysInText(text)) return undefined;
  } catch {
    // Not JSON (the YAML parser says where), or nested too deep to count.
    return undefined;
  }
  let lines: ((path: readonly PropertyKey[]) => number | undefined) | undefined;
  const lineOf = (path: readonly PropertyKey[]) => (lines ??= yamlLines(text))(path);
  if (Array.isArray(value)) return value.map((item, i) => ({ file, base: [i], value: item, lineOf: (p) => lineOf([i, ...p]) }));
  return [{ file, base: [], value, lineOf }];
}

function yamlLines(text: string): (path: readonly PropertyKey[]) => number | undefined {
  const { LineCounter, parseAllDocuments } = yamlLibrary();
  const lineCounter = new LineCounter();
  const [doc] = parseAllDocuments(text, { lineCounter }) as Document[];
  return (path) => (doc ? nodeLine(doc, lineCounter, path) : undefined);
}

/** Every string of a JSON text, whole, with the colon after it when it is a key (outside strings JSON has no quotes). */
const JSON_STRING = /"(?:[^"\\]|\\.)*"(\s*:)?/g;

/** Object keys as written in a JSON text that JSON.parse accepted. */
function keysInText(text: string): number {
  let keys = 0;
  for (const match of text.matchAll(JSON_STRING)) if (match[1] !== undefined) keys++;
  return keys;
}

/** Object keys in a parsed JSON value: fewer than in its text when a key came twice. */
function keysInValue(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let keys = 0;
  if (Array.isArray(value)) for (const item of value) keys += keysInValue(item);
  else for (const key of Object.keys(value)) keys += 1 + keysInValue((value as Record<string, unknown>)[key]);
  return keys;
}

function nodeLine(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  // Missing keys (e.g. a required field) have no node: report the nearest ancestor that exists.
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

export function locate(doc: RuleDocument, path: readonly PropertyKey[], message: string): RuleProblem {
  return { file: doc.file, pointer: toPointer([...doc.base, ...path]), message, line: doc.lineOf(path) };
}

/** Validates a document against its zod schema; each issue becomes a located problem (undefined then). */
export function parseLocated<T>(doc: RuleDocument, schema: z.ZodType<T>, problems: RuleProblem[]): T | undefined {
  const parsed = schema.safeParse(doc.value);
  if (parsed.success) return parsed.data;
  // One problem per place, and a required key that is absent says "missing" (not "expected string, received undefined").
  for (const { path, message } of locateIssues(parsed.error.issues, doc.value)) problems.push(locate(doc, path, message));
  return undefined;
}
