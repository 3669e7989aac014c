import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { z } from 'zod';
import { CaseDetail, CaseSummary } from '../cases/case-record.js';
import { Classification, CLASSIFICATIONS } from '../cases/classification.js';
import { CASE_STATES, CaseState, type CaseAction } from '../cases/lifecycle.js';
import { VerdictInput, VERDICTS } from '../feedback/feedback.js';
import { ACTION_BODIES, CaseActionOutcome, takeAction } from '../http/case-routes.js';
import { INCIDENT_SEVERITIES } from '../incidents/index.js';
import { caseAuditOf } from '../ledger/case-store.js';
import type { Ledger } from '../ledger/ledger.js';
import { sinceMsOf } from '../ledger/since.js';
import { IncidentSample, sampleIncidents } from '../tune/sampling.js';
import { formatCaseDetail, formatCaseTable } from './case-text.js';
import { cliAuditLog } from './logger.js';
import { reportUserError, UserError } from './setup.js';
import { asLedgerUserError, callApi, openTarget, withTarget, type Target, type TargetOptions } from './target.js';

interface ListOptions extends TargetOptions {
  state?: string;
  severity?: string;
  rule?: string;
  since?: string;
  until?: string;
  classification?: string;
  assignee?: string;
  limit: string;
  json?: boolean;
}

interface SampleOptions extends TargetOptions {
  seed: string;
  since: string;
  json?: boolean;
}

interface ActionOptions extends TargetOptions {
  note?: string;
  verdict?: string;
  json?: boolean;
}

/** The CLI's action names: `ack` is what people type. */
const ACTIONS: readonly { name: string; action: CaseAction; args?: string; description: string }[] = [
  { name: 'ack', action: 'acknowledge', description: 'acknowledge a case: someone has it, escalation stops' },
  { name: 'assign', action: 'assign', args: '<assignee>', description: 'assign a case to someone' },
  { name: 'classify', action: 'classify', args: '<classification>', description: `set its classification: ${CLASSIFICATIONS.join(', ')}` },
  { name: 'flag', action: 'flag', args: '<flag>', description: 'set a flag on a case (personal-data, material, major-ict): obligations may start on it (docs/obligations.md)' },
  { name: 'unflag', action: 'unflag', args: '<flag>', description: 'remove a flag from a case (obligations already started keep running)' },
  { name: 'contain', action: 'contain', description: 'mark a case contained' },
  { name: 'resolve', action: 'resolve', description: 'resolve a case: the page is resolved, the ticket transitioned; --verdict records the verdict on every incident' },
  { name: 'close', action: 'close', description: 'close a resolved case (a high or critical one once its postmortem is done: docs/postmortems.md)' },
  { name: 'reopen', action: 'reopen', description: 'reopen a resolved or closed case: escalation starts over' },
];

const CaseList = z.object({ cases: z.array(CaseSummary) }).passthrough();

/**
 * `alertgate incidents`: the cases of a ledger (or of a running worker, --api): list with filters, show
 * one, and the lifecycle's actions (docs/cases.md). An incident id stands for its case.
 */
