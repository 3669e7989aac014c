import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A fenced code block of a markdown file. */
export interface FencedBlock {
  readonly file: string;
  /** The info string's first word (`sh`, `yaml`), '' when there is none. */
  readonly lang: string;
  readonly text: string;
  /** The line of its opening fence (1-based). */
  readonly line: number;
}

/** The README and every docs/*.md, relative to the repository root. */
export function markdownFiles(root: string): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

/** The fenced code blocks (``` or ~~~, as CommonMark: closed by a fence of the same kind at least as long). */
export function fencedBlocks(root: string, file: string): FencedBlock[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    // A fence indented (in a list item) takes that much indentation off each line of its content.
    const indent = new RegExp(`^ {0,${open[1]!.length}}`);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[j]!); j++) body.push(lines[j]!.replace(indent, ''));
    blocks.push({ file, lang: open[3]!, text: body.join('\n'), line: i + 1 });
    i = j;
  }
  return blocks;
}

/** Shell blocks: `sh`, `bash`, `shell`, `console`. */
export const isShell = (block: FencedBlock) => ['sh', 'bash', 'shell', 'console'].includes(block.lang);
