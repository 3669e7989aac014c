import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CASES_DEFAULTS, caseMergeOptionsOf } from '../config/cases.js';
import { loadConfig } from '../config/load.js';
import { simulatedVerdicts } from '../eval/analyst.js';
import { formatEvalText } from '../eval/format.js';
import { readLabels } from '../eval/labels.js';
import { evaluateStream } from '../eval/run-eval.js';
import { parseDuration } from '../state/index.js';
import { openUserInput, parseFormatOption, prepare, reportUserError, UserError } from './setup.js';

interface EvalOptions {
  labels: string;
  rules: string;
  format: string;
  map?: string;
  config?: string;
  output: string;
  verdicts?: string;
  sample: string;
  warmup: string;
}

export function registerEval(program: Command, setExit: (code: number) => void): void {
  program
    .command('eval')
    .description('Score what the rules promote against labelled alerts: incidents and false-positive incidents per day, attack phases covered, per rule (docs/eval.md).')
    .argument('<alerts>', 'NDJSON alerts file, or - for stdin')
    .requiredOption('--labels <file>', 'the ground truth: attack-caused alerts and their phases (JSON; docs/eval.md)')
    .option('--rules <dir>', 'rules directory', 'rules')
    .option('--format <format>', 'input format (docs/formats.md)', 'auto')
    .option('--map <mapping>', 'mapping file (YAML) for the generic format')
    .option('--config <file>', 'a worker config whose `cases` section files incidents into cases (default: the built-in cases defaults)')
    .option('--warmup <duration>', 'the start of the period that only fills windows (baselines): incidents opened in it are not scored', '0s')
    .option('--output <format>', 'report: text or json', 'text')
    .option('--verdicts <file>', "write a simulated analyst's verdicts on a sample of the incidents (feedback import NDJSON)")
    .option('--sample <fraction>', 'the share of incidents --verdicts reviews, 0 to 1', '1')
    .action(async (alerts: string, opts: EvalOptions) => {
      try {
        await evaluate(alerts, opts);
      } catch (err) {
        reportUserError(err, setExit);
      }
    });
}

async function evaluate(alerts: string, opts: EvalOptions): Promise<void> {
  if (opts.output !== 'text' && opts.output !== 'json') throw new UserError(`--output: expected text or json, got "${opts.output}"`);
  const sample = Number(opts.sample);
  if (opts.sample.trim() === '' || !(sample >= 0 && sample <= 1)) throw new UserError(`--sample: expected a share from 0 to 1 (e.g. 0.2), got "${opts.sample}"`);
  let warmupMs: number;
  try {
    warmupMs = parseDuration(opts.warmup);
  } catch (err) {
    throw new UserError(`--warmup: ${(err as Error).message}`);
  }
  const labels = await readLabels(opts.labels).catch((err: unknown) => {
    throw new UserError((err as Error).message);
  });
  const { ruleset, normalize } = await prepare({ rules: opts.rules, format: parseFormatOption(opts.format), mapping: opts.map });
  const cases = caseMergeOptionsOf(opts.config !== undefined ? (await loadConfig(opts.config)).cases : CASES_DEFAULTS);
  const { scorer, deadLetters } = await evaluateStream(openUserInput(alerts), { ruleset, normalize, labels, cases, warmupMs });
  const report = scorer.report();
  if (deadLetters > 0) process.stderr.write(`alertgate: warning: ${deadLetters} invalid input lines were left out of the score (replay --dead-letters shows why)\n`);
  if (opts.verdicts !== undefined) {
    const verdicts = simulatedVerdicts(scorer.incidents.values(), sample);
    await writeFile(opts.verdicts, verdicts.map((v) => `${JSON.stringify(v)}\n`).join(''));
  }
  process.stdout.write(opts.output === 'json' ? `${JSON.stringify(report)}\n` : `${formatEvalText(report)}\n`);
}