export function registerIncidents(program: Command, setExit: (code: number) => void): void {
  const incidents = program
    .command('incidents')
    .description('Cases (one per attack: the incidents that share an entity) and what people do with them: list, show, sample (unreviewed incidents to review), ack, assign, classify, contain, resolve, close, reopen. docs/cases.md.');

  withTarget(
    incidents
      .command('list')
      .description('Cases, newest first (first seen), with filters; a * after the state: detection still active.')
      .option('--state <state>', CASE_STATES.join(', '))
      .option('--severity <severity>', INCIDENT_SEVERITIES.join(', '))
      .option('--rule <rule>', 'cases with an incident of this rule')
      .option('--since <time>', 'first seen at or after: an ISO date-time, or a duration (7d) back from the newest event in the ledger')
      .option('--until <time>', 'first seen at or before (ISO date-time)')
      .option('--classification <c>', CLASSIFICATIONS.join(', '))
      .option('--assignee <name>', 'assigned to')
      .option('--limit <n>', 'at most this many', '50')
      .option('--json', 'print the cases as JSON'),
    'viewer or above',
  ).action(async (opts: ListOptions) => {
    try {
      await list(opts);
    } catch (err) {
      reportUserError(err, setExit);
    }
  });

  withTarget(
    incidents
      .command('sample')
      .description('A stratified (per rule), seeded random sample of the unreviewed incidents for analysts to review: the tuner scales what the reviewed sample says (docs/tuning.md, "Few verdicts").')
      .argument('<n>', 'how many incidents (1–1000)')
      .option('--seed <seed>', 'the same ledger and seed give the same sample; a new seed each round', 'alertgate')
      .option('--since <time>', 'first seen at or after: an ISO date-time, or a duration back from the newest event in the ledger', '30d')
      .option('--json', 'print the sample as JSON'),
    'viewer or above',
  ).action(async (n: string, opts: SampleOptions) => {
    try {
      await sample(n, opts);
    } catch (err) {
      reportUserError(err, setExit);
    }
  });

  withTarget(incidents.command('show').description('One case: state, detection, incidents and verdicts, timeline, notifications.').argument('<id>', 'case-… or inc-…').option('--json', 'print the case as JSON'), 'viewer or above').action(
    async (id: string, opts: ActionOptions) => {
      try {
        await show(id, opts);
      } catch (err) {
        reportUserError(err, setExit);
      }
    },
  );

  for (const { name, action, args, description } of ACTIONS) {
    let command = incidents.command(name).description(description).argument('<id>', 'case-… or inc-…');
    if (args) command = command.argument(args);
    command = command.option('--note <text>', 'why, for the timeline').option('--json', 'print the outcome as JSON');
    if (action === 'resolve') command = command.option('--verdict <verdict>', `${VERDICTS.join(', ')} (or tp, bp, fp): recorded on every incident of the case, --note as its reason`);
    withTarget(command, 'analyst or above').action(async (id: string, ...rest: unknown[]) => {
      try {
        const value = args ? (rest[0] as string) : undefined;
        const opts = (args ? rest[1] : rest[0]) as ActionOptions;
        await act(id, action, value, opts);
      } catch (err) {
        reportUserError(err, setExit);
      }
    });
  }
}

async function list(opts: ListOptions): Promise<void> {
  const filter = {
    state: optionOf('--state', CaseState, opts.state),
    severity: optionOf('--severity', z.enum(INCIDENT_SEVERITIES), opts.severity),
    classification: optionOf('--classification', Classification, opts.classification),
    limit: optionOf('--limit', z.coerce.number().int().min(1).max(1000), opts.limit)!,
  };
  if (opts.until !== undefined && Number.isNaN(Date.parse(opts.until))) throw new UserError(`--until: expected an ISO date-time, got "${opts.until}"`);
  const target = await openTarget(opts, { existing: true });
  try {
    let cases: CaseSummary[];
    if (target.kind === 'api') {
      const query = new URLSearchParams();
      const set = (key: string, value: string | number | undefined) => value !== undefined && query.set(key, String(value));
      set('state', filter.state);
      set('severity', filter.severity);
      set('rule', opts.rule);
      set('since', opts.since);
      set('until', opts.until);
      set('classification', filter.classification);
      set('assignee', opts.assignee);
      set('limit', filter.limit);
      cases = (await callApi(target, () => target.client.request('GET', `/cases?${query}`, CaseList))).body!.cases;
    } else {
      const sinceMs = await ledgerSinceMs(target.ledger, opts.since);
      cases = await target.ledger.cases.list({
        ...filter,
        ruleId: opts.rule,
        sinceMs,
        untilMs: opts.until === undefined ? undefined : Date.parse(opts.until),
        assignee: opts.assignee,
      });
    }
    process.stdout.write(opts.json ? `${JSON.stringify(cases)}\n` : `${formatCaseTable(cases)}\n`);
  } finally {
    await closeTarget(target);
  }
}

async function sample(n: string, opts: SampleOptions): Promise<void> {
  const count = optionOf('<n>', z.coerce.number().int().min(1).max(1000), n)!;
  const target = await openTarget(opts, { existing: true });
  try {
    let answer: IncidentSample;
    if (target.kind === 'api') {
      const query = new URLSearchParams({ n: String(count), seed: opts.seed, since: opts.since });
      answer = (await callApi(target, () => target.client.request('GET', `/incidents/sample?${query}`, IncidentSample))).body!;
    } else {
      const sinceMs = await ledgerSinceMs(target.ledger, opts.since);
      answer = { seed: opts.seed, incidents: sampleIncidents(await target.ledger.tuningIncidents(sinceMs), count, opts.seed) };
    }
    const lines = answer.incidents.map((i) => `${i.id}  ${i.ruleId}  weight ${i.weight}  ${i.firstSeen}  ${i.title}`);
    process.stdout.write(opts.json ? `${JSON.stringify(answer)}\n` : `${lines.join('\n')}${lines.length > 0 ? '\n' : ''}${answer.incidents.length} unreviewed incidents drawn (seed ${answer.seed})\n`);
  } finally {
    await closeTarget(target);
  }
}

