import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** One rule file's text before and after the tuning changes to it. */
export interface FileEdit {
  /** Relative to the rules directory. */
  readonly file: string;
  readonly beforeText: string;
  readonly afterText: string;
}

const CONTEXT = 3;

/**
 * Where a patch's paths start: the git work tree holding the rules directory (the nearest directory
 * with a `.git` above it), so that `git apply` at its top applies it; else the rules directory itself.
 */
export function patchRoot(rulesDir: string): string {
  for (let dir = resolve(rulesDir); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return resolve(rulesDir);
  }
}

/**
 * The edits as one unified diff in git's format (`diff --git a/… b/…`), one section per file in the
 * order first edited: the file's text before its first edit against after its last. Paths are relative
 * to `root` with `/` separators.
 */
export function unifiedPatch(edits: readonly FileEdit[], rulesDir: string, root: string): string {
  const files = new Map<string, { before: string; after: string }>();
  for (const e of edits) {
    const seen = files.get(e.file);
    files.set(e.file, { before: seen?.before ?? e.beforeText, after: e.afterText });
  }
  let out = '';
  for (const [file, { before, after }] of files) {
    const path = relative(resolve(root), resolve(rulesDir, file)).split(sep).join('/');
    out += `diff --git a/${path} b/${path}\n--- a/${path}\n+++ b/${path}\n${hunks(before, after)}`;
  }
  return out;
}

/** The text's lines without their `\n`, and whether the last one has none. */
function linesOf(text: string): { lines: string[]; noNewlineAtEnd: boolean } {
  const lines = text.split('\n');
  const noNewlineAtEnd = lines[lines.length - 1] !== '';
  if (!noNewlineAtEnd) lines.pop();
  return { lines, noNewlineAtEnd };
}

/**
 * Hunks with three lines of context. A tuning edit replaces numbers within their lines, so the two
 * texts have the same lines but for some that differ: line i of one is line i of the other.
 */
function hunks(before: string, after: string): string {
  const a = linesOf(before);
  const b = linesOf(after);
  if (a.lines.length !== b.lines.length || a.noNewlineAtEnd !== b.noNewlineAtEnd) throw new Error('a tuning edit changed the number of lines of a rule file');
  const { lines: old, noNewlineAtEnd } = a;
  const changed = old.map((line, i) => line !== b.lines[i]).flatMap((differs, i) => (differs ? [i] : []));
  // Changes closer than twice the context share one hunk.
  const groups: { from: number; to: number }[] = [];
  for (const i of changed) {
    const last = groups[groups.length - 1];
    if (last && i - last.to <= 2 * CONTEXT) last.to = i;
    else groups.push({ from: i, to: i });
  }
  const marker = (i: number) => (noNewlineAtEnd && i === old.length - 1 ? '\n\\ No newline at end of file' : '');
  let out = '';
  for (const g of groups) {
    const start = Math.max(0, g.from - CONTEXT);
    const end = Math.min(old.length - 1, g.to + CONTEXT);
    const count = end - start + 1;
    out += `@@ -${start + 1},${count} +${start + 1},${count} @@\n`;
    for (let i = start; i <= end; ) {
      if (old[i] === b.lines[i]) {
        out += ` ${old[i]}${marker(i)}\n`;
        i++;
        continue;
      }
      // A run of changed lines: all of the old, then all of the new.
      let j = i;
      while (j <= end && old[j] !== b.lines[j]) j++;
      for (let k = i; k < j; k++) out += `-${old[k]}${marker(k)}\n`;
      for (let k = i; k < j; k++) out += `+${b.lines[k]}${marker(k)}\n`;
      i = j;
    }
  }
  return out;
}
