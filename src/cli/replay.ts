import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EVENT_TIME_DEFAULTS, EventTimeConfig } from '../config/event-time.js';
import type { CaseMergeOptions } from '../cases/case-merger.js';
import { CASES_DEFAULTS, caseMergeOptionsOf } from '../config/cases.js';
import { ExplanationsConfig } from '../config/explanations.js';
import type { Ledger } from '../ledger/ledger.js';
import { InputFormat } from '../normalize/index.js';
import { runStream } from '../pipeline/run-stream.js';
import { DEFAULT_DEDUP_MAX_IDS, type DedupOptions } from '../dedup/seen-alerts.js';
import { DEFAULT_MAX_ALERT_IDS } from '../incidents/index.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import { parseDuration } from '../state/index.js';
import type { DeadLetterRecord } from '../pipeline/dead-letter.js';
import { DEFAULT_MAX_LINE_BYTES } from '../source/index.js';
import { openUserInput, parseFormatOption, prepare, reportUserError, UserError } from './setup.js';
import { formatSummaryText, progressReporter, summarize, type RunSummary } from './summary.js';

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
  maxAlertIds: string;
  maxInvalidRatio?: string;
  dedupHorizon: string;
  dedupMaxIds: string;
  db?: string;
  dbSchema?: string;
  maxFutureSkew: string;
  onFutureDated: string;
  recentAlerts: string;
  config?: string;
  explanations: string;
  explanationSample: string;
  explainRules?: string;
}

/** The flags of the eventTime settings, for naming them in errors. */
const EVENT_TIME_FLAGS: Record<string, string> = { maxFutureSkew: '--max-future-skew', onFutureDated: '--on-future-dated', recentAlerts: '--recent-alerts' };
/** The flags of the explanations settings. */
const EXPLANATION_FLAGS: Record<string, string> = { explanations: '--explanations', explanationSample: '--explanation-sample', explainRules: '--explain-rules' };

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
    .option('--max-alert-ids <n>', 'alert ids listed per incident record (alertCount counts them all)', String(DEFAULT_MAX_ALERT_IDS))
    .option('--max-invalid-ratio <r>', 'exit 1 when more than this share (0 to 1) of the input lines are invalid (default: only when all are)')
    .option('--dedup-horizon <duration>', 'an alert with the id and event time of one this far (event time) behind the newest is a duplicate; 0s: no deduplication', '10m')
    .option('--dedup-max-ids <n>', 'alert ids remembered for deduplication at most', String(DEFAULT_DEDUP_MAX_IDS))
    .option('--db <ledger>', 'also record incidents, opening decisions and decision counts in a ledger: a SQLite file or a postgres:// URL (docs/ledger.md)')
    .option('--db-schema <schema>', 'PostgreSQL schema of the ledger (default public)')
    .option('--max-future-skew <duration>', "alerts dated more than this ahead of the stream's event time are future-dated (eventTime.maxFutureSkew; docs/rules.md)", EVENT_TIME_DEFAULTS.maxFutureSkew)
    .option('--on-future-dated <action>', "clamp (decide them at the stream's event time) or dead-letter", EVENT_TIME_DEFAULTS.onFutureDated)
    .option('--recent-alerts <n>', "how many recent alerts' event times make the stream's event time", String(EVENT_TIME_DEFAULTS.recentAlerts))
    .option('--explanations <detail>', `full, or compact: only promotions explain their conditions and window (outputs.explanations; docs/outputs.md)`, 'full')
    .option('--explanation-sample <ratio>', 'compact: this share (0 to 1) of the alerts, chosen by a hash of the alert id, keep the full explanation', '0')
    .option('--explain-rules <ids>', 'compact: decisions by these rules (comma-separated ids), and passes they nearly fired on, keep the full explanation')
    .option('--config <file>', "a worker config whose `cases` section (mergeBy, window) files incidents into cases as that worker does (default: the built-in cases defaults)")
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
  const maxAlertIds = Number(opts.maxAlertIds);
  if (!Number.isInteger(maxAlertIds) || maxAlertIds < 0) throw new UserError(`--max-alert-ids: expected an integer ≥ 0, got "${opts.maxAlertIds}"`);
  const maxInvalidRatio = opts.maxInvalidRatio === undefined ? undefined : Number(opts.maxInvalidRatio);
  if (maxInvalidRatio !== undefined && !(opts.maxInvalidRatio!.trim() !== '' && maxInvalidRatio >= 0 && maxInvalidRatio <= 1)) {
    throw new UserError(`--max-invalid-ratio: expected a number from 0 to 1 (e.g. 0.05), got "${opts.maxInvalidRatio}"`);
  }
  const dedup = dedupOptions(opts.dedupHorizon, opts.dedupMaxIds);
  const explanations = explanationOptions(opts);
  const { ruleset, normalize } = await prepare({ rules: opts.rules, format, mapping: opts.map, explanations, explainRulesName: '--explain-rules' });
  // The config's modules (every section's schema, the receivers) and the ledger's (Kysely, the
  // database drivers) load only when asked for: a plain replay starts without them. A worker's config
  // is read without its receivers' secrets: replay sends nothing.
  const cases = caseMergeOptionsOf(
    opts.config !== undefined ? (await (await import('../config/load.js')).loadConfig(opts.config, process.env, [], { receiverSecrets: false })).cases : CASES_DEFAULTS,
  );
  const ledger = opts.db !== undefined ? await (await import('./ledger-cli.js')).openLedger(opts.db, opts.dbSchema) : undefined;
  try {
    await replayInto(opts, { ruleset, normalize, maxLineBytes, maxAlertIds, maxInvalidRatio, dedup, eventTime: eventTime.data, cases, explanations }, ledger);
  } finally {
    await ledger?.close();
  }
}

