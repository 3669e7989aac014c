import type { Command } from 'commander';
import { describeAbsence } from '../metrics/field-absence.js';
import type { PipelineStats } from '../metrics/pipeline-stats.js';
import { FORMAT_NAMES } from '../normalize/index.js';
import { DEAD_LETTER_REASONS } from '../pipeline/dead-letter.js';
import { Pipeline } from '../pipeline/pipeline.js';
import { EMPTY_RULESET } from '../rules/ruleset.js';
import { NdjsonWriter } from '../sinks/ndjson-writer.js';
import { DEFAULT_MAX_LINE_BYTES, readLines } from '../source/index.js';
import { openUserInput, parseFormatOption, prepareNormalizer, reportUserError, UserError } from './setup.js';

interface NormalizeOptions {
  input: string;
  format: string;
  map?: string;
  summary?: boolean;
  raw: boolean;
  maxLineBytes: string;
}

/**
 * `alertgate normalize`: the mapping debugger. Reads input as `replay` does and prints what the
 * pipeline would decide on, without rules: each alert in canonical form, or the dead letter with its
 * reason, in input order. `--summary` prints the counts instead, and how often each mapped field found
 * nothing. Exit 0 when every record became alerts, 1 when any became a dead letter.
 */
export function registerNormalize(program: Command, setExit: (code: number) => void): void {
  program
    .command('normalize')
    .description(
      'Print the canonical alert of each input record (or its dead letter, with the reason), as replay and run would read it: ' +
        'the way to check a --format or a --map mapping. Exit 1 when any record is a dead letter.',
    )
    .requiredOption('--input <file>', 'NDJSON input file, or - for stdin')
    .option('--format <format>', 'input format (docs/formats.md)', 'auto')
    .option('--map <mapping>', 'mapping file (YAML) for the generic format')
    .option('--summary', 'print counts by format and dead-letter class, and how often each mapped field was absent, instead of the alerts')
    .option('--no-raw', "leave each alert's raw (the input record) out of the output")
    .option('--max-line-bytes <n>', 'longer input lines become dead letters', String(DEFAULT_MAX_LINE_BYTES))
    .action(async (opts: NormalizeOptions) => {
      try {
        setExit(await normalize(opts));
      } catch (err) {
        reportUserError(err, setExit);
      }
    });
}

async function normalize(opts: NormalizeOptions): Promise<number> {
  const format = parseFormatOption(opts.format);
  const maxLineBytes = Number(opts.maxLineBytes);
  if (!Number.isInteger(maxLineBytes) || maxLineBytes <= 0) throw new UserError('--max-line-bytes: expected a positive integer');
  const normalize = await prepareNormalizer(format, opts.map);
  const out = opts.summary ? undefined : NdjsonWriter.open('-');
  // The real pipeline with no rules: every alert passes, so its decisions are the input's alerts in
  // order, and its counts and stats are exactly what replay and the metrics count.
  const pipeline = new Pipeline({
    ruleset: EMPTY_RULESET,
    normalize,
    maxLineBytes,
    sinks: {
      decision: (_json, _id, { alert }) => out?.write(opts.raw ? alert : { ...alert, raw: undefined }),
      incident: () => {},
      deadLetter: (record) => out?.write(record),
    },
  });
  for await (const batch of readLines(openUserInput(opts.input), { maxLineBytes })) {
    pipeline.processBatch(batch);
    await out?.drain();
  }
  await out?.close();
  const { alerts, invalid } = pipeline.counts;
  if (opts.summary) process.stdout.write(`${formatNormalizeSummary(pipeline.stats, alerts - invalid, invalid)}\n`);
  return invalid > 0 ? 1 : 0;
}

/** Counts by format, dead letters by class, then every mapped field that was absent at least once. */
function formatNormalizeSummary(stats: PipelineStats, alerts: number, invalid: number): string {
  const formats = FORMAT_NAMES.flatMap((format) => {
    const n = stats.acceptedOf(format);
    return n > 0 ? [`  ${format} ${n}`] : [];
  });
  const reasons = DEAD_LETTER_REASONS.flatMap((reason, i) => (stats.deadLetters[i]! > 0 ? [`  ${reason} ${stats.deadLetters[i]}`] : []));
  const absences = stats.fieldAbsences().map((a) => `  ${describeAbsence(a)}`);
  return [
    `alerts      ${alerts}`,
    ...formats,
    `invalid     ${invalid}`,
    ...reasons,
    absences.length > 0 ? 'absent mapped fields (none of their paths in the input)' : 'absent mapped fields: none',
    ...absences,
  ].join('\n');
}
