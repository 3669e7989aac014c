import { basename } from 'node:path';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { AuditLog } from '../audit/audit-log.js';
import { FeedbackApiClient } from '../feedback/api-client.js';
import { EntityRef, FeedbackLine, feedbackAuditOf, VerdictInput, VERDICTS, type FeedbackResult } from '../feedback/feedback.js';
import { readFeedbackFile } from '../feedback/import-file.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { cliAuditLog } from './logger.js';
import { reportUserError, UserError } from './setup.js';
import { asUserError, openTarget as openSharedTarget, withTarget as withSharedTarget, type TargetOptions } from './target.js';

interface ImportOptions extends TargetOptions {
  auditLog?: string;
}

interface FeedbackOptions extends TargetOptions {
  verdict?: string;
  reason?: string;
  analyst?: string;
  entity?: string;
  at?: string;
  json?: boolean;
}

/** Where verdicts go: the ledger itself, or a running worker's API. */
interface VerdictTarget {
  readonly where: string;
  submit(line: FeedbackLine, source: string): Promise<FeedbackResult>;
  close(): Promise<void>;
}

const withTarget = (command: Command) => withSharedTarget(command, 'analyst or engineer');

export function registerFeedback(program: Command, setExit: (code: number) => void): void {
  const feedback = withTarget(
    program
      .command('feedback')
      .description(
        'Record an analyst\'s verdict on an incident, in the ledger or through a running worker\'s API. The same feedback twice is one record; a later verdict supersedes an earlier one and the history is kept.',
      )
      .argument('[incidentId]', 'the incident (inc-…)')
      .option('--verdict <verdict>', `${VERDICTS.join(', ')} (or tp, bp, fp)`)
      .option('--reason <text>', 'what the analyst found')
      .option('--analyst <name>', 'who gives the verdict (default: the current user)')
      .option('--entity <kind=value>', 'the entity the verdict is about, e.g. host=backup-01 (name=<signature> for the signature)')
      .option('--at <time>', 'when the verdict was given (ISO-8601); default now')
      .option('--json', 'print the result as JSON'),
  ).action(async (incidentId: string | undefined, opts: FeedbackOptions) => {
    try {
      if (incidentId === undefined) throw new UserError('feedback: give an incident id (alertgate feedback <incidentId> --verdict fp --reason "...") or use feedback import <file>');
      await single(incidentId, opts);
    } catch (err) {
      reportUserError(err, setExit);
    }
  });

  withTarget(
    feedback
      .command('import')
      .description(
        'Record verdicts in bulk from NDJSON, one {incidentId, verdict, reason, analyst, entity?, at?} per line (e.g. exported from a ticket system). Invalid lines stop the import before anything is recorded; re-importing a file records nothing new. Prints one summary line.',
      )
      .argument('<file>', 'NDJSON file')
      .option('--audit-log <file>', 'with --db: append the audit record of each recorded verdict to this file (- for stderr); the ledger keeps every verdict either way'),
  ).action(async (file: string, _opts: ImportOptions, command: Command) => {
    try {
      // The target options are the parent's too: commander hands them to whichever command it parses first.
      setExit(await importFile(file, command.optsWithGlobals<ImportOptions>()));
    } catch (err) {
      reportUserError(err, setExit);
    }
  });
}

