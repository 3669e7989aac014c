import type { CaseMergeOptions } from '../cases/case-merger.js';
import type { Normalizer } from '../normalize/index.js';
import { Pipeline } from '../pipeline/pipeline.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { DEFAULT_MAX_LINE_BYTES, readLines, type InputLine } from '../source/index.js';
import type { EvalLabels } from './labels.js';
import { EvalScorer } from './score.js';

export interface EvalRunOptions {
  readonly ruleset: CompiledRuleSet;
  readonly normalize: Normalizer;
  readonly labels: EvalLabels;
  /** How incidents join cases, as the worker files them (config `cases`). */
  readonly cases: CaseMergeOptions;
  /** The start of the period that only fills windows (EvalScorerOptions.warmupMs). */
  readonly warmupMs?: number;
}

/**
 * Runs alerts through the whole pipeline (suppression, windows, precedence, incident grouping, case
 * merging) and scores what it promoted against the labels. Invalid lines are left out of the score
 * (they are dead letters in a replay too); `deadLetters` counts them.
 */
export async function evaluateStream(input: NodeJS.ReadableStream | AsyncIterable<Buffer>, options: EvalRunOptions): Promise<{ scorer: EvalScorer; deadLetters: number }> {
  const { pipeline, scorer, deadLetters } = scoringPipeline(options);
  for await (const batch of readLines(input, { maxLineBytes: DEFAULT_MAX_LINE_BYTES })) pipeline.processBatch(batch);
  pipeline.finish();
  return { scorer, deadLetters: deadLetters() };
}

/** The same over lines already read (the tuner's and the bench's repeated runs). */
export function evaluateLines(lines: readonly InputLine[], options: EvalRunOptions): EvalScorer {
  const { pipeline, scorer } = scoringPipeline(options);
  pipeline.processBatch(lines);
  pipeline.finish();
  return scorer;
}

function scoringPipeline(options: EvalRunOptions): { pipeline: Pipeline; scorer: EvalScorer; deadLetters: () => number } {
  const scorer = new EvalScorer(options.labels, { warmupMs: options.warmupMs ?? 0 });
  let deadLetters = 0;
  const pipeline = new Pipeline({
    ruleset: options.ruleset,
    normalize: options.normalize,
    cases: options.cases,
    decisionRecords: false,
    sinks: {
      decision: (_json, _alertId, facts) => scorer.observe(facts),
      incident: () => {},
      deadLetter: () => {
        deadLetters++;
      },
    },
  });
  return { pipeline, scorer, deadLetters: () => deadLetters };
}
