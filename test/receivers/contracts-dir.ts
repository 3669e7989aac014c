import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Where the vendors' contracts were found, or every directory looked in (in order) when they were not. */
export type ContractsLookup = { readonly dir: string } | { readonly looked: readonly string[]; readonly missing: readonly string[] };

/**
 * Finds the directory holding every one of `files`: ALERTGATE_CONTRACTS when it is set (and only
 * there: a directory named on purpose is not second-guessed); otherwise `<repo>/../shared/contracts`,
 * then `shared/contracts` in each directory further up. A checkout beside shared/ (a developer's) finds
 * it first; a fresh clone somewhere deeper (CI's) finds the one its parents hold.
 */
export function findContracts(
  repo: string,
  files: readonly string[],
  env: NodeJS.ProcessEnv,
  exists: (path: string) => boolean = existsSync,
): ContractsLookup {
  const holdsAll = (dir: string) => files.every((file) => exists(join(dir, file)));
  const named = env.ALERTGATE_CONTRACTS?.trim();
  const candidates = named ? [resolve(named)] : ancestorsOf(resolve(repo)).map((dir) => join(dir, 'shared', 'contracts'));
  const found = candidates.find(holdsAll);
  if (found !== undefined) return { dir: found };
  // What the first place lacks: the one a reader most likely meant.
  return { looked: candidates, missing: files.filter((file) => !exists(join(candidates[0]!, file))) };
}

/** The parent of `dir`, its parent, … up to the root. */
function ancestorsOf(dir: string): string[] {
  const out: string[] = [];
  for (let at = dirname(dir); ; at = dirname(at)) {
    out.push(at);
    if (dirname(at) === at) return out;
  }
}
