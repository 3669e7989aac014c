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
import type { DisableProposal, JointProposal, PipelineEvidence, Proposal, TuneReport, WindowProposal } from './report.js';
import { ruleFilePath } from './rule-file-path.js';
import { formatScenarioRefusal, whatChanged, type ChangeKind, type ScenarioGate, type ScenarioRefusal } from './scenario-gate.js';

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

/** One change as it is staged, written and recorded: what moves, and the evidence for it. */
export interface PlannedChange {
  /** Which of the report's lists it comes from; a joint proposal is one change per param. */
  readonly kind: ChangeKind;
  readonly ruleId: string;
  readonly file: string;
  /** The rule's version the change was computed from (a joint change's second param: the first's result). */
  readonly version: number;
  readonly param: string;
  readonly from: number;
  readonly to: number;
  readonly edit: RuleEdit;
  readonly evidence: Record<string, unknown>;
  /** The changelog's evidence lines. */
  readonly evidenceLines: readonly string[];
  /** The reason recorded when none is given: the evidence in one line, with the tuner's mode. */
  readonly reasonIn: (mode: TuneReport['mode']) => string;
}

/** A threshold proposal: its param's value. */
export function plannedProposal(p: Proposal): PlannedChange {
  const { pipeline } = p;
  return {
    kind: 'threshold',
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
      ...pipelineLines(pipeline),
    ],
    reasonIn: (mode) => `${pipeline ? pipelineWhy(pipeline) : `${p.falsePositiveRemoved} of ${p.falsePositiveTotal} false-positive incidents removed, ${p.truePositiveKept} of ${p.truePositiveTotal} true positives kept`} (${mode})`,
  };
}

/** A disable proposal: `enabled: false`, recorded as param `enabled` from 1 to 0. */
export function plannedDisable(p: DisableProposal): PlannedChange {
  return { kind: 'disable', ruleId: p.ruleId, file: p.file, version: p.version, param: 'enabled', from: 1, to: 0, edit: { disable: true }, evidence: { ...p }, evidenceLines: [`- evidence: ${p.reason}`, ...pipelineLines(p.pipeline)], reasonIn: (mode) => `${p.reason} (${mode})` };
}

/**
 * A joint proposal: one change per param, in order, each bumping the version (the second is computed
 * from the first's result); each is recorded and reverted on its own (the later one first). They are
 * staged and gated together: neither goes in alone.
 */
export function plannedJoint(p: JointProposal): PlannedChange[] {
  const together = `- together with ${p.changes.map((c) => `${c.param} ${c.from} → ${c.to}`).join(' and ')} (a joint change: neither alone was accepted)`;
  return p.changes.map((c, i) => ({
    kind: 'joint',
    ruleId: p.ruleId,
    file: p.file,
    version: p.version + i,
    param: c.param,
    from: c.from,
    to: c.to,
    edit: { param: c.param, value: c.to },
    evidence: { ...p },
    evidenceLines: [together, ...pipelineLines(p.pipeline)],
    reasonIn: (mode) => `${pipelineWhy(p.pipeline)} (joint change, ${mode})`,
  }));
}

/** A window proposal: `window.size`, recorded as param `window.size` in milliseconds. */
export function plannedWindow(p: WindowProposal): PlannedChange {
  return {
    kind: 'window',
    ruleId: p.ruleId,
    file: p.file,
    version: p.version,
    param: 'window.size',
    from: parseDuration(p.from),
    to: parseDuration(p.to),
    edit: { windowSize: p.to },
    evidence: { ...p },
    evidenceLines: pipelineLines(p.pipeline),
    reasonIn: (mode) => `${pipelineWhy(p.pipeline)} (window ${p.from} → ${p.to}, ${mode})`,
  };
}

/**
 * Every change a report proposes, in the order they are staged: threshold proposals, joint changes,
 * smaller windows, rules to disable. Each group goes in whole or not at all (a joint change is a group
 * of two).
 */
