import { createHash } from 'node:crypto';
import { appendFile, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isMap, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';
import type { Ledger } from '../ledger/ledger.js';
import type { TuningChange } from '../ledger/records.js';
import { loadRules } from '../rules/load.js';
import { formatProblem } from '../rules/problems.js';
import { durationText, parseDuration } from '../state/index.js';
import type { DisableProposal, JointProposal, PipelineEvidence, Proposal, WindowProposal } from './report.js';
import { ruleFilePath } from './rule-file-path.js';

/** A change could not be applied or reverted as asked; the message says why and what to do. */
export class TuningConflict extends Error {
  override name = 'TuningConflict';
}

interface Span {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** A change to one rule in its file: a param's value, or turning the rule off (`enabled: false`). */
export type RuleEdit = { readonly param: string; readonly value: number } | { readonly disable: true } | { readonly windowSize: string };

/**
 * Sets one param's value in a rule file and bumps the rule's version, touching nothing else: the two
 * scalars are replaced in the text at their source ranges (found with the yaml Document API), so
 * comments, quoting, flow style and layout stay byte for byte. Works for YAML and JSON rule files,
 * single rules, lists and multi-document files.
 */
export function editRuleText(text: string, ruleId: string, param: string, value: number): { text: string; from: number; versionBefore: number; versionAfter: number } {
  return editRule(text, ruleId, { param, value });
}

/**
 * A RuleEdit written into the text, with the version bumped. A param's value is replaced in place;
 * `enabled` too when the rule has it, else `enabled: false` is inserted on its own line after the
 * version (`, "enabled": false` after it in a flow map or JSON). `from` is the param's value before,
 * or for `enabled` 1 (on) or 0 (off).
 */
export function editRule(text: string, ruleId: string, edit: RuleEdit): { text: string; from: number; versionBefore: number; versionAfter: number } {
  const docs = parseAllDocuments(text);
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const base of rulePaths(doc)) {
      if (doc.getIn([...base, 'id']) !== ruleId) continue;
      const versionNode = doc.getIn([...base, 'version'], true);
      if (!isScalar(versionNode) || typeof versionNode.value !== 'number' || !versionNode.range) {
        throw new TuningConflict(`rule ${ruleId}: version is not a number in the file`);
      }
      const versionBefore = versionNode.value;
      const { span, from } = 'disable' in edit ? disableSpan(doc, base, text, ruleId, versionNode.range) : 'windowSize' in edit ? windowSpan(doc, base, text, ruleId, edit.windowSize) : paramSpan(doc, base, ruleId, edit);
      const spans: Span[] = [span, { start: versionNode.range[0], end: versionNode.range[1], text: String(versionBefore + 1) }].sort((a, b) => b.start - a.start);
      let out = text;
      for (const s of spans) out = out.slice(0, s.start) + s.text + out.slice(s.end);
      return { text: out, from, versionBefore, versionAfter: versionBefore + 1 };
    }
  }
  throw new TuningConflict(`rule ${ruleId} is not in the file`);
}

function paramSpan(doc: Document, base: (string | number)[], ruleId: string, edit: { param: string; value: number }): { span: Span; from: number } {
  const valueNode = doc.getIn([...base, 'params', edit.param, 'value'], true);
  if (!isScalar(valueNode) || typeof valueNode.value !== 'number' || !valueNode.range) {
    throw new TuningConflict(`rule ${ruleId}: params.${edit.param}.value is not a number in the file`);
  }
  return { span: { start: valueNode.range[0], end: valueNode.range[1], text: String(edit.value) }, from: valueNode.value };
}

/** `window.size` replaced in place, its quoting kept; `from` in milliseconds. */
function windowSpan(doc: Document, base: (string | number)[], text: string, ruleId: string, size: string): { span: Span; from: number } {
  const node = doc.getIn([...base, 'window', 'size'], true);
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) throw new TuningConflict(`rule ${ruleId}: window.size is not a duration in the file`);
  const source = text.slice(node.range[0], node.range[1]);
  return { span: { start: node.range[0], end: node.range[1], text: source.replace(node.value, size) }, from: parseDuration(node.value) };
}

