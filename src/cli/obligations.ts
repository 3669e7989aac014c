import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { ObligationOutcome, settleObligation } from '../http/obligation-routes.js';
import { caseAuditOf } from '../ledger/case-store.js';
import { describeWithin } from '../obligations/deadline.js';
import { loadObligations } from '../obligations/load.js';
import { OBLIGATION_STATUSES, ObligationState, ObligationStatus } from '../obligations/obligation-record.js';
import { describeTrigger } from '../obligations/trigger.js';
import { formatObligations } from './case-text.js';
import { cliAuditLog } from './logger.js';
import { reporting, reportProblems, UserError } from './setup.js';
import { asLedgerUserError, callApi, openTarget, withTarget, type TargetOptions } from './target.js';

interface ListOptions extends TargetOptions {
  status?: string;
  case?: string;
  json?: boolean;
}

interface SettleOptions extends TargetOptions {
  note?: string;
  reason?: string;
  json?: boolean;
}

const ObligationList = z.object({ obligations: z.array(ObligationStatus) }).strict();

/** `alertgate obligations`: check an obligations file; list cases' deadlines; mark one met or waived (docs/obligations.md). */
export function registerObligations(program: Command, setExit: (code: number) => void): void {
  const obligations = program.command('obligations').description('Notification deadlines of cases: check the obligations file, list running ones, mark one met or waived. docs/obligations.md.');

  obligations
    .command('check')
    .description('Validates an obligations file: exit 0 with what it holds, or one "file: /json/pointer: message (line N)" per problem and exit 1.')
    .argument('<file>', 'the obligations file (YAML)')
    .action(
      reporting(setExit, async (file: string) => {
        const loaded = await loadObligations(file);
        if (!loaded.ok) {
          reportProblems(file, loaded.problems, setExit);
          return;
        }
        const { spec, receivers } = loaded.policy;
        const lines = spec.obligations.map((o) => `  ${o.name.padEnd(34)} ${describeWithin(o.within).padEnd(40)} when ${describeTrigger(o.when)}${o.from === 'opened' ? ' (from the case opening)' : ''} → ${o.notify.join(', ')}`);
        process.stdout.write(`${file}: ok — ${spec.obligations.length} obligation${spec.obligations.length === 1 ? '' : 's'}; receivers named: ${receivers.join(', ')}\n${lines.join('\n')}\n`);
      }),
    );

  withTarget(
    obligations
      .command('list')
      .description('Obligations of every case (or one), the soonest due first.')
      .option('--status <status>', OBLIGATION_STATUSES.join(', '))
      .option('--case <id>', 'one case')
      .option('--json', 'print them as JSON'),
    'viewer or above',
  ).action(reporting(setExit, list));

  const settle = (name: 'met' | 'waive', description: string) =>
    withTarget(
      obligations
        .command(name)
        .description(description)
        .argument('<case>', 'case-… or inc-…')
        .argument('<obligation>', 'its name in the obligations file')
        .option(name === 'met' ? '--note <text>' : '--reason <text>', name === 'met' ? 'what was done (reference, who was told)' : 'why it does not apply (required)')
        .option('--json', 'print the outcome as JSON'),
      'analyst or above',
    ).action(reporting(setExit, (id: string, obligation: string, opts: SettleOptions) => mark(id, obligation, name === 'met' ? 'met' : 'waived', opts)));
  settle('met', 'Records an obligation met (late, if its due time passed): who did it, and --note what was done.');
  settle('waive', 'Waives an obligation that does not apply, with --reason.');
}

async function list(opts: ListOptions): Promise<void> {
  let status: ObligationState | undefined;
  if (opts.status !== undefined) {
    const parsed = ObligationState.safeParse(opts.status);
    if (!parsed.success) throw new UserError(`--status: expected ${OBLIGATION_STATUSES.join(', ')}, got "${opts.status}"`);
    status = parsed.data;
  }
  const target = await openTarget(opts, { existing: true });
  try {
    let found: ObligationStatus[];
    if (target.kind === 'api') {
      const query = new URLSearchParams();
      if (status) query.set('status', status);
      if (opts.case) query.set('case', opts.case);
      found = (await callApi(target, () => target.client.request('GET', `/obligations?${query}`, ObligationList))).body!.obligations;
    } else {
      const caseId = opts.case === undefined ? undefined : await target.ledger.cases.resolveId(opts.case);
      if (opts.case !== undefined && caseId === undefined) throw new UserError(`no case ${opts.case} in ${target.where}`);
      found = await target.ledger.obligations.list({ status, caseId });
    }
    process.stdout.write(opts.json ? `${JSON.stringify(found)}\n` : `${found.length === 0 ? 'no obligations match' : formatObligations(found, Date.now(), true)}\n`);
  } finally {
    if (target.kind === 'db') await target.ledger.close();
  }
}

async function mark(id: string, name: string, status: 'met' | 'waived', opts: SettleOptions): Promise<void> {
  const note = status === 'met' ? opts.note : opts.reason;
  if (status === 'waived' && (note === undefined || !/\S/.test(note))) throw new UserError('--reason: say why the obligation does not apply');
  const target = await openTarget(opts, { existing: true });
  try {
    let outcome: ObligationOutcome;
    const path = `/cases/${encodeURIComponent(id)}/obligations/${encodeURIComponent(name)}/${status === 'met' ? 'met' : 'waive'}`;
    if (target.kind === 'api') {
      outcome = (await callApi(target, () => target.client.request('POST', path, ObligationOutcome, status === 'met' ? { note } : { reason: note }))).body!;
    } else {
      const audit = cliAuditLog(target.config);
      try {
        outcome = await settleObligation(target.ledger, id, name, status, { actor: `cli:${userInfo().username}`, note }, { onCaseChanges: (changes) => changes.forEach((c) => audit.caseChange(caseAuditOf(c))) });
      } catch (err) {
        throw asLedgerUserError(target.where, err);
      }
    }
    const o = outcome.obligation;
    process.stdout.write(opts.json ? `${JSON.stringify(outcome)}\n` : `${o.caseId} ${o.name} ${o.status}${o.late ? ' (late)' : ''} by ${o.doneBy}; it was due ${o.dueAt}\n`);
  } finally {
    if (target.kind === 'db') await target.ledger.close();
  }
}

