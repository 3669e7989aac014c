import type { InputFormat } from '../normalize/index.js';
import { createNormalizer, loadMapping, type Normalizer } from '../normalize/index.js';
import { ConfigError } from '../config/load.js';
import { parseSince } from '../ledger/since.js';
import { loadRules } from '../rules/load.js';
import { openInput } from '../source/index.js';
import { formatProblem } from '../rules/problems.js';
import type { CompiledRuleSet } from '../rules/ruleset.js';

/** A failure the user can fix from its message alone (exit 1); anything else is exit 2. */
export class UserError extends Error {
  override name = 'UserError';
}

/** Loads rules and the input mapping; invalid rules stop everything here, before any input is read. */
export async function prepare(options: { rules: string; format: InputFormat; mapping?: string | undefined }): Promise<{
  ruleset: CompiledRuleSet;
  normalize: Normalizer;
}> {
  const loaded = await loadRules(options.rules);
  if (!loaded.ok) throw new UserError(`invalid rules in ${options.rules}:\n${loaded.problems.map(formatProblem).join('\n')}`);
  if (options.format === 'generic' && !options.mapping) throw new UserError('--format generic needs --map <mapping.yaml>');
  // A mapping that cannot be read or is invalid is the user's to fix, like invalid rules (the message locates it).
  const mapping = options.mapping
    ? await loadMapping(options.mapping).catch((err: Error) => {
        throw new UserError(err.message);
      })
    : undefined;
  return { ruleset: loaded.ruleset, normalize: createNormalizer({ format: options.format, ...(mapping ? { mapping } : {}) }) };
}

/** Opens the NDJSON input; a wrong path is the user's to fix. */
export function openUserInput(path: string): ReturnType<typeof openInput> {
  try {
    return openInput(path);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

export function reportUserError(err: unknown, setExit: (code: number) => void): void {
  process.stderr.write(`alertgate: ${err instanceof Error ? err.message : String(err)}\n`);
  // An invalid config is the user's to fix, like invalid rules.
  setExit(err instanceof UserError || err instanceof ConfigError ? 1 : 2);
}

/** `--since` (report, tune): parseSince's checks, the option named. */
export function checkSince(text: string): void {
  try {
    parseSince(text);
  } catch (err) {
    throw new UserError(`--since: ${(err as Error).message}`);
  }
}