function disableSpan(doc: Document, base: (string | number)[], text: string, ruleId: string, versionRange: readonly number[]): { span: Span; from: number } {
  const enabled = doc.getIn([...base, 'enabled'], true);
  if (enabled !== undefined) {
    if (!isScalar(enabled) || typeof enabled.value !== 'boolean' || !enabled.range) throw new TuningConflict(`rule ${ruleId}: enabled is not a boolean in the file`);
    return { span: { start: enabled.range[0], end: enabled.range[1], text: 'false' }, from: enabled.value ? 1 : 0 };
  }
  const map = base.length === 0 ? doc.contents : doc.getIn(base, true);
  const versionEnd = versionRange[1]!;
  if (isMap(map) && map.flow) return { span: { start: versionEnd, end: versionEnd, text: ', "enabled": false' }, from: 1 };
  // Block style: a line of its own after the version's line, at the version key's column.
  const pair = isMap(map) ? map.items.find((p) => isScalar(p.key) && p.key.value === 'version') : undefined;
  const keyStart = isScalar(pair?.key) && pair.key.range ? pair.key.range[0] : versionRange[0]!;
  const column = keyStart - (text.lastIndexOf('\n', keyStart - 1) + 1);
  const lineEnd = text.indexOf('\n', versionEnd);
  const line = `${' '.repeat(column)}enabled: false\n`;
  return lineEnd < 0 ? { span: { start: text.length, end: text.length, text: `\n${line}` }, from: 1 } : { span: { start: lineEnd + 1, end: lineEnd + 1, text: line }, from: 1 };
}

/** Where the objects of a document are: [] for a single object, [i] for each item of a list. */
function rulePaths(doc: Document): (string | number)[][] {
  if (isSeq(doc.contents)) return doc.contents.items.map((_, i) => [i]);
  if (isMap(doc.contents)) return [[]];
  return [];
}

export interface ApplyOptions {
  readonly rulesDir: string;
  readonly ledger: Ledger;
  readonly changelog: string;
  readonly author: string;
  readonly reason: string;
  readonly nowMs: number;
}

/** One change as it is written and recorded: what moves, and the evidence for it. */
interface PlannedChange {
  readonly ruleId: string;
  readonly file: string;
  /** The rule's version the proposal was computed from. */
  readonly version: number;
  readonly param: string;
  readonly from: number;
  readonly to: number;
  readonly edit: RuleEdit;
  readonly evidence: Record<string, unknown>;
  /** The changelog's evidence lines. */
  readonly evidenceLines: readonly string[];
}

/**
 * Applies one proposal: checks that the file still says what the proposal was computed from, checks
 * that the whole rules directory is valid with the change (on a copy), writes the file atomically
 * (a running worker's watcher then reloads it), records the change in the ledger and appends it to
 * the changelog. If the ledger cannot record it, the file is put back.
 */
export function applyProposal(p: Proposal, options: ApplyOptions): Promise<TuningChange> {
  return applyChange(
    {
      ruleId: p.ruleId,
      file: p.file,
      version: p.version,
      param: p.param,
      from: p.from,
      to: p.to,
      edit: { param: p.param, value: p.to },
      evidence: { ...p },
      evidenceLines: [
        `- evidence: ${p.falsePositiveRemoved} of ${p.falsePositiveTotal} false-positive incidents removed, ${p.truePositiveKept} of ${p.truePositiveTotal} true positives kept; incidents/day ${p.incidentsPerDayBefore} → ${p.incidentsPerDayAfter}`,
        ...pipelineLines(p.pipeline),
      ],
    },
    options,
  );
}

/** Applies a disable proposal: `enabled: false` and the version bumped, recorded as param `enabled` from 1 to 0. */
export function applyDisable(p: DisableProposal, options: ApplyOptions): Promise<TuningChange> {
  return applyChange(
    { ruleId: p.ruleId, file: p.file, version: p.version, param: 'enabled', from: 1, to: 0, edit: { disable: true }, evidence: { ...p }, evidenceLines: [`- evidence: ${p.reason}`, ...pipelineLines(p.pipeline)] },
    options,
  );
}

