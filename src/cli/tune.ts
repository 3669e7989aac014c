import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { CaseMergeOptions } from '../cases/case-merger.js';
import { caseMergeOptionsOf } from '../config/cases.js';
import { loadConfig } from '../config/load.js';
import { Percent } from '../config/tuning.js';
import { InputFormat } from '../normalize/index.js';
import { DEFAULT_MAX_LINE_BYTES } from '../source/index.js';
import { TuningConflict } from '../tune/apply.js';
import { formatReport } from '../tune/format.js';
import { patchRoot, unifiedPatch, type FileEdit } from '../tune/patch.js';
import type { TuneReport } from '../tune/report.js';
import type { TuningChange } from '../ledger/records.js';
import { ReplayEvaluator } from '../tune/replay.js';
import { RuleFileRefused } from '../tune/rule-file-path.js';
import { formatSampling } from '../tune/sampling.js';
import { formatScenarioRefusal } from '../tune/scenario-gate.js';
import { TuningService } from '../tune/service.js';
import { cliAuditLog } from './logger.js';
import { openLedger } from './ledger-cli.js';
import { checkSince, prepare, reportUserError, UserError } from './setup.js';

interface TuneOptions {
  rules?: string;
  db?: string;
  dbSchema?: string;
  config?: string;
  since?: string;
  minRecall?: string;
  maxStep?: string;
  minVerdicts?: string;
  disableBelowPrecision?: string;
  replay?: string[];
  inputFormat: string;
  map?: string;
  apply?: boolean;
  revert?: string;
  author?: string;
  reason?: string;
  at?: string;
  changelog?: string;
  patch?: string;
  format: string;
}

export function registerTune(program: Command, setExit: (code: number) => void): void {
  program
    .command('tune')
    .description(
      'Propose threshold changes from the analysts\' verdicts in the ledger: per rule and param, the value that removes the most false-positive incidents while keeping the confirmed true positives (--min-recall). Dry run unless --apply; --revert undoes one change.',
    )
    .option('--rules <dir>', 'rules directory (default: rules of --config, or rules)')
    .option('--db <ledger>', 'the ledger: a SQLite file or a postgres:// URL (default: ledger.url of --config, or ALERTGATE_LEDGER)')
    .option('--db-schema <schema>', 'PostgreSQL schema of the ledger')
    .option('--config <file>', 'config file: its ledger, rules and tuning sections')
    .option('--since <when>', 'incidents first seen since: a duration back from the newest incident (30d) or an ISO date-time (default tuning.since, 30d)')
    .option('--min-recall <share>', 'share of confirmed true positives every change must keep, 0..1 (default tuning.minRecall, 1.0)')
    .option('--max-step <percent>', 'the most a param moves in one apply, e.g. 50% (default tuning.maxStep)')
    .option('--min-verdicts <n>', 'verdicts a rule needs before it is changed (default tuning.minVerdicts, 5)')
    .option('--disable-below-precision <share>', 'propose disabling a rule whose precision TP/(TP+FP) is below this, 0..1, when no confirmed true positive is lost (default tuning.disableBelowPrecision, 0.05; 0: never)')
    .option('--replay <alerts...>', 'NDJSON files of the alerts of the period (in order): every proposal is checked by re-running them through the whole pipeline (all rules, precedence, windows, grouping, cases)')
    .option('--input-format <format>', 'format of the --replay alerts: auto, canonical or generic', 'auto')
    .option('--map <mapping>', 'mapping file for --input-format generic')
    .option('--apply', 'write the proposals to the rule files (version bumped), record them in the ledger and the changelog')
    .option('--revert <changeId>', 'write a change\'s rule file back as it was before it, byte for byte')
    .option('--author <name>', 'who applies or reverts (default: the current user)')
    .option('--reason <text>', 'why (recorded with the change); default: the evidence')
    .option('--at <time>', 'with --apply: when the changes are recorded as applied (ISO date-time; default now), e.g. when tuning a ledger of replayed history')
    .option('--changelog <file>', 'changelog to append to (default tuning.changelog, or CHANGELOG.md in the rules directory)')
    .option('--patch <file>', 'write the rule-file changes as a unified diff (git apply-able; paths from the git work tree holding the rules directory, else from the rules directory): with --apply those applied, without it those --apply would make (nothing else is written)')
    .option('--format <format>', 'output: text, md, json, or patch (the unified diff of the changes, as --patch writes it)', 'text')
    .action(async (opts: TuneOptions) => {
      try {
        await runTune(opts);
      } catch (err) {
        reportUserError(err instanceof TuningConflict || err instanceof RuleFileRefused ? new UserError(err.message) : err, setExit);
      }
    });
}

