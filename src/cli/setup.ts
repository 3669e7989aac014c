import { unknownExplainRules, type ExplanationsConfig } from '../config/explanations.js';
import { createNormalizer, InputFormat, loadMapping, type Normalizer } from '../normalize/index.js';
import { parseSince } from '../ledger/since.js';
import { loadRules } from '../rules/load.js';
import { openInput } from '../source/index.js';
import { formatProblem, type RuleProblem } from '../rules/problems.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';
import { EXIT, exitCodeOf, UserError } from './exit-codes.js';

export { UserError } from './exit-codes.js';

/**
 * Loads rules and the input mapping; invalid rules stop everything here, before any input is read, as
 * do `explanations.explainRules` that name no rule (`explainRulesName`: the option or key, for the message).
 */
export async function prepare(options: {
  rules: string;
  format: InputFormat;
  mapping?: string | undefined;
  explanations?: ExplanationsConfig;
  explainRulesName?: string;
}): Promise<{
  ruleset: CompiledRuleSet;
  normalize: Normalizer;
}> {
  const loaded = await loadRules(options.rules);
  if (!loaded.ok) throw new UserError(`invalid rules in ${options.rules}:\n${loaded.problems.map(formatProblem).join('\n')}`);
  if (options.explanations) {
    const ruleIds = new Set([...loaded.ruleset.suppressRules, ...loaded.ruleset.promoteRules].map((r) => r.rule.id));
    const unknown = unknownExplainRules(options.explanations, ruleIds);
    if (unknown.length > 0) throw new UserError(`${options.explainRulesName ?? 'explainRules'}: no rule in ${options.rules} has the id ${unknown.map((id) => `"${id}"`).join(', ')}`);
  }
  return { ruleset: loaded.ruleset, normalize: await prepareNormalizer(options.format, options.mapping) };
}

/** The normalizer for --format and --map (loaded and validated here, before any input is read). */
export async function prepareNormalizer(format: InputFormat, mappingFile: string | undefined): Promise<Normalizer> {
  if (format === 'generic' && !mappingFile) throw new UserError('--format generic needs --map <mapping.yaml>');
  // A mapping file's problems are the user's to fix, like the rules' (its message names file, pointer and line).
  const mapping = mappingFile
    ? await loadMapping(mappingFile).catch((err: unknown) => {
        throw new UserError((err as Error).message);
      })
    : undefined;
  return createNormalizer({ format, ...(mapping ? { mapping } : {}) });
}

/** `--format`, validated. */
export function parseFormatOption(value: string): InputFormat {
  const format = InputFormat.safeParse(value);
  if (!format.success) throw new UserError(`--format: expected one of ${InputFormat.options.join(', ')}, got "${value}"; docs/formats.md describes each`);
  return format.data;
}

/** Opens the NDJSON input; a wrong path is the user's to fix. */
export function openUserInput(path: string): ReturnType<typeof openInput> {
  try {
    return openInput(path);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

/** A command's action whose errors are reported as reportUserError does (a UserError's message, its exit code). */
export function reporting<A extends unknown[]>(setExit: (code: number) => void, action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await action(...args);
    } catch (err) {
      reportUserError(err, setExit);
    }
  };
}

export function reportUserError(err: unknown, setExit: (code: number) => void): void {
  process.stderr.write(`alertgate: ${err instanceof Error ? err.message : String(err)}\n`);
  setExit(exitCodeOf(err));
}

/** `--since` (report, tune): parseSince's checks, the option named. */
export function checkSince(text: string): void {
  try {
    parseSince(text);
  } catch (err) {
    throw new UserError(`--since: ${(err as Error).message}`);
  }
}

/** A `check` command's refusal: one located line per problem on stdout, their count on stderr, exit 1. */
export function reportProblems(file: string, problems: readonly RuleProblem[], setExit: (code: number) => void): void {
  for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
  process.stderr.write(`alertgate: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${file}\n`);
  setExit(EXIT.invalid);
}
