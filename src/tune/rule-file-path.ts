import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isRuleFileName } from '../rules/read-files.js';

/**
 * A tuning change named a file the tuner may not write: outside the rules directory (`../x`, an
 * absolute path), through a symbolic link, or not a rule file. Its message names the file and why.
 */
export class RuleFileRefused extends Error {
  override name = 'RuleFileRefused';
}

/**
 * Where the tuner may write the rule file `file` (relative to `rulesDir`, as proposals and the
 * ledger's tuning_changes rows name it): its real path, inside the real rules directory, or refused.
 * Ledger rows are data, and anyone who can write the ledger could otherwise point a revert anywhere.
 * Symbolic links are refused wherever they are on the way (the rules are never read through one:
 * listRuleFiles skips them), so a link inside the directory cannot lead out of it. A file that does
 * not exist yet is checked through its directory.
 */
export async function ruleFilePath(rulesDir: string, file: string): Promise<string> {
  const refuse = (why: string) => new RuleFileRefused(`rule file ${JSON.stringify(file)}: ${why}; the tuner only writes rule files inside the rules directory ${rulesDir}`);
  if (file.includes('\0')) throw refuse('a NUL character in the path');
  if (isAbsolute(file)) throw refuse('an absolute path');
  if (!isRuleFileName(file)) throw refuse('not a rule file (*.yaml, *.yml, *.json)');
  const root = await realpath(rulesDir);
  const path = resolve(root, file);
  if (!isInside(root, path)) throw refuse('outside the rules directory');
  const real = await realpath(path).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    return join(await realpath(dirname(path)).catch(() => dirname(path)), basename(path));
  });
  if (real !== path) throw refuse(isInside(root, real) ? 'a symbolic link on the way' : `a symbolic link out of the rules directory (to ${real})`);
  return path;
}

/** Whether `path` is strictly inside `root` (both absolute and resolved). */
function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !isAbsolute(rel) && rel.split(sep)[0] !== '..';
}
