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
import type { Proposal } from './report.js';
import { ruleFilePath } from './rule-file-path.js';
import { formatScenarioRefusal, type ScenarioGate, type ScenarioRefusal } from './scenario-gate.js';

/** A change could not be applied or reverted as asked; the message says why and what to do. */
export class TuningConflict extends Error {
  override name = 'TuningConflict';
}

interface Span {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * Sets one param's value in a rule file and bumps the rule's version, touching nothing else: the two
 * scalars are replaced in the text at their source ranges (found with the yaml Document API), so
 * comments, quoting, flow style and layout stay byte for byte. Works for YAML and JSON rule files,
 * single rules, lists and multi-document files.
 */
export function editRuleText(text: string, ruleId: string, param: string, value: number): { text: string; from: number; versionBefore: number; versionAfter: number } {
  const docs = parseAllDocuments(text);
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    for (const base of rulePaths(doc)) {
      if (doc.getIn([...base, 'id']) !== ruleId) continue;
      const valueNode = doc.getIn([...base, 'params', param, 'value'], true);
      const versionNode = doc.getIn([...base, 'version'], true);
      if (!isScalar(valueNode) || typeof valueNode.value !== 'number' || !valueNode.range) {
        throw new TuningConflict(`rule ${ruleId}: params.${param}.value is not a number in the file`);
      }
      if (!isScalar(versionNode) || typeof versionNode.value !== 'number' || !versionNode.range) {
        throw new TuningConflict(`rule ${ruleId}: version is not a number in the file`);
      }
      const versionBefore = versionNode.value;
      const spans: Span[] = [
        { start: valueNode.range[0], end: valueNode.range[1], text: String(value) },
        { start: versionNode.range[0], end: versionNode.range[1], text: String(versionBefore + 1) },
      ].sort((a, b) => b.start - a.start);
      let out = text;
      for (const s of spans) out = out.slice(0, s.start) + s.text + out.slice(s.end);
      return { text: out, from: valueNode.value, versionBefore, versionAfter: versionBefore + 1 };
    }
  }
  throw new TuningConflict(`rule ${ruleId} is not in the file`);
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

/** A proposal's edit of its rule file, checked on a copy of the rules directory (with the edits staged before it). */
export interface StagedEdit {
  readonly proposal: Proposal;
  readonly beforeText: string;
  readonly afterText: string;
  readonly versionBefore: number;
  readonly versionAfter: number;
}

/** A proposal the scenario tests refused. */
export class ScenarioRefused extends TuningConflict {
  override name = 'ScenarioRefused';
  constructor(readonly refusal: ScenarioRefusal) {
    super(formatScenarioRefusal(refusal));
  }
}

/**
 * Stages proposals, in order, on one copy of the rules directory: each is edited into its file (which
 * must still say what the proposal was computed from), the whole directory must still load (else the
 * apply is refused, with the located problems), and, with a gate, no scenario test that passes now may
 * fail; a proposal that breaks one is taken back out of the copy and listed under `refused`. The edits
 * that pass are cumulative: together, they are what was checked.
 */
export async function stageProposals(rulesDir: string, proposals: readonly Proposal[], gate: ScenarioGate | undefined): Promise<{ edits: StagedEdit[]; refused: ScenarioRefusal[] }> {
  const edits: StagedEdit[] = [];
  const refused: ScenarioRefusal[] = [];
  await withCopy(rulesDir, async (copy) => {
    for (const proposal of proposals) {
      // The proposal's file is confined to the rules directory before anything is read.
      const file = await ruleFilePath(rulesDir, proposal.file);
      const staged = await ruleFilePath(copy, proposal.file);
      const beforeText = await readFile(staged, 'utf8');
      const edit = editRuleText(beforeText, proposal.ruleId, proposal.param, proposal.to);
      if (edit.from !== proposal.from || edit.versionBefore !== proposal.version) {
        throw new TuningConflict(
          `${file}: rule ${proposal.ruleId} changed since the proposal (now version ${edit.versionBefore}, ${proposal.param} ${edit.from}); run the tuner again`,
        );
      }
      await writeAtomically(staged, edit.text);
      const loaded = await loadRules(copy);
      if (!loaded.ok) throw new TuningConflict(`the change would make the rules invalid:\n${loaded.problems.map(formatProblem).join('\n')}`);
      const broken = gate ? await gate.broken(copy) : [];
      if (broken.length > 0) {
        await writeAtomically(staged, beforeText);
        refused.push({ ruleId: proposal.ruleId, param: proposal.param, from: proposal.from, to: proposal.to, scenarios: broken });
        continue;
      }
      edits.push({ proposal, beforeText, afterText: edit.text, versionBefore: edit.versionBefore, versionAfter: edit.versionAfter });
    }
  });
  return { edits, refused };
}

/**
 * Applies one proposal: stages it (see stageProposals; a scenario the change breaks refuses it with
 * ScenarioRefused), then writes it (see writeEdit).
 */
export async function applyProposal(proposal: Proposal, options: ApplyOptions & { readonly gate?: ScenarioGate | undefined }): Promise<TuningChange> {
  const { edits, refused } = await stageProposals(options.rulesDir, [proposal], options.gate);
  if (refused.length > 0) throw new ScenarioRefused(refused[0]!);
  return writeEdit(edits[0]!, options);
}

/**
 * Writes a staged edit: the file must still be what was staged; it is written atomically (a running
 * worker's watcher then reloads it), the change recorded in the ledger and appended to the changelog.
 * If the ledger cannot record it, the file is put back.
 */
export async function writeEdit(edit: StagedEdit, options: ApplyOptions): Promise<TuningChange> {
  const { proposal, beforeText } = edit;
  const file = await ruleFilePath(options.rulesDir, proposal.file);
  if ((await readFile(file, 'utf8')) !== beforeText) {
    throw new TuningConflict(`${file}: changed since the proposal was checked; run the tuner again`);
  }
  const id = `tc-${createHash('sha256').update(JSON.stringify([proposal.ruleId, proposal.param, proposal.from, proposal.to, options.nowMs, sha(beforeText)])).digest('hex').slice(0, 16)}`;
  await writeAtomically(file, edit.afterText);
  const change: TuningChange = {
    id,
    ruleId: proposal.ruleId,
    file: proposal.file,
    param: proposal.param,
    from: proposal.from,
    to: proposal.to,
    versionBefore: edit.versionBefore,
    versionAfter: edit.versionAfter,
    beforeText,
    afterText: edit.afterText,
    author: options.author,
    reason: options.reason,
    evidence: { ...proposal },
    appliedAt: new Date(options.nowMs).toISOString(),
    reverted: null,
  };
  try {
    await options.ledger.recordTuningChange({ ...change, appliedAtMs: options.nowMs });
  } catch (err) {
    await writeAtomically(file, beforeText);
    throw err;
  }
  await appendChangelog(options.changelog, appliedEntry(change, proposal));
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
    const later = (await options.ledger.tuningChanges(change.ruleId)).filter((c) => c.appliedAt > change.appliedAt && !c.reverted && c.file === change.file);
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

function appliedEntry(change: TuningChange, p: Proposal): string {
  return [
    `## ${change.appliedAt} ${change.id}: ${change.ruleId} ${change.param} ${change.from} → ${change.to} (version ${change.versionBefore} → ${change.versionAfter})`,
    '',
    `- by ${change.author}: ${change.reason}`,
    `- evidence: ${p.falsePositiveRemoved} of ${p.falsePositiveTotal} false-positive incidents removed, ${p.truePositiveKept} of ${p.truePositiveTotal} true positives kept; incidents/day ${p.incidentsPerDayBefore} → ${p.incidentsPerDayAfter}`,
    ...(p.pipeline
      ? [
          `- across the whole pipeline: false-positive incidents ${p.pipeline.falsePositiveBefore} → ${p.pipeline.falsePositiveAfter}, incidents ${p.pipeline.incidentsBefore} → ${p.pipeline.incidentsAfter}, ${p.pipeline.truePositiveSurvived} of ${p.pipeline.truePositiveTotal} confirmed true positives survive`,
        ]
      : []),
    `- file: ${change.file}; undo: \`alertgate tune --revert ${change.id}\``,
    '',
  ].join('\n');
}

function revertedEntry(change: TuningChange): string {
  return [
    `## ${change.reverted!.at} ${change.id} reverted: ${change.ruleId} ${change.param} back to ${change.from} (version ${change.versionBefore})`,
    '',
    `- by ${change.reverted!.by}: ${change.reverted!.reason}`,
    '',
  ].join('\n');
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