function check(opts: TuneOptions): { minRecall?: number; minVerdicts?: number; disableBelowPrecision?: number; atMs?: number } {
  if (!['text', 'md', 'json', 'patch'].includes(opts.format)) throw new UserError(`--format: expected text, md, json or patch, got "${opts.format}"`);
  if (opts.since !== undefined) checkSince(opts.since);
  if (opts.maxStep !== undefined && !Percent.safeParse(opts.maxStep).success) throw new UserError(`--max-step: expected a percentage such as 50%, got "${opts.maxStep}"`);
  const minRecall = opts.minRecall === undefined ? undefined : Number(opts.minRecall);
  if (minRecall !== undefined && !(minRecall >= 0 && minRecall <= 1)) throw new UserError(`--min-recall: expected a number from 0 to 1, got "${opts.minRecall}"`);
  const minVerdicts = opts.minVerdicts === undefined ? undefined : Number(opts.minVerdicts);
  if (minVerdicts !== undefined && !(Number.isInteger(minVerdicts) && minVerdicts >= 1)) throw new UserError(`--min-verdicts: expected a whole number ≥ 1, got "${opts.minVerdicts}"`);
  const disableBelowPrecision = opts.disableBelowPrecision === undefined ? undefined : Number(opts.disableBelowPrecision);
  if (disableBelowPrecision !== undefined && !(disableBelowPrecision >= 0 && disableBelowPrecision <= 1)) throw new UserError(`--disable-below-precision: expected a number from 0 to 1, got "${opts.disableBelowPrecision}"`);
  if (opts.revert !== undefined && (opts.apply || opts.replay || opts.patch !== undefined || opts.format === 'patch')) throw new UserError('--revert goes alone: not with --apply, --replay, --patch or --format patch');
  if (opts.at !== undefined && !opts.apply) throw new UserError('--at goes with --apply');
  const atMs = opts.at === undefined ? undefined : Date.parse(opts.at);
  if (atMs !== undefined && (!/^\d{4}-\d{2}-\d{2}T/.test(opts.at!) || Number.isNaN(atMs))) throw new UserError(`--at: expected an ISO date-time such as 2026-11-07T00:00:00Z, got "${opts.at}"`);
  return { ...(minRecall !== undefined ? { minRecall } : {}), ...(minVerdicts !== undefined ? { minVerdicts } : {}), ...(disableBelowPrecision !== undefined ? { disableBelowPrecision } : {}), ...(atMs !== undefined ? { atMs } : {}) };
}

async function runTune(opts: TuneOptions): Promise<void> {
  const { atMs, ...numbers } = check(opts);
  const config = await loadConfig(opts.config, process.env, [], { receiverSecrets: false });
  const db = opts.db ?? config.ledger.url;
  if (db === undefined) throw new UserError('no ledger: give --db <ledger>, or a config with ledger.url (or ALERTGATE_LEDGER)');
  const rulesDir = opts.rules ?? config.rules;
  const tuning = { ...config.tuning, ...(opts.changelog !== undefined ? { changelog: opts.changelog } : {}) };
  const ledger = await openLedger(db, opts.dbSchema ?? config.ledger.schema);
  try {
    const service = new TuningService({ rulesDir, ledger, tuning, audit: cliAuditLog(config), ...(atMs !== undefined ? { now: () => atMs } : {}) });
    const author = opts.author ?? userInfo().username;
    if (opts.revert !== undefined) {
      const change = await service.revert(opts.revert, author, opts.reason ?? 'reverted with alertgate tune --revert');
      process.stdout.write(
        opts.format === 'json'
          ? `${JSON.stringify({ reverted: change })}\n`
          : `reverted ${change.id}: ${change.file} is back to version ${change.versionBefore} (${change.param} ${change.from}); changelog ${service.changelog}\n`,
      );
      return;
    }
    const request = { since: opts.since, maxStep: opts.maxStep, ...numbers, replay: opts.replay ? await loadReplay(opts, rulesDir, caseMergeOptionsOf(config.cases)) : undefined, owner: author };
    const patchOf = (edits: readonly FileEdit[]) => unifiedPatch(edits, rulesDir, patchRoot(rulesDir));
    if (opts.apply) {
      const { report, changes, refused, scenarioTests } = await service.apply({ ...request, author, reason: opts.reason });
      await output(opts, { report, changes, refused, scenarioTests }, patchOf(changes.map((c) => ({ file: c.file, beforeText: c.beforeText, afterText: c.afterText }))), changes);
      // A refused change is a failed apply: the scenario and the expectation it broke, and exit 1.
      if (refused.length > 0) throw new UserError(refused.map(formatScenarioRefusal).join('\n'));
    } else if (opts.patch !== undefined || opts.format === 'patch') {
      // The changes --apply would make, staged and run through the scenario tests on a copy: nothing is written but the patch.
      const { report, edits, refused, scenarioTests } = await service.plan(request);
      await output(opts, { report, refused, scenarioTests }, patchOf(edits.map((e) => ({ file: e.change.file, beforeText: e.beforeText, afterText: e.afterText }))));
      if (refused.length > 0) throw new UserError(refused.map(formatScenarioRefusal).join('\n'));
    } else {
      const report = await service.report(request);
      process.stdout.write(opts.format === 'json' ? `${JSON.stringify(report)}\n` : reportText(report, opts.format as 'text' | 'md'));
    }
  } finally {
    await ledger.close();
  }
}

/** The report for people, and what the reviewed sample says of each proposal. */
function reportText(report: TuneReport, format: 'text' | 'md', applied?: readonly TuningChange[]): string {
  return formatReport(report, format, applied) + (report.sampling ? formatSampling(report.sampling, format) : '');
}

/** Writes the patch to --patch's file, and prints the patch (--format patch), the JSON or the report. */
async function output(opts: TuneOptions, json: { report: TuneReport } & Record<string, unknown>, patch: string, applied?: readonly TuningChange[]): Promise<void> {
  if (opts.patch !== undefined) await writeFile(opts.patch, patch);
  if (opts.format === 'patch') process.stdout.write(patch);
  else process.stdout.write(opts.format === 'json' ? `${JSON.stringify(json)}\n` : reportText(json.report, opts.format as 'text' | 'md', applied));
}

async function loadReplay(opts: TuneOptions, rulesDir: string, cases: CaseMergeOptions): Promise<ReplayEvaluator> {
  const format = InputFormat.safeParse(opts.inputFormat);
  if (!format.success) throw new UserError(`--input-format: expected auto, canonical or generic, got "${opts.inputFormat}"`);
  const { normalize } = await prepare({ rules: rulesDir, format: format.data, mapping: opts.map });
  return ReplayEvaluator.load(opts.replay!, normalize, DEFAULT_MAX_LINE_BYTES, cases).catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`--replay ${err.path ?? opts.replay!.join(' ')}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
}
