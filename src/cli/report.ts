import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { ISO_TIME } from '../ledger/since.js';
import { buildReport } from '../report/build.js';
import { REPORT_DEFAULTS, reportPeriod, ReportPeriodError } from '../report/period.js';
import { renderReport, ReportFormat } from '../report/render.js';
import { openLedger } from './ledger-cli.js';
import { checkSince, reportUserError, UserError } from './setup.js';

interface ReportCliOptions {
  db?: string;
  dbSchema?: string;
  config?: string;
  since: string;
  now?: string;
  minutesPerIncident: string;
  top: string;
  format: string;
  out?: string;
}

export function registerReport(program: Command, setExit: (code: number) => void): void {
  program
    .command('report')
    .description(
      'Report on a period of the ledger: per rule (alerts matched, promoted, suppressed, incidents, verdicts, precision, time to feedback, analyst time, noisiest signatures and entities), per UTC day, and the tuning changes applied with their measured effect.',
    )
    .option('--db <ledger>', 'the ledger: a SQLite file or a postgres:// URL (default: ledger.url of --config, or ALERTGATE_LEDGER)')
    .option('--db-schema <schema>', 'PostgreSQL schema of the ledger')
    .option('--config <file>', 'config file whose ledger section to use')
    .option('--since <when>', 'start of the period: a duration back from its end (7d, 36h) or an ISO date-time', REPORT_DEFAULTS.since)
    .option('--now <time>', 'end of the period (ISO date-time; default: the newest event time in the ledger)')
    .option('--minutes-per-incident <n>', 'analyst minutes one reviewed incident costs', String(REPORT_DEFAULTS.minutesPerIncident))
    .option('--top <n>', 'signatures and entities listed per rule', String(REPORT_DEFAULTS.top))
    .option('--format <format>', 'output: text, md, html or json', 'text')
    .option('--out <file>', 'write the report to this file instead of stdout')
    .action(async (opts: ReportCliOptions) => {
      try {
        await runReport(opts);
      } catch (err) {
        reportUserError(err, setExit);
      }
    });
}

function check(opts: ReportCliOptions): { format: ReportFormat; minutesPerIncident: number; top: number; nowMs: number | undefined } {
  const format = ReportFormat.safeParse(opts.format);
  if (!format.success) throw new UserError(`--format: expected text, md, html or json, got "${opts.format}"`);
  checkSince(opts.since);
  const nowMs = opts.now === undefined ? undefined : Date.parse(opts.now);
  if (nowMs !== undefined && (!ISO_TIME.test(opts.now!) || Number.isNaN(nowMs))) throw new UserError(`--now: expected an ISO date-time such as 2026-11-13T18:00:00Z, got "${opts.now}"`);
  const minutesPerIncident = Number(opts.minutesPerIncident);
  if (!(Number.isFinite(minutesPerIncident) && minutesPerIncident >= 0)) throw new UserError(`--minutes-per-incident: expected a number ≥ 0, got "${opts.minutesPerIncident}"`);
  const top = Number(opts.top);
  if (!(Number.isInteger(top) && top >= 0)) throw new UserError(`--top: expected a whole number ≥ 0, got "${opts.top}"`);
  return { format: format.data, minutesPerIncident, top, nowMs };
}

async function runReport(opts: ReportCliOptions): Promise<void> {
  const { format, nowMs, ...numbers } = check(opts);
  const config = opts.db === undefined ? await loadConfig(opts.config, process.env, [], { receiverSecrets: false }) : undefined;
  const db = opts.db ?? config?.ledger.url;
  if (db === undefined) throw new UserError('no ledger: give --db <ledger>, or a config with ledger.url (or ALERTGATE_LEDGER)');
  const ledger = await openLedger(db, opts.dbSchema ?? config?.ledger.schema, { existing: true });
  let text: string;
  try {
    const period = await reportPeriod(ledger, opts.since, nowMs).catch((err: unknown) => {
      throw err instanceof ReportPeriodError ? new UserError(err.message) : err;
    });
    text = renderReport(await buildReport(ledger, { ...period, ...numbers, postmortemRequiredFor: config?.postmortems.requiredFor }), format);
  } finally {
    await ledger.close();
  }
  if (opts.out === undefined) process.stdout.write(text);
  else {
    await writeFile(opts.out, text).catch((err: NodeJS.ErrnoException) => {
      throw new UserError(`--out ${opts.out}: cannot write: ${err.code ?? err.message}`);
    });
  }
}
