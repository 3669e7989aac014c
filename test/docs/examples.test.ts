import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { fencedBlocks, isShell, markdownFiles, type FencedBlock } from './markdown.js';

const ROOT = join(import.meta.dirname, '../..');
const shellBlocks = (): FencedBlock[] => markdownFiles(ROOT).flatMap((f) => fencedBlocks(ROOT, f)).filter(isShell);
const where = (b: FencedBlock) => `${b.file}:${b.line}`;

/** The block's lines that only set variables (`export A=… B=…`, `A=…`), comments dropped: what the example's commands rely on. */
const assignments = (block: FencedBlock) => block.text.split('\n').filter((l) => /^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*=/.test(l) && !/\s(npx|npm|node|curl)\s/.test(l));

/** What `ALERTGATE_API_TOKENS` holds after the example's assignments, run by bash with unset variables an error. */
function tokensOf(lines: readonly string[]): string {
  return execFileSync('bash', ['-c', `set -eu\n${lines.join('\n')}\nprintf '%s' "$ALERTGATE_API_TOKENS"`], { encoding: 'utf8' });
}

describe('the docs\' examples work as written', () => {
  it('every ALERTGATE_API_TOKENS example gives tokens the worker starts with (the api.md one was too short and stopped it)', async () => {
    const examples: { at: string; lines: string[] }[] = [];
    for (const block of shellBlocks().filter((b) => b.text.includes('ALERTGATE_API_TOKENS='))) examples.push({ at: where(block), lines: assignments(block) });
    // Inline ones, as the README's quick start gives it.
    for (const file of markdownFiles(ROOT)) {
      for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/`[^`\n]*?(ALERTGATE_API_TOKENS="[^"`]*")[^`\n]*`/g)) examples.push({ at: `${file} (inline)`, lines: [m[1]!] });
    }
    expect(examples.map((e) => e.at.replace(/:\d+$/, ''))).toEqual(expect.arrayContaining(['docs/api.md', 'README.md (inline)']));
    for (const example of examples) {
      const tokens = tokensOf(example.lines);
      const config = await loadConfig(undefined, { ALERTGATE_API_TOKENS: tokens }).catch((err: Error) => err);
      expect(config instanceof Error ? `${example.at}: ${config.message}` : 'ok', example.at).toBe('ok');
      if (!(config instanceof Error)) expect(config.api.tokens.length, example.at).toBeGreaterThan(0);
    }
  });

  it('every variable a shell example reads is set in that example ($VIEWER and $ANALYST were never set)', () => {
    const unset: string[] = [];
    for (const block of shellBlocks()) {
      // Single-quoted text is not expanded.
      const text = block.text.replace(/'[^']*'/g, "''");
      const assigned = new Set([...text.matchAll(/(?:^|[\s;&|(])(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]!));
      for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)) if (!assigned.has(m[1]!)) unset.push(`${where(block)}: $${m[1]}`);
    }
    expect(unset).toEqual([]);
  });

  it('every shell example runs alertgate as npx alertgate, as the README does (several docs ran a bare alertgate)', () => {
    const bare = shellBlocks().flatMap((block) =>
      block.text
        .split('\n')
        .map((line, i) => ({ line: line.replace(/#.*$/, ''), at: `${block.file}:${block.line + 1 + i}` }))
        // At a command's start: the line's, or after && || | ; & or $(.
        .filter(({ line }) => /(^|&&|\|\||[|;&]|\$\()\s*alertgate\s/.test(line))
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    expect(bare).toEqual([]);
  });
});
