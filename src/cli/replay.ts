import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EVENT_TIME_DEFAULTS, EventTimeConfig } from '../config/event-time.js';
import type { Ledger } from '../ledger/ledger.js';
import { InputFormat } from '../normalize/index.js';
import { runStream } from '../pipeline/run-stream.js';
import { DEFAULT_MAX_LINE_BYTES } from '../source/index.js';
import { openUserInput, parseFormatOption, prepare, reportUserError, UserError } from './setup.js';
import { formatSummaryText, progressReporter, summarize } from './summary.js';

interface ReplayOptions {
  rules: string;
  input: string;
  format: string;
  map?: string;
  decisions?: string;
  incidents?: string;
  deadLetters?: string;
  summary: string;
  maxLineBytes: string;
  db?: string;
  dbSchema?: string;
  maxFutureSkew: string;
  onFutureDated: string;
  recentAlerts: string;
}

/** The flags of the eventTime settings, for naming them in errors. */
const EVENT_TIME_FLAGS: Record<string, string> = { maxFutureSkew: '--max-future-skew', onFutureDated: '--on-future-dated', recentAlerts: '--recent-alerts' };

export function registerReplay(program: Command, setExit: (code: number) => void): void {
  program
    .command('replay')
    .description('Run the pipeline over NDJSON alerts (a file or stdin) and write decisions, incidents and dead letters as NDJSON.')
    .requiredOption('--rules <dir>', 'rules directory')
    .requiredOption('--input <file>', 'NDJSON input file, or - for stdin')
    .option('--format <format>', `input format: ${InputFormat.options.join(', ')} (docs/formats.md)`, 'auto')
    .option('--map <mapping>', 'mapping file (YAML) for the generic format')
    .option('--decisions <file>', 'write one decision per alert (NDJSON; - for stdout)')
    .option('--incidents <file>', 'write incidents (NDJSON; - for stdout)')
    .option('--dead-letters <file>', 'write invalid input records (NDJSON; - for stdout)')
    .option('--summary <format>', 'summary format: text or json', 'text')
    .option('--max-line-bytes <n>', 'longer input lines become dead letters', String(DEFAULT_MAX_LINE_BYTES))
    .option('--db <ledger>', 'also record incidents, opening decisions and decision counts in a ledger: a SQLite file or a postgres:// URL (docs/ledger.md)')
    .option('--db-schema <schema>', 'PostgreSQL schema of the ledger (default public)')
    .option('--max-future-skew <duration>', "alerts dated more than this ahead of the stream's event time are future-dated (eventTime.maxFutureSkew; docs/rules.md)", EVENT_TIME_DEFAULTS.maxFutureSkew)
    .option('--on-future-dated <action>', "clamp (decide them at the stream's event time) or dead-letter", EVENT_TIME_DEFAULTS.onFutureDated)
    .option('--recent-alerts <n>', "how many recent alerts' event times make the stream's event time", String(EVENT_TIME_DEFAULTS.recentAlerts))
    .action(async (opts: ReplayOptions) => {
      try {
        await replay(opts);
      } catch (err) {
        reportUserError(err, setExit);
      }
    });
}

async function replay(opts: ReplayOptions): Promise<void> {
  const format = parseFormatOption(opts.format);
  if (opts.summary !== 'text' && opts.summary !== 'json') throw new UserError(`--summary: expected text or json, got "${opts.summary}"`);
  const maxLineBytes = Number(opts.maxLineBytes);
  if (!Number.isInteger(maxLineBytes) || maxLineBytes <= 0) throw new UserError('--max-line-bytes: expected a positive integer');
  const eventTime = EventTimeConfig.safeParse({ maxFutureSkew: opts.maxFutureSkew, onFutureDated: opts.onFutureDated, recentAlerts: Number(opts.recentAlerts) });
  if (!eventTime.success) throw new UserError(eventTime.error.issues.map((issue) => `${EVENT_TIME_FLAGS[String(issue.path[0])]}: ${issue.message}`).join('\n'));
  const { ruleset, normalize } = await prepare({ rules: opts.rules, format, mapping: opts.map });
  // The ledger's modules (Kysely, the database drivers) load only when asked for.
  const ledger = opts.db !== undefined ? await (await import('./ledger-cli.js')).openLedger(opts.db, opts.dbSchema) : undefined;
  try {
    await replayInto(opts, { ruleset, normalize, maxLineBytes, eventTime: eventTime.data }, ledger);
  } finally {
    await ledger?.close();
  }
}

async function replayInto(
  opts: ReplayOptions,
  prepared: Awaited<ReturnType<typeof prepare>> & { maxLineBytes: number; eventTime: EventTimeConfig },
  ledger: Ledger | undefined,
): Promise<void> {
  const { ruleset, normalize, maxLineBytes, eventTime } = prepared;
  // A replay of the same input replaces its decision counts rather than adding to them.
  const source = `replay:${opts.input === '-' ? '-' : resolve(opts.input)}`;
  const recorder = ledger && (await (await import('./ledger-cli.js')).startRecording(ledger, ruleset, source));
  const input = openUserInput(opts.input);
  const progress = progressReporter();
  const started = performance.now();
  const run = runStream(input, {
    ruleset,
    normalize,
    maxLineBytes,
    eventTime,
    outputs: { decisions: opts.decisions, incidents: opts.incidents, deadLetters: opts.deadLetters },
    onBatch: (p) => progress.tick(p.counts),
    recorder,
  });
  await run.done;
  progress.end();
  const summary = summarize(run.pipeline.counts, performance.now() - started, run.pipeline.stats);
  // When an output goes to stdout, the summary moves to stderr so stdout stays pure NDJSON.
  const toStdout = [opts.decisions, opts.incidents, opts.deadLetters].includes('-');
  const out = toStdout ? process.stderr : process.stdout;
  const ledgerLine = ledger && recorder ? `\nledger      ${ledger.describe()}: ${recorder.stats.incidentsWritten} incident records written` : '';
  out.write(opts.summary === 'json' ? `${JSON.stringify(summary)}\n` : `${formatSummaryText(summary)}${ledgerLine}\n`);
}