async function single(incidentId: string, opts: FeedbackOptions): Promise<void> {
  const verdict = VerdictInput.safeParse(opts.verdict);
  if (!verdict.success) throw new UserError(`--verdict: ${verdict.error.issues[0]!.message}`);
  if (opts.reason === undefined) throw new UserError('--reason: say what the analyst found');
  const parsed = FeedbackLine.safeParse({
    incidentId,
    verdict: verdict.data,
    reason: opts.reason,
    analyst: opts.analyst ?? userInfo().username,
    ...(opts.entity !== undefined ? { entity: entityOf(opts.entity) } : {}),
    ...(opts.at !== undefined ? { at: opts.at } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`--${String(issue.path[0])}: ${issue.message}`);
  }
  // One verdict, one audit record on stderr.
  const target = await openTarget(opts, '-');
  try {
    const result = await target.submit(parsed.data, 'cli');
    if (result.status === 'not_found') throw new UserError(`no incident ${incidentId} in ${target.where}`);
    process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${describe(result)}\n`);
  } finally {
    await target.close();
  }
}

function describe(result: Exclude<FeedbackResult, { status: 'not_found' }>): string {
  const { feedback, current, superseded } = result;
  if (result.status === 'duplicate') return `already recorded: ${feedback.id} (${feedback.verdict} by ${feedback.analyst}, ${feedback.at}); nothing changed`;
  const now = current.id === feedback.id ? `now ${current.verdict}` : `kept in the history; the current verdict stays ${current.verdict} (given later, ${current.at})`;
  return `recorded ${feedback.id} on ${feedback.incidentId}: ${feedback.verdict}; ${now}${superseded ? ` (was ${superseded.verdict} by ${superseded.analyst})` : ''}`;
}

function entityOf(text: string): EntityRef {
  const at = text.indexOf('=');
  const parsed = EntityRef.safeParse(at > 0 ? { kind: text.slice(0, at), value: text.slice(at + 1) } : undefined);
  if (!parsed.success) throw new UserError(`--entity: expected kind=value such as host=backup-01, got "${text}"`);
  return parsed.data;
}

async function importFile(file: string, opts: ImportOptions): Promise<ExitCode> {
  if (opts.auditLog !== undefined && opts.api !== undefined) throw new UserError('--audit-log goes with --db: through --api the worker writes the audit trail');
  const read = await readFeedbackFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`${file}: cannot read: ${err.code ?? err.message}`);
  });
  if (!read.ok) {
    for (const p of read.problems) process.stderr.write(`${file}: line ${p.line}: ${p.message}\n`);
    process.stderr.write(`alertgate: ${read.problems.length} problems in ${file}; nothing imported\n`);
    return EXIT.invalid;
  }
  // Hundreds of verdicts: one summary line here; their audit records only where --audit-log says.
  const target = await openTarget(opts, opts.auditLog);
  const tally = { created: 0, superseding: 0, duplicate: 0 };
  const unknown: number[] = [];
  try {
    for (const { line, feedback } of read.lines) {
      const result = await target.submit(feedback, `import:${basename(file)}`);
      if (result.status === 'not_found') unknown.push(line);
      else tally[result.status]++;
      if (result.status === 'created' && result.superseded !== undefined) tally.superseding++;
    }
  } finally {
    await target.close();
  }
  process.stdout.write(
    `imported ${read.lines.length} lines into ${target.where}: ${tally.created} recorded, ${tally.duplicate} already recorded, ${unknown.length} on unknown incidents; ` +
      `${tally.superseding} of those recorded superseded an earlier verdict\n`,
  );
  if (unknown.length === 0) return EXIT.ok;
  process.stderr.write(`alertgate: ${file}: unknown incidents on lines ${unknown.join(', ')} (not in ${target.where}); those were not recorded\n`);
  return EXIT.invalid;
}

/** `auditTo`: where the audit records of verdicts written straight into the ledger go (`-` stderr, a file), or nowhere. */
async function openTarget(opts: TargetOptions, auditTo: string | undefined): Promise<VerdictTarget> {
  const target = await openSharedTarget(opts);
  if (target.kind === 'api') {
    const client = new FeedbackApiClient(target.client);
    return {
      where: target.where,
      submit: async (line) => {
        const { incidentId, ...body } = line;
        try {
          return await client.submit(incidentId, body);
        } catch (err) {
          throw asUserError(client.url, err);
        }
      },
      close: async () => {},
    };
  }
  const { ledger, config } = target;
  // Straight into the ledger: the audit trail is written here (through --api, the worker writes it).
  let audit: AuditLog | undefined;
  try {
    audit = auditTo === undefined ? undefined : openAuditLog(config, auditTo);
  } catch (err) {
    await ledger.close();
    throw err;
  }
  const actor = `cli:${userInfo().username}`;
  return {
    where: ledger.describe(),
    submit: async (line, source) => {
      const result = await ledger.addFeedback(line, source);
      if (result.status === 'created') audit?.feedback(feedbackAuditOf(result, actor));
      return result;
    },
    close: () => ledger.close(),
  };
}

function openAuditLog(config: Parameters<typeof cliAuditLog>[0], to: string): AuditLog {
  try {
    return cliAuditLog(config, to);
  } catch (err) {
    throw new UserError(`--audit-log ${to}: cannot write: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