async function show(id: string, opts: ActionOptions): Promise<void> {
  const target = await openTarget(opts, { existing: true });
  try {
    let detail: CaseDetail | undefined;
    if (target.kind === 'api') {
      const answer = await callApi(target, () => target.client.request('GET', `/cases/${encodeURIComponent(id)}`, CaseDetail, undefined, [404]));
      detail = answer.body;
    } else {
      const caseId = await target.ledger.cases.resolveId(id);
      detail = caseId === undefined ? undefined : await target.ledger.cases.get(caseId);
    }
    if (!detail) throw new UserError(`no case ${id} in ${target.where}`);
    process.stdout.write(opts.json ? `${JSON.stringify(detail)}\n` : `${formatCaseDetail(detail)}\n`);
  } finally {
    await closeTarget(target);
  }
}

async function act(id: string, action: CaseAction, value: string | undefined, opts: ActionOptions): Promise<void> {
  const parsedVerdict = opts.verdict === undefined ? undefined : VerdictInput.safeParse(opts.verdict);
  if (parsedVerdict?.success === false) throw new UserError(`--verdict: ${parsedVerdict.error.issues[0]!.message}`);
  const verdict = parsedVerdict?.data;
  const raw = { note: opts.note, ...(action === 'assign' ? { assignee: value } : {}), ...(action === 'classify' ? { classification: value } : {}), ...(action === 'flag' || action === 'unflag' ? { flag: value } : {}), ...(verdict ? { verdict } : {}) };
  const parsed = ACTION_BODIES[action].safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    throw new UserError(`${field === 'assignee' || field === 'classification' || field === 'flag' ? `<${field}>` : `--${field}`}: ${issue.message}${field === 'classification' ? ` (${CLASSIFICATIONS.join(', ')})` : ''}`);
  }
  const body = parsed.data as Parameters<typeof takeAction>[3];
  const target = await openTarget(opts, { existing: true });
  try {
    let outcome: CaseActionOutcome;
    if (target.kind === 'api') {
      outcome = (await callApi(target, () => target.client.request('POST', `/cases/${encodeURIComponent(id)}/${action}`, CaseActionOutcome, body))).body!;
    } else {
      // Straight into the ledger: the audit trail is written here (through --api, the worker writes it); the worker's delivery sends the notifications.
      const audit = cliAuditLog(target.config);
      const user = userInfo().username;
      try {
        outcome = await takeAction(target.ledger, id, action, body, { actor: `cli:${user}`, analyst: user, source: 'cli' }, {
          audit,
          onCaseChanges: (changes) => changes.forEach((c) => audit.caseChange(caseAuditOf(c))),
          postmortemRequiredFor: target.config?.postmortems.requiredFor,
        });
      } catch (err) {
        throw asLedgerUserError(target.where, err);
      }
    }
    process.stdout.write(opts.json ? `${JSON.stringify(outcome)}\n` : `${describe(outcome)}\n`);
  } finally {
    await closeTarget(target);
  }
}

function describe(o: CaseActionOutcome): string {
  const { event } = o;
  const change = event.from !== null || event.to !== null ? ` (${event.from ?? '-'} → ${event.to ?? '-'})` : '';
  const told = o.notified.length > 0 ? `; updating ${o.notified.join(', ')}` : '';
  const feedback = o.feedback.length > 0 ? `; verdict recorded on ${o.feedback.length} incident${o.feedback.length === 1 ? '' : 's'}` : '';
  return `${o.case.id} ${event.event}${change} by ${event.actor}${told}${feedback}; now ${o.case.state}`;
}

function optionOf<T>(flag: string, schema: z.ZodType<T>, value: string | undefined): T | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UserError(`${flag}: ${parsed.error.issues[0]!.message}, got "${value}"`);
  return parsed.data;
}


/** `--since` in a ledger's event time: a duration back from its newest event, or an ISO date-time; a bad one names the option. */
async function ledgerSinceMs(ledger: Ledger, since: string | undefined): Promise<number | undefined> {
  try {
    return sinceMsOf(since, await ledger.latestEventTimeMs());
  } catch (err) {
    throw new UserError(`--${(err as Error).message}`);
  }
}

async function closeTarget(target: Target): Promise<void> {
  if (target.kind === 'db') await target.ledger.close();
}