/**
 * Applies a joint proposal as one change per param, in order, each bumping the version (the second is
 * computed from the first's result): each is recorded and reverted on its own (the later one first).
 */
export async function applyJoint(p: JointProposal, options: ApplyOptions): Promise<TuningChange[]> {
  const changes: TuningChange[] = [];
  const together = `- together with ${p.changes.map((c) => `${c.param} ${c.from} → ${c.to}`).join(' and ')} (a joint change: neither alone was accepted)`;
  for (const [i, c] of p.changes.entries()) {
    const evidenceLines = [together, ...pipelineLines(p.pipeline)];
    changes.push(await applyChange({ ruleId: p.ruleId, file: p.file, version: p.version + i, param: c.param, from: c.from, to: c.to, edit: { param: c.param, value: c.to }, evidence: { ...p }, evidenceLines }, options));
  }
  return changes;
}

/** Applies a window proposal: `window.size` and the version, recorded as param `window.size` in milliseconds. */
export function applyWindow(p: WindowProposal, options: ApplyOptions): Promise<TuningChange> {
  return applyChange(
    { ruleId: p.ruleId, file: p.file, version: p.version, param: 'window.size', from: parseDuration(p.from), to: parseDuration(p.to), edit: { windowSize: p.to }, evidence: { ...p }, evidenceLines: pipelineLines(p.pipeline) },
    options,
  );
}

function pipelineLines(pipeline: PipelineEvidence | undefined): string[] {
  return pipeline
    ? [
        `- across the whole pipeline: false-positive incidents ${pipeline.falsePositiveBefore} → ${pipeline.falsePositiveAfter}, incidents ${pipeline.incidentsBefore} → ${pipeline.incidentsAfter}, ${pipeline.truePositiveSurvived} of ${pipeline.truePositiveTotal} confirmed true positives survive`,
      ]
    : [];
}

async function applyChange(planned: PlannedChange, options: ApplyOptions): Promise<TuningChange> {
  const file = await ruleFilePath(options.rulesDir, planned.file);
  const beforeText = await readFile(file, 'utf8');
  const edit = editRule(beforeText, planned.ruleId, planned.edit);
  if (edit.from !== planned.from || edit.versionBefore !== planned.version) {
    throw new TuningConflict(
      `${file}: rule ${planned.ruleId} changed since the proposal (now version ${edit.versionBefore}, ${planned.param} ${edit.from}); run the tuner again`,
    );
  }
  await checkValid(options.rulesDir, planned.file, edit.text);
  const id = `tc-${createHash('sha256').update(JSON.stringify([planned.ruleId, planned.param, planned.from, planned.to, options.nowMs, sha(beforeText)])).digest('hex').slice(0, 16)}`;
  await writeAtomically(file, edit.text);
  const change: TuningChange = {
    id,
    ruleId: planned.ruleId,
    file: planned.file,
    param: planned.param,
    from: planned.from,
    to: planned.to,
    versionBefore: edit.versionBefore,
    versionAfter: edit.versionAfter,
    beforeText,
    afterText: edit.text,
    author: options.author,
    reason: options.reason,
    evidence: planned.evidence,
    appliedAt: new Date(options.nowMs).toISOString(),
    reverted: null,
  };
  try {
    await options.ledger.recordTuningChange({ ...change, appliedAtMs: options.nowMs });
  } catch (err) {
    await writeAtomically(file, beforeText);
    throw err;
  }
  await appendChangelog(options.changelog, appliedEntry(change, planned.evidenceLines));
  return change;
}