export function plannedChanges(report: Pick<TuneReport, 'proposals' | 'joint' | 'windows' | 'disable'>): PlannedChange[][] {
  return [...report.proposals.map((p) => [plannedProposal(p)]), ...report.joint.map(plannedJoint), ...report.windows.map((w) => [plannedWindow(w)]), ...report.disable.map((d) => [plannedDisable(d)])];
}

function pipelineWhy(p: PipelineEvidence): string {
  return `false-positive incidents ${p.falsePositiveBefore} → ${p.falsePositiveAfter} across the pipeline, ${p.truePositiveSurvived} of ${p.truePositiveTotal} confirmed true positives survive`;
}

function pipelineLines(pipeline: PipelineEvidence | undefined): string[] {
  return pipeline
    ? [
        `- across the whole pipeline: false-positive incidents ${pipeline.falsePositiveBefore} → ${pipeline.falsePositiveAfter}, incidents ${pipeline.incidentsBefore} → ${pipeline.incidentsAfter}, ${pipeline.truePositiveSurvived} of ${pipeline.truePositiveTotal} confirmed true positives survive`,
      ]
    : [];
}

/** A planned change's edit of its rule file, checked on a copy of the rules directory (with the edits staged before it). */
export interface StagedEdit {
  readonly change: PlannedChange;
  readonly beforeText: string;
  readonly afterText: string;
  readonly versionBefore: number;
  readonly versionAfter: number;
}

/** A change the scenario tests refused. */
export class ScenarioRefused extends TuningConflict {
  override name = 'ScenarioRefused';
  constructor(readonly refusal: ScenarioRefusal) {
    super(formatScenarioRefusal(refusal));
  }
}

/**
 * Stages planned changes, group by group in order, on one copy of the rules directory: each is edited
 * into its file (which must still say what the change was computed from), the whole directory must
 * still load (else the apply is refused, with the located problems), and, with a gate, no scenario test
 * that passes now may fail with the group in; a group that breaks one is taken back out of the copy and
 * each of its changes listed under `refused`. The edits that pass are cumulative: together, they are
 * what was checked.
 */
export async function stageChanges(rulesDir: string, groups: readonly (readonly PlannedChange[])[], gate: ScenarioGate | undefined): Promise<{ edits: StagedEdit[]; refused: ScenarioRefusal[] }> {
  const edits: StagedEdit[] = [];
  const refused: ScenarioRefusal[] = [];
  await withCopy(rulesDir, async (copy) => {
    for (const group of groups) {
      const staged: { file: string; edit: StagedEdit }[] = [];
      for (const change of group) {
        // The change's file is confined to the rules directory before anything is read.
        const file = await ruleFilePath(rulesDir, change.file);
        const copied = await ruleFilePath(copy, change.file);
        const beforeText = await readFile(copied, 'utf8');
        const edit = editRule(beforeText, change.ruleId, change.edit);
        if (edit.from !== change.from || edit.versionBefore !== change.version) {
          throw new TuningConflict(`${file}: rule ${change.ruleId} changed since the proposal (now version ${edit.versionBefore}, ${change.param} ${edit.from}); run the tuner again`);
        }
        await writeAtomically(copied, edit.text);
        const loaded = await loadRules(copy);
        if (!loaded.ok) throw new TuningConflict(`the change would make the rules invalid:\n${loaded.problems.map(formatProblem).join('\n')}`);
        staged.push({ file: copied, edit: { change, beforeText, afterText: edit.text, versionBefore: edit.versionBefore, versionAfter: edit.versionAfter } });
      }
      const broken = gate ? await gate.broken(copy) : [];
      if (broken.length > 0) {
        // Back out, the last first: each file as it was before the group.
        for (const { file, edit } of [...staged].reverse()) await writeAtomically(file, edit.beforeText);
        refused.push(...group.map(({ kind, ruleId, param, from, to }) => ({ kind, ruleId, param, from, to, scenarios: broken })));
        continue;
      }
      edits.push(...staged.map((s) => s.edit));
    }
  });
  return { edits, refused };
}

