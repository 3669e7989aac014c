import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { isMap, isSeq, LineCounter, parseAllDocuments, type Document } from 'yaml';
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

export async function listRuleFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && RULE_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((file) => !relative(dir, file).split(/[\\/]/).slice(0, -1).some((d) => SKIPPED_DIRS.has(d)))
    .sort();
}

/** Parses one YAML/JSON file into its objects; syntax errors become located problems. */
export async function readRuleFile(file: string, problems: RuleProblem[]): Promise<RuleDocument[]> {
  const text = await readFile(file, 'utf8');
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
    const lineOf = (docPath: readonly PropertyKey[]) => nodeLine(doc, lineCounter, docPath);
    if (isSeq(doc.contents)) {
      doc.contents.items.forEach((_, i) => {
        out.push(document(file, [i], doc.getIn([i]), (p) => lineOf([i, ...p])));
      });
    } else if (nonEmpty.length > 1) {
      out.push(document(file, [docIndex], doc.toJS(), lineOf));
    } else {
      out.push(document(file, [], doc.toJS(), lineOf));
    }
  }
  return out;
}

function document(file: string, base: (string | number)[], value: unknown, lineOf: RuleDocument['lineOf']): RuleDocument {
  const js = isMap(value) || isSeq(value) ? value.toJSON() : value;
  return { file, base, value: js, lineOf };
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