/** Writes a change's file back as it was before it, byte for byte, if nothing has changed it since. */
export async function revertChange(changeId: string, options: ApplyOptions): Promise<TuningChange> {
  const change = await options.ledger.tuningChange(changeId);
  if (!change) throw new TuningConflict(`no tuning change ${changeId} in the ledger`);
  if (change.reverted) throw new TuningConflict(`tuning change ${changeId} was reverted already (${change.reverted.at} by ${change.reverted.by})`);
  // The row is data: its file is confined to the rules directory before anything is read or written.
  const file = await ruleFilePath(options.rulesDir, change.file);
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current !== change.afterText) {
    // At the same time too: a joint change applies its two changes at one instant.
    const later = (await options.ledger.tuningChanges(change.ruleId)).filter((c) => c.id !== change.id && c.appliedAt >= change.appliedAt && !c.reverted && c.file === change.file);
    throw new TuningConflict(
      `${file} changed since ${changeId} was applied` +
        (later.length > 0 ? ` (by ${later.map((c) => c.id).join(', ')}: revert ${later.length > 1 ? 'those' : 'it'} first)` : ' (edited by hand): revert it by hand'),
    );
  }
  await checkValid(options.rulesDir, change.file, change.beforeText);
  await writeAtomically(file, change.beforeText);
  if (!(await options.ledger.markReverted(changeId, options.author, options.reason))) {
    await writeAtomically(file, change.afterText);
    throw new TuningConflict(`tuning change ${changeId} was reverted by someone else meanwhile`);
  }
  const reverted = { ...change, reverted: { at: new Date(options.nowMs).toISOString(), by: options.author, reason: options.reason } };
  await appendChangelog(options.changelog, revertedEntry(reverted));
  return reverted;
}

/**
 * Loads a copy of the rules directory with one file replaced: the change goes in only if the whole set
 * stays valid. The file is confined to the copy as it is to the rules directory.
 */
async function checkValid(rulesDir: string, relativeFile: string, text: string): Promise<void> {
  const copy = mkdtempSync(join(tmpdir(), 'alertgate-tune-'));
  try {
    await cp(rulesDir, copy, { recursive: true });
    await writeAtomically(await ruleFilePath(copy, relativeFile), text);
    const loaded = await loadRules(copy);
    if (!loaded.ok) throw new TuningConflict(`the change would make the rules invalid:\n${loaded.problems.map(formatProblem).join('\n')}`);
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}

/**
 * Write beside, then rename: a reader (the worker's reload) sees the old file or the new one, never
 * half of one. The file beside is created afresh (exclusively: never through a link left in its
 * place), and the rename replaces the file itself.
 */
async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.alertgate-tmp`;
  await rm(temp, { force: true });
  await writeFile(temp, text, { flag: 'wx' });
  await rename(temp, file);
}

const CHANGELOG_HEADER = '# Rule tuning changelog\n\nWritten by `alertgate tune --apply` and `--revert`; the ledger holds the full record of each change.\n';

async function appendChangelog(changelog: string, entry: string): Promise<void> {
  await mkdir(dirname(changelog), { recursive: true });
  const exists = await readFile(changelog, 'utf8').then(
    () => true,
    () => false,
  );
  await appendFile(changelog, `${exists ? '' : CHANGELOG_HEADER}\n${entry}`);
}

/** What a change did, in the changelog's words: `minCount 20 → 30`, `disabled` for `enabled` 1 → 0, `window.size 10m → 5m`. */
function whatChanged(change: Pick<TuningChange, 'param' | 'from' | 'to'>): string {
  if (change.param === 'enabled') return change.to === 0 ? 'disabled (enabled: false)' : 'enabled';
  if (change.param === 'window.size') return `window.size ${durationText(change.from)} → ${durationText(change.to)}`;
  return `${change.param} ${change.from} → ${change.to}`;
}

function appliedEntry(change: TuningChange, evidenceLines: readonly string[]): string {
  return [
    `## ${change.appliedAt} ${change.id}: ${change.ruleId} ${whatChanged(change)} (version ${change.versionBefore} → ${change.versionAfter})`,
    '',
    `- by ${change.author}: ${change.reason}`,
    ...evidenceLines,
    `- file: ${change.file}; undo: \`alertgate tune --revert ${change.id}\``,
    '',
  ].join('\n');
}

function revertedEntry(change: TuningChange): string {
  const back = change.param === 'enabled' ? `enabled again` : `${change.param} back to ${change.param === 'window.size' ? durationText(change.from) : change.from}`;
  return [`## ${change.reverted!.at} ${change.id} reverted: ${change.ruleId} ${back} (version ${change.versionBefore})`, '', `- by ${change.reverted!.by}: ${change.reverted!.reason}`, ''].join('\n');
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