interface ReplayLimits {
  maxLineBytes: number;
  maxAlertIds: number;
  /** Undefined: fail only when every line is invalid. */
  maxInvalidRatio: number | undefined;
  dedup: DedupOptions;
  eventTime: EventTimeConfig;
  cases: CaseMergeOptions;
  explanations: ExplanationsConfig;
}

function explanationOptions(opts: ReplayOptions): ExplanationsConfig {
  const sample = opts.explanationSample.trim() === '' ? Number.NaN : Number(opts.explanationSample);
  const parsed = ExplanationsConfig.safeParse({
    explanations: opts.explanations,
    explanationSample: sample,
    explainRules: opts.explainRules === undefined ? [] : opts.explainRules.split(',').map((id) => id.trim()),
  });
  if (!parsed.success) throw new UserError(parsed.error.issues.map((issue) => `${EXPLANATION_FLAGS[String(issue.path[0])]}: ${issue.message}`).join('\n'));
  return parsed.data;
}

function dedupOptions(horizon: string, maxIds: string): DedupOptions {
  let horizonMs: number;
  try {
    horizonMs = parseDuration(horizon);
  } catch (err) {
    throw new UserError(`--dedup-horizon: ${(err as Error).message}`);
  }
  const ids = Number(maxIds);
  if (!Number.isInteger(ids) || ids <= 0) throw new UserError(`--dedup-max-ids: expected a positive integer, got "${maxIds}"`);
  return { horizonMs, maxIds: ids };
}

async function replayInto(opts: ReplayOptions, prepared: Awaited<ReturnType<typeof prepare>> & ReplayLimits, ledger: Ledger | undefined): Promise<void> {
  const { ruleset, normalize, maxLineBytes, maxAlertIds, maxInvalidRatio, dedup, eventTime, cases, explanations } = prepared;
  // A replay of the same input replaces its decision counts rather than adding to them.
  const source = `replay:${opts.input === '-' ? '-' : resolve(opts.input)}`;
  const recorder = ledger && (await (await import('./ledger-cli.js')).startRecording(ledger, ruleset, source));
  const input = openUserInput(opts.input);
  const progress = progressReporter();
  const started = performance.now();
  let firstDeadLetter: DeadLetterRecord | undefined;
  const run = runStream(input, {
    ruleset,
    normalize,
    maxLineBytes,
    eventTime,
    maxAlertIdsPerIncident: maxAlertIds,
    dedup,
    onDeadLetter: (record) => (firstDeadLetter ??= record),
    cases,
    explanations,
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
  if (summary.lossy > 0) process.stderr.write(`alertgate: warning: ${lossyWarning(run.pipeline.windowStats())}\n`);
  const tooManyInvalid = invalidInputProblem(summary, maxInvalidRatio, firstDeadLetter);
  if (tooManyInvalid) throw new UserError(tooManyInvalid);
}

/** Which rules decided on lost state, for the one warning a replay prints. */
function lossyWarning(windows: ReturnType<Pipeline['windowStats']>): string {
  const rules = windows.filter((w) => w.stats.lossyObservations > 0).map((w) => `${w.ruleId} (${w.stats.lossyObservations} alerts)`);
  return `windows at their memory bounds decided alerts on incomplete counts: ${rules.join(', ')}; their explanations say window.lossy. Raise window.maxKeys / maxEvents / maxEventsPerKey (docs/rules.md, "Memory bounds")`;
}

/**
 * Why the run failed for its invalid lines, or undefined: more than `maxInvalidRatio` of the lines
 * are invalid, or (no ratio given) all of them are, as when a `--map` is forgotten. The outputs are
 * written all the same; the exit code says the input was not what the options expected.
 */
export function invalidInputProblem(summary: Pick<RunSummary, 'alerts' | 'invalid'>, maxInvalidRatio: number | undefined, first: DeadLetterRecord | undefined): string | undefined {
  const { alerts, invalid } = summary;
  if (alerts === 0) return undefined;
  const failed = maxInvalidRatio === undefined ? invalid === alerts : invalid / alerts > maxInvalidRatio;
  if (!failed) return undefined;
  const limit = maxInvalidRatio === undefined ? 'every line is invalid' : `above --max-invalid-ratio ${maxInvalidRatio}`;
  const example = first ? `; the first, line ${first.line}: ${first.reason}` : '';
  return `${invalid} of ${alerts} input lines (${((100 * invalid) / alerts).toFixed(1)}%) are invalid, ${limit}${example}. Check --format and --map (docs/formats.md), or raise --max-invalid-ratio`;
}