/**
 * Applies a group of planned changes: stages it (see stageChanges; a scenario it breaks refuses it with
 * ScenarioRefused), then writes each change (see writeEdit).
 */
async function applyGroup(group: readonly PlannedChange[], options: ApplyOptions & { readonly gate?: ScenarioGate | undefined }): Promise<TuningChange[]> {
  const { edits, refused } = await stageChanges(options.rulesDir, [group], options.gate);
  if (refused.length > 0) throw new ScenarioRefused(refused[0]!);
  const changes: TuningChange[] = [];
  for (const edit of edits) changes.push(await writeEdit(edit, options));
  return changes;
}

/** Applies one threshold proposal (see applyGroup). */
export async function applyProposal(p: Proposal, options: ApplyOptions & { readonly gate?: ScenarioGate | undefined }): Promise<TuningChange> {
  return (await applyGroup([plannedProposal(p)], options))[0]!;
}

/** Applies a disable proposal (see applyGroup). */
export async function applyDisable(p: DisableProposal, options: ApplyOptions & { readonly gate?: ScenarioGate | undefined }): Promise<TuningChange> {
  return (await applyGroup([plannedDisable(p)], options))[0]!;
}

/** Applies a joint proposal, one change per param (see plannedJoint, applyGroup). */
export function applyJoint(p: JointProposal, options: ApplyOptions & { readonly gate?: ScenarioGate | undefined }): Promise<TuningChange[]> {
  return applyGroup(plannedJoint(p), options);
}

/** Applies a window proposal (see applyGroup). */
export async function applyWindow(p: WindowProposal, options: ApplyOptions & { readonly gate?: ScenarioGate | undefined }): Promise<TuningChange> {
  return (await applyGroup([plannedWindow(p)], options))[0]!;
}

/**
 * Writes a staged edit: the file must still be what was staged; it is written atomically (a running
 * worker's watcher then reloads it), the change recorded in the ledger and appended to the changelog.
 * If the ledger cannot record it, the file is put back.
 */
export async function writeEdit(staged: StagedEdit, options: ApplyOptions): Promise<TuningChange> {
  const { change: planned, beforeText } = staged;
  const file = await ruleFilePath(options.rulesDir, planned.file);
  if ((await readFile(file, 'utf8')) !== beforeText) {
    throw new TuningConflict(`${file}: changed since the proposal was checked; run the tuner again`);
  }
  const id = `tc-${createHash('sha256').update(JSON.stringify([planned.ruleId, planned.param, planned.from, planned.to, options.nowMs, sha(beforeText)])).digest('hex').slice(0, 16)}`;
  await writeAtomically(file, staged.afterText);
  const change: TuningChange = {
    id,
    ruleId: planned.ruleId,
    file: planned.file,
    param: planned.param,
    from: planned.from,
    to: planned.to,
    versionBefore: staged.versionBefore,
    versionAfter: staged.versionAfter,
    beforeText,
    afterText: staged.afterText,
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
  await withCopy(rulesDir, async (copy) => {
    await writeAtomically(await ruleFilePath(copy, relativeFile), text);
    const loaded = await loadRules(copy);
    if (!loaded.ok) throw new TuningConflict(`the change would make the rules invalid:\n${loaded.problems.map(formatProblem).join('\n')}`);
  });
}

/** Runs `task` on a temporary copy of the rules directory, removed afterwards. */
async function withCopy(rulesDir: string, task: (copy: string) => Promise<void>): Promise<void> {
  const copy = mkdtempSync(join(tmpdir(), 'alertgate-tune-'));
  try {
    await cp(rulesDir, copy, { recursive: true });
    await task(copy);
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
