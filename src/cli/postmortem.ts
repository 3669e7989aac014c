import { writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { CaseActionOutcome } from '../http/case-routes.js';
import { markPostmortemDone, postmortemOf } from '../http/postmortem-routes.js';
import { caseAuditOf, type CaseChange } from '../ledger/case-store.js';
import { cliAuditLog } from './logger.js';
import { reporting, UserError } from './setup.js';
import { asLedgerUserError, callApi, openTarget, withTarget, type Target, type TargetOptions } from './target.js';

interface PostmortemOptions extends TargetOptions {
  out?: string;
  done?: boolean;
  note?: string;
}

/** `alertgate postmortem <case>`: the postmortem draft of a case, or (--done) mark it done (docs/postmortems.md). */
export function registerPostmortem(program: Command, setExit: (code: number) => void): void {
  withTarget(
    program
      .command('postmortem')
      .description('Writes a postmortem draft of a case in markdown from the ledger (timeline, rules and alerts, deadlines, notes, sections to fill in); --done marks it done, so a high or critical case can be closed. docs/postmortems.md.')
      .argument('<case>', 'case-… or inc-…')
      .option('--out <file>', 'write the draft to this file instead of stdout')
      .option('--done', 'mark the postmortem done (analyst)')
      .option('--note <text>', 'with --done: where the postmortem is, or what it concluded'),
    'viewer to read, analyst for --done',
  ).action(reporting(setExit, postmortem));
}

async function postmortem(id: string, opts: PostmortemOptions): Promise<void> {
  if (opts.note !== undefined && !opts.done) throw new UserError('--note goes with --done');
  const target = await openTarget(opts, { existing: true });
  try {
    if (opts.done) {
      const outcome = await markDone(target, id, opts.note);
      process.stdout.write(`${outcome.case.id} postmortem done by ${outcome.event.actor}; it can be closed once resolved (now ${outcome.case.state})\n`);
      return;
    }
    const draft =
      target.kind === 'api'
        ? await callApi(target, () => target.client.text(`/cases/${encodeURIComponent(id)}/postmortem`))
        : await postmortemOf(target.ledger, id).catch((err: unknown) => {
            throw asLedgerUserError(target.where, err);
          });
    if (opts.out !== undefined) await writeFile(opts.out, draft);
    else process.stdout.write(draft);
  } finally {
    if (target.kind === 'db') await target.ledger.close();
  }
}

async function markDone(target: Target, id: string, note: string | undefined): Promise<CaseActionOutcome> {
  if (target.kind === 'api') return (await callApi(target, () => target.client.request('POST', `/cases/${encodeURIComponent(id)}/postmortem/done`, CaseActionOutcome, note === undefined ? {} : { note }))).body!;
  const audit = cliAuditLog(target.config);
  const hooks = { onCaseChanges: (changes: readonly CaseChange[]) => changes.forEach((c) => audit.caseChange(caseAuditOf(c))) };
  return markPostmortemDone(target.ledger, id, { actor: `cli:${userInfo().username}`, note }, hooks).catch((err: unknown) => {
    throw asLedgerUserError(target.where, err);
  });
}

